"""HTML and XML: the text a reader sees, never the markup.

HTML keeps visible text (no script, style or template) plus the attributes that carry words
(alt, title, value, and meta content such as author). XML values are grouped by element path
(`customers/customer/email`), like JSON key paths, so the element name is context for detection;
entity declarations are refused (defusedxml), so a billion-laughs document is a recorded problem.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser

from defusedxml.ElementTree import XMLParser

from privmap.model import Blob, Chunk
from privmap.scanner.extractors.base import Context, Part, sample
from privmap.scanner.extractors.text import decode, prose

_HIDDEN = frozenset({"script", "style", "template", "noscript", "svg", "head"})
_ATTRIBUTES = frozenset({"alt", "title", "value", "placeholder", "aria-label"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}
)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.meta: list[tuple[str, str]] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") and values.get("content"):
            self.meta.append((str(values["name"]), str(values["content"])))
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.text.append("\n")
        self.text.extend(f" {v} " for k, v in attrs if k in _ATTRIBUTES and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1
        elif tag in _BLOCKS:
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def html_text(markup: str) -> tuple[str, list[tuple[str, str]]]:
    """The visible text of an HTML document and its <meta name content> pairs."""
    parser = _Visible()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.text).splitlines())
    return "\n".join(line for line in lines if line), parser.meta


class HtmlExtractor:
    media_types = frozenset({"text/html", "application/xhtml+xml"})
    reads = "sample"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        data, _ = sample(blob, ctx)
        text, meta = html_text(decode(data))
        for name, content in meta:
            yield Chunk(blob.location.refine(field=f"meta:{name}"), content, "values", (name,))
        yield from prose(blob, text, ctx)


class XmlExtractor:
    media_types = frozenset({"application/xml", "text/xml"})
    reads = "sample"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        data, truncated = sample(blob, ctx)
        paths: dict[str, list[str]] = defaultdict(list)
        stack: list[str] = []
        parser = XMLParser(target=_Target(stack, paths))
        try:
            parser.feed(data)
            parser.close()
        except Exception:
            if not truncated or not paths:  # a sampled document is cut; what parsed before the cut counts
                raise
        for path, values in paths.items():
            key = path.rsplit("/", 1)[-1].lstrip("@")
            yield Chunk(blob.location.refine(field=path), "\n".join(values), "values", (key,))


class _Target:
    """ElementTree parser target collecting text and attribute values by element path."""

    def __init__(self, stack: list[str], paths: dict[str, list[str]]) -> None:
        self.stack, self.paths = stack, paths
        self.text: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self._flush()
        self.stack.append(tag.rpartition("}")[2])
        path = "/".join(self.stack)
        for name, value in attrs.items():
            if value.strip():
                self.paths[f"{path}/@{name.rpartition('}')[2]}"].append(" ".join(value.split()))

    def end(self, tag: str) -> None:
        self._flush()
        self.stack.pop()

    def data(self, data: str) -> None:
        self.text.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self.text).split())
        self.text.clear()
        if text and self.stack:
            self.paths["/".join(self.stack)].append(text)

    def close(self) -> None:
        return None
