"""Findings: what validation says about a record, one problem per finding."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"
SEVERITY_ZH = {ERROR: "错误", WARNING: "警告"}


@dataclass(frozen=True)
class Finding:
    code: str  # stable rule code, e.g. "FN003"
    severity: str  # ERROR or WARNING
    path: str  # dotted path into the record, e.g. "factory.name", "scenarios[0].name"
    label: str  # the form's own label for the field
    message: str  # Chinese, one line
    source: str = ""  # the record file, when known
    # where in the source: a 1-based line (YAML), or "SHEET!CELL" for a workbook record
    line: int | str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def where(self) -> str:
        """file:line for a YAML record, file[sheet]!cell for a workbook (as Excel users
        name a cell), the file alone when the place is not known."""
        if not self.line:
            return self.source
        if isinstance(self.line, str) and "!" in self.line:
            sheet, cell = self.line.rsplit("!", 1)
            return f"{self.source}[{sheet}]!{cell}"
        return f"{self.source}:{self.line}"

    def sort_key(self) -> tuple:
        """Errors first, then in the order of the source (lines, or sheets and cells)."""
        place = (0, self.line, "") if isinstance(self.line, int) else (1, 0, self.line or "")
        return (not self.is_error, place, self.code)

    def text(self) -> str:
        where = self.where
        head = f"{where}: " if where else ""
        path = f" {self.path}" if self.path else ""
        label = f"「{self.label}」" if self.label else ""
        return f"{head}{SEVERITY_ZH[self.severity]} {self.code}{path}{label}：{self.message}"

    def as_dict(self) -> dict:
        d = asdict(self)
        if not d["extra"]:
            d.pop("extra")
        return d


def path_str(loc) -> str:
    """('scenarios', 0, 'name') -> 'scenarios[0].name'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def has_errors(findings) -> bool:
    return any(f.is_error for f in findings)


def to_json(findings, **extra) -> str:
    payload = dict(extra)
    payload["findings"] = [f.as_dict() for f in findings]
    payload["errors"] = sum(1 for f in findings if f.is_error)
    payload["warnings"] = sum(1 for f in findings if not f.is_error)
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str)
