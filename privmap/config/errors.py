"""Config errors that name the file, the line and the key, and say what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    line: int | None
    loc: Loc
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = dotted(self.loc)
        return f"{where}: {key}: {self.message}" if key else f"{where}: {self.message}"


class ConfigError(Exception):
    """One or more problems in a config file; str() lists them one per line."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class ConfigOrigin:
    """The file a config came from and the line of every key in it."""

    file: Path
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        # an absent key has no line: fall back to its closest present parent
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return None

    def issue(self, loc: Loc, message: str) -> ConfigIssue:
        return ConfigIssue(str(self.file), self.line_of(loc), loc, message)

    def error(self, loc: Loc, message: str) -> ConfigError:
        return ConfigError([self.issue(loc, message)])


def dotted(loc: Loc) -> str:
    """('sources', 0, 'options', 'path') -> 'sources[0].options.path'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
