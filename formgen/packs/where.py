"""Where a record's field is printed in the forms an enterprise fills, in the forms' own
words: ``附件3《甘肃省基础级智能工厂申报书》表格「企业基本信息」第6行「手机」``.

A letter to an enterprise (the 整改通知) names the place in the form it filled and
printed, never a line of a record file or a record path. The forms an enterprise fills are
the pack's documents of kind ``single`` that apply to its record; the place is found by
walking their layouts as they print for that record (a repeated row once per item):

- a table's rows are counted within the part of the table they belong to, the block label
  standing in the table's first column over several rows (甘肃附件3's 「企业基本信息」,
  「代表产线有关信息」); a table without such labels is named by the text printed above it
  (its caption), and its rows are counted from its first;
- a field outside a table (a text section) is named by its label (「一（一）申报单位概况」);
- a field of a repeated part (one per scenario) says which item (「典型场景」第2项).

A field the sheets the bureau compiles need (documents of kind ``multi`` or ``bureau``)
but no form the enterprise fills prints is the sheets' alone (:meth:`FormPlaces.sheet_only`);
of those, a value the pack itself gives (:meth:`FormPlaces.pack_gives`: the province of a
pack that checks every region against its own province) is the bureau's to fill.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..record.paths import generic, get
from .layout import (
    Cell,
    HeadingBlock,
    PBlock,
    PSpec,
    RepeatBlock,
    RowRepeat,
    RowSpec,
    TableBlock,
    TextBlock,
    _row_fields,
    label_text,
)
from .pack import Document, Pack


def form_name(doc: Document) -> str:
    """A form as a letter names it: its annex number and its title in 《》.

    >>> form_name(Document("a3", "附件3 甘肃省基础级智能工厂申报书", "single", [], {}, ""))
    '附件3《甘肃省基础级智能工厂申报书》'
    >>> form_name(Document("x", "申报书", "single", [], {}, ""))
    '《申报书》'
    """
    head, _, rest = doc.title.partition(" ")
    return f"{head}《{rest.strip()}》" if rest.strip() else f"《{head}》"


@dataclass(frozen=True)
class Place:
    """One field's place in a form."""

    document: Document
    label: str  # the form's label for the field
    table: str = ""  # the part of the table (its block label, else its caption); "" outside a table
    row: int | None = None  # the row within that part, 1-based
    part: str = ""  # a repeated part and its item: 典型场景第2项

    @property
    def form(self) -> str:
        return form_name(self.document)

    def text(self) -> str:
        """The place as a letter prints it.

        >>> doc = Document("a3", "附件3 甘肃省基础级智能工厂申报书", "single", [], {}, "")
        >>> Place(doc, "手机", "企业基本信息", 6).text()
        '附件3《甘肃省基础级智能工厂申报书》表格「企业基本信息」第6行「手机」'
        >>> Place(doc, "企业名称", "", 1).text()
        '附件3《甘肃省基础级智能工厂申报书》表格第1行「企业名称」'
        >>> Place(doc, "一（一）申报单位概况").text()
        '附件3《甘肃省基础级智能工厂申报书》「一（一）申报单位概况」'
        """
        where = f"「{self.part}」" if self.part else ""
        if self.table:
            where += f"表格「{self.table}」" + (f"第{self.row}行" if self.row else "")
        elif self.row:  # the form's one table, under the form's own title
            where += f"表格第{self.row}行"
        label = f"「{self.label}」" if self.label else ""
        return f"{self.form}{where}{label}"


def _count(record, path: str) -> int:
    items = get(record, path) if record is not None else None
    return len(items) if isinstance(items, (list, tuple)) else 0


def _physical_rows(rows, prefix: str, record):
    """(row, path prefix) of every row a table prints for ``record``, in order, and
    (list path, label) where a repeated row's list starts: ``("list", path, label)``."""
    for row in rows:
        if isinstance(row, RowRepeat):
            rep = row.repeat
            yield ("list", prefix + rep.each, rep.label or "")
            for i in range(_count(record, prefix + rep.each)):
                yield from _physical_rows(rep.rows, f"{prefix}{rep.each}[{i}].", record)
        else:
            yield ("row", row, prefix)


def _first_cell(row):
    cells = row.cells if isinstance(row, RowSpec) else row
    return cells[0] if cells else None


