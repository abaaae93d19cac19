"""Packs: one province's (or the nation's) forms for one round, as data.

A pack is a folder under ``forms/`` with ``manifest.yaml`` and one layout file per
document. The manifest names the documents, the catalogue edition, the quota and the
rule settings (``checks``); the layouts describe each form (see ``formgen.render``).
Which fields are required and which label a field carries on a form are read from
the layouts, so nothing about a pack is written in Python.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .paths import pack_dirs


class PackError(Exception):
    pass


@dataclass
class Document:
    id: str
    title: str
    kind: str  # "single" (one enterprise), "multi" (many, ranked), "bureau" (the recommender's own)
    # or "checklist" (a completeness report for one enterprise)
    formats: list[str]
    layout: dict
    filename: str
    when: dict | None = None  # the records this document applies to (see rules.applies)

    @property
    def single(self) -> bool:
        return self.kind == "single"


@dataclass
class Pack:
    name: str
    title: str
    folder: Path
    edition: int | None
    level: str | None
    documents: list[Document]
    checks: dict = field(default_factory=dict)
    quota: dict = field(default_factory=dict)
    deadlines: list[dict] = field(default_factory=list)

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for doc in self.documents:
            for path, label, _ in _fields(doc):
                out.setdefault(path, label)
        return out

    def required_fields(self, documents: list[Document] | None = None) -> list[tuple[str, str, list[str]]]:
        """(path pattern, label, short titles of the documents needing it) for
        ``documents`` (all of the pack's by default)."""
        found: dict[str, tuple[str, list[str]]] = {}
        for doc in documents if documents is not None else self.documents:
            for path, label, optional in _fields(doc):
                if optional:
                    continue
                entry = found.setdefault(path, (label, []))
                short = doc.title.split(" ")[0]
                if short not in entry[1]:
                    entry[1].append(short)
        return [(p, lab, docs) for p, (lab, docs) in found.items()]

    def documents_for(self, record, single: bool | None = None) -> list[Document]:
        """The documents that apply to ``record`` (all kinds, or only single/multi)."""
        from .rules import applies

        return [d for d in self.documents if applies(record, d.when) and (single is None or d.single == single)]

    def document(self, doc_id: str) -> Document:
        for d in self.documents:
            if d.id == doc_id:
                return d
        raise PackError(f"pack {self.name} 没有文档 {doc_id}")

    def deadlines_near(self, today: dt.date, days: int = 3) -> list[tuple[dict, int]]:
        """Deadlines passed or within ``days``: (deadline, days left, negative if passed)."""
        out = []
        for d in self.deadlines:
            left = (d["date"] - today).days
            if left <= days:
                out.append((d, left))
        return out


def _label_text(text: str) -> str:
    """The label part of an annex cell: '成熟度等级\n（自评估）' -> '成熟度等级（自评估）'."""
    return re.sub(r"\s+", "", text)


def _cell_fields(cell, last_label: str, prefix: str = ""):
    if not isinstance(cell, dict):
        return
    label = cell.get("label") or last_label
    optional = bool(cell.get("optional"))
    names = list(cell.get("fields") or [])
    if cell.get("field"):
        names.insert(0, cell["field"])
    if cell.get("checkbox"):
        names.append(cell["checkbox"]["field"])
    for name in names:
        yield prefix + name, label, optional


def _block_fields(blocks, prefix: str = ""):
    for block in blocks or []:
        if "table" in block:
            for row in block["table"].get("rows", []):
                yield from _row_fields(row, prefix)
        elif "repeat" in block:
            rep = block["repeat"]
            inner = f"{prefix}{rep['each']}[]."
            if not rep.get("optional"):
                yield prefix + rep["each"], rep.get("label", rep["each"]), False
            yield from _block_fields(rep.get("blocks"), inner)
        elif "text" in block and isinstance(block["text"], dict):
            t = block["text"]
            yield prefix + t["field"], t.get("label", ""), bool(t.get("optional"))


def _row_fields(row, prefix):
    if isinstance(row, dict) and "repeat" in row:
        rep = row["repeat"]
        inner = f"{prefix}{rep['each']}[]."
        if not rep.get("optional"):
            yield prefix + rep["each"], rep.get("label", rep["each"]), False
        for r in rep["rows"]:
            yield from _row_fields(r, inner)
        return
    cells = row["cells"] if isinstance(row, dict) else row
    last = ""
    for cell in cells:
        if isinstance(cell, str):
            last = _label_text(cell)
        elif isinstance(cell, dict) and "text" in cell and not cell.get("field"):
            last = _label_text(cell["text"])
        else:
            yield from _cell_fields(cell, last, prefix)


def _fields(doc: Document):
    layout = doc.layout
    if doc.single:
        yield from _block_fields(layout.get("blocks"))
    elif doc.kind == "checklist":
        return
    elif doc.kind == "multi":
        prefix = f"{layout['each']}[]." if layout.get("each") else ""
        if prefix:
            yield layout["each"], layout.get("each_label", layout["each"]), False
        for col in layout.get("columns", []):
            header = col["header"][-1] if isinstance(col["header"], list) else col["header"]
            for name in [prefix + col["field"]] if col.get("field") else []:
                yield name, _label_text(header), bool(col.get("optional"))
            for name in col.get("fields", []):
                yield name, _label_text(header), bool(col.get("optional"))


def _read(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise PackError(f"{path}: {e}") from e


def load_pack(folder: Path) -> Pack:
    m = _read(folder / "manifest.yaml")
    docs = []
    for d in m.get("documents", []):
        layout = {**_read(folder / d["layout"]), **(d.get("layout_overrides") or {})}
        docs.append(
            Document(
                d["id"],
                d["title"],
                d.get("kind", "single"),
                list(d.get("formats", ["docx"])),
                layout,
                d.get("filename", d["id"]),
                d.get("when"),
            )
        )
    deadlines = [
        {**x, "date": x["date"] if isinstance(x["date"], dt.date) else dt.date.fromisoformat(str(x["date"]))}
        for x in m.get("deadlines", []) or []
    ]
    return Pack(
        m["name"],
        m["title"],
        folder,
        m.get("edition"),
        m.get("level"),
        docs,
        m.get("checks", {}) or {},
        m.get("quota", {}) or {},
        deadlines,
    )


def available() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for base in pack_dirs():
        if base.is_dir():
            for sub in sorted(base.iterdir()):
                if (sub / "manifest.yaml").is_file():
                    out.setdefault(sub.name, sub)
    return out


def get_pack(name: str) -> Pack:
    packs = available()
    if name not in packs:
        raise PackError(f"没有名为 {name} 的表格包；可用：{'、'.join(packs) or '（无）'}")
    return load_pack(packs[name])
