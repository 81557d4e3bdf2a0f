"""HTML and XML: the text a reader sees, never the markup.

HTML keeps visible text (lxml; no script, style or template) plus the attributes that carry words
(alt, title, value, and meta content such as author). XML values are grouped by element path
(`customers/customer/email`), like JSON key paths, so the element name is context for detection;
entity declarations are refused (defusedxml), so a billion-laughs document is a recorded problem.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from defusedxml.ElementTree import XMLParser
from lxml import etree

from privmap.model import Blob, Chunk
from privmap.scanner.extractors.base import Context, Part, sample
from privmap.scanner.extractors.text import decode, prose

_HIDDEN = frozenset({"script", "style", "template", "noscript", "svg", "head"})
_ATTRIBUTES = frozenset({"alt", "title", "value", "placeholder", "aria-label"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}
)
# no network, no entities resolved, comments and processing instructions dropped
_PARSER = etree.HTMLParser(encoding="utf-8", recover=True, no_network=True, remove_comments=True, remove_pis=True)


def html_text(markup: str) -> tuple[str, list[tuple[str, str]]]:
    """The visible text of an HTML document (lxml's libxml2 parser, forgiving like a browser) and
    its <meta name content> pairs. Block elements end lines, so names in adjacent cells never fuse."""
    root = etree.fromstring(markup.encode(), _PARSER) if markup.strip() else None
    if root is None:
        return "", []
    meta = [
        (str(m.get("name")), str(m.get("content"))) for m in root.iter("meta") if m.get("name") and m.get("content")
    ]
    etree.strip_elements(root, *_HIDDEN, with_tail=False)
    for element in root.iter(etree.Element):
        words = [f" {element.get(a)} " for a in _ATTRIBUTES if element.get(a)]
        if element.tag in _BLOCKS or words:
            element.tail = "\n" + "".join(words) + "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in "".join(root.itertext()).splitlines())
    return "\n".join(line for line in lines if line), meta


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