def _table_places(doc: Document, table, caption: str, prefix: str, part: str, record, out: dict) -> None:
    group, group_start, group_left = "", 0, 0
    lists: list[tuple[str, str]] = []
    r = 0
    for kind, *rest in _physical_rows(table.rows, prefix, record):
        if kind == "list":
            lists.append(tuple(rest))
            continue
        row, row_prefix = rest
        r += 1
        first = _first_cell(row)
        if group_left <= 0:
            group_left = 0
            span = first.rowspan if isinstance(first, Cell) else 1
            text = first if isinstance(first, str) else (first.text if isinstance(first, Cell) else None)
            if span > 1 and text and not (isinstance(first, Cell) and first.is_value):
                group, group_start, group_left = label_text(text), r, span
            else:
                group = ""
        name = group or caption
        at = r - group_start + 1 if group else r
        for path, label in lists:  # a list's own place: where its first row prints
            out.setdefault(path, Place(doc, label, name, at, part))
        lists = []
        for path, label, _optional in _row_fields(row, row_prefix):
            out.setdefault(path, Place(doc, label, name, at, part))
        group_left -= 1
    for path, label in lists:
        out.setdefault(path, Place(doc, label, caption, None, part))


def _block_places(doc: Document, blocks, prefix: str, part: str, record, out: dict, caption: list) -> None:
    for block in blocks:
        if isinstance(block, HeadingBlock):
            caption[0] = label_text(block.heading)
        elif isinstance(block, PBlock):
            if isinstance(block.p, str):
                caption[0] = label_text(block.p)
            elif isinstance(block.p, PSpec):
                p = block.p
                for name in [*p.fields, *p.attached]:
                    out.setdefault(prefix + name, Place(doc, p.labels.get(name, p.label or ""), part=part))
        elif isinstance(block, TextBlock):
            t = block.text
            out.setdefault(prefix + t.field, Place(doc, t.label or "", part=part))
        elif isinstance(block, TableBlock):
            # a table under the form's own title is the form's table: named by the form alone
            title = label_text(doc.title.partition(" ")[2] or doc.title)
            _table_places(doc, block.table, "" if caption[0] == title else caption[0], prefix, part, record, out)
        elif isinstance(block, RepeatBlock):
            rep = block.repeat
            out.setdefault(prefix + rep.each, Place(doc, rep.label or "", part=part))
            for i in range(_count(record, prefix + rep.each)):
                item = f"{rep.label or ''}第{i + 1}项"
                _block_places(doc, rep.blocks, f"{prefix}{rep.each}[{i}].", item, record, out, caption)


def places(doc: Document, record) -> dict[str, Place]:
    """Concrete record path -> its place in ``doc`` as the form prints for ``record`` (the
    first place, where a field is printed twice)."""
    out: dict[str, Place] = {}
    _block_places(doc, doc.model.blocks, "", "", record, out, [""])
    return out


class FormPlaces:
    """The places of one record's fields in the forms its enterprise fills (a pack's
    single documents that apply to the record; a form printed once per chosen item first
    after the others)."""

    def __init__(self, pack: Pack, record):
        self.pack, self.record = pack, record
        docs = pack.documents_for(record) if record is not None else list(pack.documents)
        self.forms = sorted((d for d in docs if d.single), key=lambda d: bool(d.split))
        self.sheets = [d for d in docs if d.kind in ("multi", "bureau")]

    @functools.cached_property
    def _places(self) -> list[dict[str, Place]]:
        return [places(d, self.record) for d in self.forms]

    def place(self, path: str) -> Place | None:
        """Where ``path`` (a concrete record path) is printed in the enterprise's forms;
        None when no such form prints it."""
        for doc, found in zip(self.forms, self._places, strict=True):
            if path in found and (self.record is None or doc.covers(self.record, path)):
                return found[path]
        return None

    def form_of(self, path: str) -> Document | None:
        """The enterprise's form that shows ``path``'s field (whatever item), if any."""
        pattern = generic(path)
        for doc in self.forms:
            if any(p == pattern for p, _, _ in doc.fields()):
                return doc
        return None

    def sheet_only(self, path: str) -> bool:
        """Whether only the sheets the bureau compiles (kind multi or bureau) show
        ``path``'s field: none of the enterprise's forms does."""
        pattern = generic(path)
        on_sheet = any(p == pattern for d in self.sheets for p, _, _ in d.fields())
        return on_sheet and self.form_of(path) is None

    def pack_gives(self, path: str) -> bool:
        """Whether the pack itself gives this field's value, so the bureau fills it: the
        province of a region the pack checks against its own province (``checks.region``).

        The region blocks' ``province`` is the model's field, as ``checks.region`` names
        the province the pack's regions lie in."""
        region = self.pack.setting("region", self.record) if self.record is not None else self.pack.checks.get("region")
        if not isinstance(region, dict) or not region.get("province"):
            return False
        return any(path == f"{p}.province" for p in region.get("paths") or [])
