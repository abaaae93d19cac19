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

from .paths import pack_dirs, read_data_yaml


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
    # One document per item of a list: {by: PATH of the chosen keys, list: LIST PATH,
    # key: FIELD of each item, name: placeholder in the file name}. Gansu 附件2 is one
    # 申报书 per 优秀场景: by factory.excellent_scenarios, list scenarios, key name.
    split: dict | None = None

    @property
    def single(self) -> bool:
        return self.kind == "single"

    @property
    def short_title(self) -> str:
        return self.title.split(" ")[0]

    def fields(self):
        """(path pattern, label, optional) of every field the layout uses."""
        return _fields(self)

    def split_keys(self, record) -> list[str]:
        """The keys this document is written once for (``split``), in the order given."""
        from .recpaths import get

        if not self.split:
            return []
        keys = []
        for key in get(record, self.split["by"]) or []:
            if key not in keys:
                keys.append(key)
        return keys

    def split_view(self, record, key):
        """The record as one split copy of this document sees it: the list holds only
        the items whose key field equals ``key``."""
        items = [x for x in _get_list(record, self.split["list"]) if getattr(x, self.split["key"], None) == key]
        return _with_list(record, self.split["list"], items)

    def covers(self, record, path: str) -> bool:
        """Whether a concrete path of ``record`` is printed on this document: for a split
        document, list items are printed only when their key is one of the chosen."""
        if not self.split:
            return True
        lst = self.split["list"]
        m = re.match(re.escape(lst) + r"\[(\d+)\]", path)
        if not m:
            return True
        items = _get_list(record, lst)
        i = int(m.group(1))
        return i < len(items) and getattr(items[i], self.split["key"], None) in self.split_keys(record)


def _get_list(record, path: str) -> list:
    from .recpaths import get

    return list(get(record, path) or [])


def _with_list(obj, path: str, items: list):
    """A copy of ``obj`` whose list at dotted ``path`` is ``items`` (nothing else copied deeply)."""
    head, _, rest = path.partition(".")
    if not rest:
        return obj.model_copy(update={head: items})
    return obj.model_copy(update={head: _with_list(getattr(obj, head), rest, items)})


@dataclass(eq=False)
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

    quota_soft: bool = False  # "原则上不超过": the bureau may go over, with a warning

    def labels_for(self, documents: list[Document]) -> dict[str, str]:
        """Field path pattern -> the label the first of ``documents`` gives it: one label
        per field in every message about a record (the documents that apply to it)."""
        return self._labels(tuple(d.id for d in documents))

    @functools.lru_cache(maxsize=64)  # noqa: B019 (packs live for the whole process)
    def _labels(self, ids: tuple[str, ...]) -> dict[str, str]:
        out: dict[str, str] = {}
        by_id = {d.id: d for d in self.documents}
        for doc_id in ids:
            for path, label, _ in _fields(by_id[doc_id]):
                if label:
                    out.setdefault(path, label)
        return out

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        """Labels from every document of the pack (for records no document applies to)."""
        return self.labels_for(self.documents)

    def documents_for(self, record, single: bool | None = None) -> list[Document]:
        """The documents that apply to ``record`` (all kinds, or only single/multi)."""
        from .recpaths import applies

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


_FOOTNOTE_MARKS = re.compile("[\u00b9\u00b2\u00b3\u2070-\u2079]")


def _label_text(text: str) -> str:
    """The label part of an annex cell: '成熟度等级\n（自评估）' -> '成熟度等级（自评估）';
    footnote marks (所属行业¹) are not part of the label."""
    return _FOOTNOTE_MARKS.sub("", re.sub(r"\s+", "", text))


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
        elif "p" in block and isinstance(block["p"], dict) and block["p"].get("fields"):
            p = block["p"]
            own = p.get("labels") or {}  # a paragraph holding several fields may name each
            for name in p["fields"]:
                yield prefix + name, own.get(name, p.get("label", "")), bool(p.get("optional"))
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
        return read_data_yaml(path) or {}
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
                d.get("split"),
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
        bool((m.get("quota") or {}).get("soft")),
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
