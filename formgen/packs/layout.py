"""Pack manifests and layouts as typed objects, checked when a pack loads.

A pack (``forms/<name>/``) is a ``manifest.yaml`` and one layout file per document; the
layout language is described for pack authors in ``docs/packs.md``. This module:

- models every key a manifest and a layout may hold (pydantic, unknown keys refused):
  :class:`Manifest`; :class:`SingleLayout` (a Word document: ``blocks`` of paragraphs,
  headings, body text, figures, tables); :class:`MultiLayout` (a ranked sheet:
  ``columns``); :class:`ChecklistLayout` (a 申报材料清单: ``items`` and their ``needs``);
- checks that every record path a pack names (``field``, ``fields``, ``checkbox.field``,
  ``repeat.each``, ``each``, the paths of ``when``, ``split`` and ``checks``, and those
  an ``expr`` reads) is a field of the record model, with the file, the key's place and
  a suggestion for each problem (:func:`check_folder`);
- walks a layout's fields once for every reader (:meth:`SingleLayout.fields`,
  :meth:`SingleLayout.uses`, :meth:`ChecklistLayout.uses`).

``packs.load_pack`` keeps what :func:`summarize` gives between runs with the parsed files
(``paths.remembered``), keyed by the files' bytes: an unchanged pack is not checked again
and this module is not even imported (its classes take some 25 ms to define).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Tag, ValidationError, model_validator
from pydantic import Field as PField
from pydantic_core import PydanticCustomError

from ..record.model import Recommender, Record
from ..record.paths import generic as _generic

# record paths: a layout's path -> the record model's pattern, the paths an expression reads
from ..record.schema import all_patterns, expr_paths, expr_tokens
from ..record.schema import resolve_path as resolve

# -- record paths ------------------------------------------------------------------------


def _suggest(word: str, choices) -> str:
    hit = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"（是否应为 {hit[0]}？）" if hit else ""


_FOOTNOTE_MARKS = re.compile("[\u00b9\u00b2\u00b3\u2070-\u2079]")


def label_text(text: str) -> str:
    """The label part of an annex cell: '成熟度等级\\n（自评估）' -> '成熟度等级（自评估）';
    footnote marks (所属行业¹) are not part of the label.

    >>> label_text("成熟度等级\\n（自评估）"), label_text("所属行业¹")
    ('成熟度等级（自评估）', '所属行业')
    """
    return _FOOTNOTE_MARKS.sub("", re.sub(r"\s+", "", text))


# -- the models ----------------------------------------------------------------------------


class _Unknown:
    """An unknown key's value, marked so that the error names the key and a suggestion."""

    __slots__ = ("key", "allowed")

    def __init__(self, key: str, allowed):
        self.key, self.allowed = key, allowed

    def __repr__(self) -> str:
        return f"<unknown key {self.key}>"


class Spec(BaseModel):
    """A mapping of a pack file: only the keys modelled, values of their types."""

    # schemas built when first used: a pack is checked only when its files change
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data):
        if isinstance(data, dict):
            names = cls.model_fields
            if any(k not in names for k in data):
                data = {k: v if k in names else _Unknown(str(k), tuple(names)) for k, v in data.items()}
        return data


def _tagged(choose, **members):
    """A union whose member is chosen by ``choose(value)`` (no member's errors mixed into
    another's); tags start with '·' and are left out of the places errors name."""
    return Annotated[
        Union[tuple(Annotated[t, Tag("·" + name)] for name, t in members.items())],  # noqa: UP007
        Discriminator(lambda v: "·" + choose(v)),
    ]


def _is_size(value):
    from ..render import ZIHAO

    if isinstance(value, str) and value not in ZIHAO:
        raise PydanticCustomError(
            "size",
            "字号应为 {names} 之一或磅值，却是「{value}」{hint}",
            {"names": "、".join(ZIHAO), "value": value, "hint": _suggest(value, ZIHAO)},
        )
    return value


# a font size: a Chinese size name (三号, 小四) or points
Size = Annotated[Union[str, float], PField(union_mode="left_to_right"), AfterValidator(_is_size)]  # noqa: UP007
Align = Literal["left", "center", "right", "justify"]
Orientation = Literal["portrait", "landscape"]


class Style(Spec):
    """A paragraph's look: font, size, bold, alignment, spacing (pt), indent (characters)."""

    font: str | None = None
    size: Size | None = None
    bold: bool | None = None
    align: Align | None = None
    before: float | None = None
    after: float | None = None
    indent: float | None = None
    indent_right: float | None = None
    keep_with_next: bool | None = None
    line_exact_pt: float | None = None


class Values(Spec):
    """What a paragraph or cell shows: the layout's ``text``, a record ``field``, or an
    ``expr`` (``fields`` naming the record paths it shows)."""

    text: str | None = None
    field: str | None = None
    expr: str | None = None
    fields: list[str] = []
    # record paths the document requires as files attached to it, printing no value of
    # them (上海附件4 第五部分: the CMMM report, 自评估报告见附件): required and labelled as
    # ``fields`` are, never read back from the form
    attached: list[str] = []
    label: str | None = None
    optional: bool = False


class PSpec(Values):
    labels: dict[str, str] = {}

    @model_validator(mode="after")
    def _labels_of_fields(self):
        named = [*self.fields, *self.attached]
        stray = [k for k in self.labels if k not in named]
        if stray:
            raise PydanticCustomError(
                "labels",
                "labels 的 {path} 不在 fields 或 attached 中{hint}",
                {"path": stray[0], "hint": _suggest(stray[0], named)},
            )
        return self


class PBlock(Style):
    p: _tagged(lambda v: "text" if isinstance(v, str) else "spec", text=str, spec=PSpec)


class HeadingBlock(Style):
    heading: str
    level: Literal[1, 2, 3] = 1


class TextSpec(Spec):
    field: str
    optional: bool = False
    label: str | None = None
    style: Style | None = None
    # printed in the text's place when the record leaves it empty (上海附件4: （无）), so that
    # an optional sub-part's heading is never followed straight by the next heading; never
    # read back as the record's text
    if_empty: str | None = None


class TextBlock(Spec):
    text: TextSpec


class FiguresSpec(Spec):
    part: int | None = None
    width_cm: float = 14.5
    max_height_cm: float = 20
    caption_size: Size = "三号"
    caption_after: float = 12


class FiguresBlock(Spec):
    figures: FiguresSpec


class Option(Spec):
    value: Any
    label: str | None = None
    fill: str | None = None


class Checkbox(Spec):
    field: str
    options: list[_tagged(lambda v: "spec" if isinstance(v, dict) else "value", spec=Option, value=Any)]
    separator: str = "  "


class ParaSpec(Style):
    text: str = ""


class Cell(Values):
    note: str | None = None
    note_if_empty: bool | None = None  # None: a value cell's note only while it is empty (render.docx.note_printed)
    note_align: Align | None = None
    note_size: Size | None = None
    paras: list[ParaSpec] = []
    colspan: int = PField(1, ge=1)
    rowspan: int = PField(1, ge=1)
    rowspan_expr: str | None = None
    colspan_expr: str | None = None
    align: Align | None = None
    size: Size | None = None
    bold: bool | None = None
    whole: bool = False
    checkbox: Checkbox | None = None

    @property
    def is_value(self) -> bool:
        return bool(self.field or self.expr or self.checkbox)


CellItem = _tagged(lambda v: "text" if isinstance(v, str) else "cell", text=str, cell=Cell)


class RowSpec(Spec):
    cells: list[CellItem]
    height_cm: float | None = None
    header: bool = False
    can_split: bool = False
    keep_with_next: bool = False


class RowRepeatSpec(Spec):
    each: str
    rows: list[Row]
    keep_together: bool = False
    label: str | None = None
    optional: bool = False


class RowRepeat(Spec):
    repeat: RowRepeatSpec


def _row_kind(v) -> str:
    if isinstance(v, list):
        return "cells"
    return "repeat" if isinstance(v, dict) and "repeat" in v else "row"


Row = _tagged(_row_kind, cells=list[CellItem], row=RowSpec, repeat=RowRepeat)


class TableSpec(Spec):
    widths_cm: list[float]
    rows: list[Row]
    size: Size | None = None
    after_space: bool = True
    keep_span_max: int = 4


class TableBlock(Spec):
    table: TableSpec


class RepeatSpec(Spec):
    each: str
    blocks: list[Block]
    label: str | None = None
    optional: bool = False


class RepeatBlock(Spec):
    repeat: RepeatSpec


class ModeItemsSpec(Spec):
    chosen: str = "factory.modes"
    texts: str = "narrative.mode_items"


class ModeItemsBlock(Spec):
    mode_items: ModeItemsSpec


class SectionSpec(Spec):
    orientation: Orientation = "portrait"


class SectionBlock(Spec):
    section: SectionSpec


class PageBreakBlock(Spec):
    page_break: Literal[True]


class _UnknownBlock(Spec):
    @model_validator(mode="before")
    @classmethod
    def _refuse(cls, data):
        if not isinstance(data, dict):
            raise PydanticCustomError("block", "块应为映射（键: 值），如 {p: 文字}")
        keys = [str(k) for k in data]
        hint = next((s for s in (_suggest(k, BLOCK_KINDS) for k in keys) if s), "")
        raise PydanticCustomError(
            "block",
            "无法识别的块（键 {keys}）：块须含 {kinds} 之一{hint}",
            {"keys": "、".join(keys) or "（无）", "kinds": "、".join(BLOCK_KINDS), "hint": hint},
        )


BLOCK_KINDS = ("p", "heading", "text", "figures", "table", "repeat", "mode_items", "section", "page_break")


def _block_kind(v) -> str:
    if isinstance(v, dict):
        for kind in BLOCK_KINDS:
            if kind in v:
                return kind
    return "unknown"


Block = _tagged(
    _block_kind,
    p=PBlock,
    heading=HeadingBlock,
    text=TextBlock,
    figures=FiguresBlock,
    table=TableBlock,
    repeat=RepeatBlock,
    mode_items=ModeItemsBlock,
    section=SectionBlock,
    page_break=PageBreakBlock,
    unknown=_UnknownBlock,
)


class Page(Spec):
    size: Literal["A4"] = "A4"
    margins_cm: tuple[float, float, float, float] = (2.54, 2.5, 2.54, 2.5)
    orientation: Orientation = "portrait"


class Font(Spec):
    east_asia: str = "仿宋_GB2312"
    ascii: str = "Times New Roman"
    size: Size = "三号"
    line_exact_pt: float | None = None


class Styles(Spec):
    heading1: Style | None = None
    heading2: Style | None = None
    heading3: Style | None = None
    body: Style | None = None


class PageNumbers(Spec):
    cover: bool = True


class SingleLayout(Spec):
    """A Word document for one record (``kind: single``) or the bureau (``kind: bureau``)."""

    page: Page | None = None
    font: Font | None = None
    styles: Styles | None = None
    page_numbers: _tagged(lambda v: "flag" if isinstance(v, bool) else "spec", flag=bool, spec=PageNumbers) = False
    blocks: list[Block] = []

    def fields(self) -> Iterator[tuple[str, str, bool]]:
        """(path pattern, label, optional) of every field the layout shows, in order (a
        paragraph's ``attached`` files among them: required, labelled, not printed)."""
        return _block_fields(self.blocks, "")

    def attached(self) -> list[str]:
        """The path patterns the document requires as attached files and prints no value of."""
        return [prefix + name for node, prefix in _nodes(self.blocks, "") for name in getattr(node, "attached", [])]

    def uses(self, single: bool = True) -> tuple[list[str], dict[str, str]]:
        """Record paths the layout names outside its declared fields (expressions,
        blocks such as ``figures`` or ``mode_items``), and the form's note for each field
        it declares."""
        used: list[str] = []
        notes: dict[str, str] = {}
        for node, prefix in _nodes(self.blocks, ""):
            if isinstance(node, FiguresBlock) and prefix == "":
                used.append("figures")
            elif isinstance(node, ModeItemsSpec):
                used.extend(p for p in (resolve(node.chosen), resolve(node.texts)) if p)
            if isinstance(node, Values):
                if node.expr:
                    used.extend(expr_paths(node.expr, prefix))
                _note(node, prefix, notes)
        return used, notes


def _note(node: Values, prefix: str, notes: dict[str, str]) -> None:
    note = getattr(node, "note", None)
    if isinstance(note, str) and note.strip():
        for name in ([node.field] if node.field else []) + list(node.fields):
            resolved = resolve(prefix + name)
            if resolved:
                notes.setdefault(resolved, re.sub(r"\s+", "", note))


def _nodes(blocks, prefix: str) -> Iterator[tuple[Spec, str]]:
    """Every spec of ``blocks`` with the path prefix its fields are read under."""
    for block in blocks:
        yield block, prefix
        if isinstance(block, PBlock) and isinstance(block.p, PSpec):
            yield block.p, prefix
        elif isinstance(block, TextBlock):
            yield block.text, prefix
        elif isinstance(block, TableBlock):
            yield from _row_nodes(block.table.rows, prefix)
        elif isinstance(block, RepeatBlock):
            yield from _nodes(block.repeat.blocks, f"{prefix}{block.repeat.each}[].")
        elif isinstance(block, ModeItemsBlock):
            yield block.mode_items, prefix


def _row_nodes(rows, prefix: str) -> Iterator[tuple[Spec, str]]:
    for row in rows:
        if isinstance(row, RowRepeat):
            yield from _row_nodes(row.repeat.rows, f"{prefix}{row.repeat.each}[].")
            continue
        for cell in row.cells if isinstance(row, RowSpec) else row:
            if isinstance(cell, Cell):
                yield cell, prefix


def _cell_fields(cell: Cell, last_label: str, prefix: str):
    label = cell.label or last_label
    names = list(cell.fields)
    if cell.field:
        names.insert(0, cell.field)
    if cell.checkbox:
        names.append(cell.checkbox.field)
    for name in [*names, *cell.attached]:
        yield prefix + name, label, cell.optional


def _block_fields(blocks, prefix: str):
    for block in blocks:
        if isinstance(block, TableBlock):
            for row in block.table.rows:
                yield from _row_fields(row, prefix)
        elif isinstance(block, RepeatBlock):
            rep = block.repeat
            if not rep.optional:
                yield prefix + rep.each, rep.label or rep.each, False
            yield from _block_fields(rep.blocks, f"{prefix}{rep.each}[].")
        elif isinstance(block, PBlock) and isinstance(block.p, PSpec) and (block.p.fields or block.p.attached):
            p = block.p  # a paragraph holding several fields may name each
            for name in [*p.fields, *p.attached]:
                yield prefix + name, p.labels.get(name, p.label or ""), p.optional
        elif isinstance(block, TextBlock):
            t = block.text
            yield prefix + t.field, t.label or "", t.optional


def _row_fields(row, prefix: str):
    if isinstance(row, RowRepeat):
        rep = row.repeat
        if not rep.optional:
            yield prefix + rep.each, rep.label or rep.each, False
        for r in rep.rows:
            yield from _row_fields(r, f"{prefix}{rep.each}[].")
        return
    last = ""
    for cell in row.cells if isinstance(row, RowSpec) else row:
        if isinstance(cell, str):
            last = label_text(cell)
        elif cell.text is not None and not cell.field:
            last = label_text(cell.text)
        else:
            yield from _cell_fields(cell, last, prefix)


class Column(Spec):
    header: _tagged(lambda v: "lines" if isinstance(v, list) else "text", lines=list[str], text=str)
    field: str | None = None
    fields: list[str] = []
    expr: str | None = None
    optional: bool = False
    width: float = 12
    docx_width_cm: float | None = None
    type: Literal["number"] | None = None
    align: Align = "center"
    nowrap: bool = False
    # the name of the fields it shows where the header names a part of them (行业大类 of the
    # industry code): in findings, blanks and workbooks; without it, the header
    field_label: str | None = None

    @property
    def label(self) -> str:
        return label_text(self.header[-1] if isinstance(self.header, list) else self.header)


class MultiLayout(Spec):
    """A ranked sheet of many records (``kind: multi``), written as .xlsx and .docx."""

    title: str
    sheet: str = "Sheet1"
    heading_lines: list[str] = []
    before: list[str] = []
    after: list[str] = []
    columns: list[Column]
    notes: list[str] = []
    each: str | None = None
    each_label: str | None = None
    orientation: Orientation = "landscape"
    paper: Literal["A4", "A3"] = "A4"
    fit_width: int = PField(1, ge=1, le=4)
    repeat_columns: int = 0
    xlsx_size: float = 11
    xlsx_font: str = "仿宋_GB2312"
    font: Font | None = None
    page: Page | None = None
    write_empty: bool = False

    def fields(self) -> Iterator[tuple[str, str, bool]]:
        prefix = f"{self.each}[]." if self.each else ""
        if prefix:
            yield self.each, self.each_label or self.each, False
        for col in self.columns:
            if col.field:
                yield prefix + col.field, col.field_label or col.label, col.optional
            for name in col.fields:
                yield name, col.field_label or col.label, col.optional

    def uses(self, single: bool = False) -> tuple[list[str], dict[str, str]]:
        prefix = f"{self.each}[]." if self.each else ""
        return [p for col in self.columns if col.expr for p in expr_paths(col.expr, prefix)], {}


class Need(Spec):
    what: str
    paths: list[str] = []
    labels: list[str] = []
    format: Literal["industry", "period", "kpis"] | None = None
    each: str | None = None
    item: str | None = None
    manual: str | None = None


class ChecklistItem(Spec):
    seq: int
    material: str
    content: str
    needs: list[Need] = []


class Annex(Spec):
    form: Literal["table", "list"] = "table"
    header: list[str] = ["序号", "所需材料", "具体内容"]
    notes: list[str] = []


class ManualItem(Spec):
    clause: int | None = None
    what: str
    hint: str | None = None


class ManualChecks(Spec):
    source: str = ""
    items: list[ManualItem] = []


class ChecklistLayout(Spec):
    """A 申报材料清单 (``kind: checklist``): the annex as published and the 自查表."""

    title: str
    heading_lines: list[str] = []
    annex: Annex | None = None
    items: list[ChecklistItem]
    manual_checks: ManualChecks | None = None

    def fields(self) -> Iterator[tuple[str, str, bool]]:
        return iter(())  # a checklist shows no field as a form does (see uses)

    def uses(self, single: bool = False) -> list[tuple[str, str]]:
        """(path, what) of every record path the ``needs`` read."""
        out = []
        for item in self.items:
            for need in item.needs:
                prefix = f"{need.each}[]." if need.each else ""
                if need.each:
                    out.append((resolve(need.each) or need.each, need.item or ""))
                for i, p in enumerate(need.paths):
                    resolved = resolve(prefix + p)
                    if resolved:
                        out.append((resolved, need.labels[i] if i < len(need.labels) else need.what))
        return out


Layout = Union[SingleLayout, MultiLayout, ChecklistLayout]  # noqa: UP007
LAYOUTS = {"single": SingleLayout, "bureau": SingleLayout, "multi": MultiLayout, "checklist": ChecklistLayout}


# -- the manifest ----------------------------------------------------------------------------


def _when(value):
    """A ``when`` condition: ``{PATH: VALUE | [VALUE...] | {not: …} | {filled: bool}, any:
    [COND...]}`` (see ``record.paths.applies``)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PydanticCustomError("when", "when 应为映射（路径: 取值）")
    for key, wanted in value.items():
        if key == "any":
            if not isinstance(wanted, list) or not all(isinstance(c, dict) for c in wanted):
                raise PydanticCustomError("when", "when.any 应为条件的列表")
            for c in wanted:
                _when(c)
        elif isinstance(wanted, dict):
            bad = [k for k in wanted if k not in ("not", "filled")]
            if bad:
                raise PydanticCustomError(
                    "when",
                    "when.{path} 未知的键 {key}{hint}",
                    {"path": key, "key": bad[0], "hint": _suggest(bad[0], ("not", "filled"))},
                )
    return value


class _Conditional(Spec):
    """A rule setting that applies only to the records its ``when`` holds for."""

    when: dict | None = None

    @model_validator(mode="after")
    def _check_when(self):
        _when(self.when)
        return self


class Split(Spec):
    by: str
    list: str
    key: str
    name: str | None = None


class DocumentSpec(_Conditional):
    id: str
    title: str
    layout: str
    layout_overrides: dict | None = None
    kind: Literal["single", "multi", "bureau", "checklist"] = "single"
    formats: list[Literal["docx", "xlsx"]] = ["docx"]
    filename: str | None = None
    split: Split | None = None

    @model_validator(mode="after")
    def _formats(self):
        if self.kind != "multi" and list(self.formats) != ["docx"]:
            raise PydanticCustomError(
                "formats", "只有多个企业的汇总表（kind: multi）可写成 xlsx；其余文档 formats 只能是 [docx]"
            )
        return self


class Quota(Spec):
    required: bool = False
    default: int | None = None
    soft: bool = False
    by_unit_kind: dict[Literal["city", "province", "plan-listed", "bingtuan", "central"], int] = {}


class Deadline(Spec):
    what: str
    date: dt.date


class AboveScale(_Conditional):
    min_revenue: float
    designations: bool = False


class Accidents(_Conditional):
    forbidden: list[str]
    text: str | None = None


class RecentYears(_Conditional):
    round_year: int


class RegisteredIn(_Conditional):
    province: str


class AddressRegion(_Conditional):
    address: str
    region: str


class RegionCheck(_Conditional):
    province: str
    paths: list[str] = []


class PlaceCheck(_Conditional):
    path: str
    province: str


class IndustryCheck(_Conditional):
    min_level: Literal["门类", "大类", "中类", "小类"]


class ModeItemsCheck(_Conditional):
    pass


class EnumCheck(_Conditional):
    path: str
    enum: str | None = None
    values: list | None = None
    list_title: str | None = None


class LengthCheck(_Conditional):
    path: str | None = None
    paths: list[str] = []
    label: str | None = None
    min: int | None = None
    max: int | None = None
    target: tuple[int, int] | None = None

    @model_validator(mode="after")
    def _one_of(self):
        if bool(self.path) == bool(self.paths):
            raise PydanticCustomError("length", "字数限制须给出 path（一个字段）或 paths（几个字段合计）之一")
        return self


class FiguresCheck(_Conditional):
    min_count: int | None = None
    min_megapixels: float | None = None
    min_mb: float | None = None


class FileCheck(_Conditional):
    path: str
    what: str | None = None


class FactoryNameCheck(_Conditional):
    suffix: str | None = None
    forbidden_suffixes: list[str] = []
    max_length: int


class CompletedBy(_Conditional):
    path: str
    date: dt.date
    what: str | None = None


class JiangsuCheck(_Conditional):
    pass


class DraftSettings(Spec):
    format: bool = False
    structure: bool = False
    figures: bool = False


class Checks(Spec):
    above_scale: AboveScale | None = None
    accidents: Accidents | None = None
    recent_years: RecentYears | None = None
    registered_in: RegisteredIn | None = None
    address_region: list[AddressRegion] = []
    region: RegionCheck | None = None
    places: list[PlaceCheck] = []
    industry: IndustryCheck | None = None
    kpi: list[Union[str, int]] = []  # noqa: UP007
    mode_items: ModeItemsCheck | None = None
    enums: list[EnumCheck] = []
    lists: list[EnumCheck] = []
    cmmm_levels: tuple[int, int] | None = None
    lengths: list[LengthCheck] = []
    figures: FiguresCheck | None = None
    files: list[FileCheck] = []
    factory_name: FactoryNameCheck | None = None
    completed_by: CompletedBy | None = None
    jiangsu: JiangsuCheck | None = None
    draft: dict[str, DraftSettings] = {}


class Manifest(Spec):
    name: str
    title: str
    level: Literal["基础级", "先进级", "卓越级", "领航级"] | None = None
    edition: int | None = None
    quota: Quota | None = None
    deadlines: list[Deadline] | None = None
    checks: Checks | None = None
    documents: list[DocumentSpec] = []


# -- checking a pack folder -------------------------------------------------------------------

_MESSAGES = {
    "missing": "缺少键 {key}",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "date_type": "应为日期（如 2024-11-22）",
    "date_from_datetime_parsing": "应为日期（如 2024-11-22）",
    "date_parsing": "应为日期（如 2024-11-22）",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
}


def place(loc) -> str:
    """A key's place as a pack author reads it: ``blocks[12].table.rows[3][1]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith("·"):
            out += f".{part}" if out else part
    return out


def _value(v) -> str:
    text = v if isinstance(v, str) else repr(v)
    return f"「{text if len(text) <= 40 else text[:37] + '…'}」"


def _messages(err: ValidationError) -> list[tuple[tuple, str, tuple]]:
    """(place as a loc, Chinese message, the loc of the error's key) of each error."""
    out = []
    for e in err.errors():
        loc, kind, given = e["loc"], e["type"], e.get("input")
        if kind == "extra_forbidden" and isinstance(given, _Unknown):
            out.append((loc[:-1], f"未知的键 {given.key}{_suggest(given.key, given.allowed)}", loc))
            continue
        if kind == "missing":
            out.append((loc[:-1], f"缺少键 {loc[-1]}", loc))
            continue
        if kind == "literal_error":
            options = re.findall(r"'([^']*)'|(\d+|True|False|None)", e["ctx"]["expected"])
            options = [a or b for a, b in options]
            text = f"应为 {'、'.join(options)} 之一，却是{_value(given)}{_suggest(str(given), options)}"
        elif kind in ("too_short", "too_long"):
            text = f"应有 {e['ctx'].get('min_length', e['ctx'].get('max_length'))} 项"
        elif kind in _MESSAGES:
            text = _MESSAGES[kind].format(**(e.get("ctx") or {}))
            if kind not in ("greater_than_equal", "less_than_equal"):
                text += f"，却是{_value(given)}"
        elif kind == "union_tag_invalid":
            text = "无法识别的写法"
        else:
            text = e["msg"]
        out.append((loc, text, loc))
    return out


class Problems:
    """The problems found in one pack folder, each ``file: place: message``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.lines: list[str] = []

    def add(self, file: str, where: str, message: str) -> None:
        self.lines.append(f"{self.name(file)}: {where}: {message}" if where else f"{self.name(file)}: {message}")

    def name(self, file: str) -> str:
        from ..datafiles import pack_dirs

        bundled = pack_dirs()[-1]
        target = (self.folder / file).resolve()
        try:
            return str(Path("forms") / target.relative_to(bundled.resolve()))
        except ValueError:
            return str(self.folder / file)


class Checked:
    """A pack as its files describe it, checked: the manifest and each document's layout."""

    def __init__(self, manifest: Manifest, layouts: list):
        self.manifest = manifest
        self.layouts = layouts  # one per manifest document, in order


def _validate(model, data, problems: Problems, file: str, overrides=None, where: str = ""):
    """``data`` as ``model``, or None with its problems added; a problem under a key of
    ``overrides`` (a manifest's ``layout_overrides``) is named in the manifest."""
    try:
        return model.model_validate(data if not overrides else {**data, **overrides})
    except ValidationError as e:
        for loc, message, key in _messages(e):
            if overrides and key and key[0] in overrides:
                problems.add("manifest.yaml", f"{where}.layout_overrides" + (f".{place(loc)}" if loc else ""), message)
            else:
                problems.add(file, place(loc), message)
        return None


@functools.cache
def _derived_names() -> tuple[str, ...]:
    from ..record.derived import derived

    return tuple(derived(Record()))


class _Paths:
    """Checks record paths against the model, naming the place of each."""

    def __init__(self, problems: Problems):
        self.problems = problems

    def check(self, file: str, where: str, path: str, prefix: str = "", root=Record) -> None:
        if not isinstance(path, str) or not path:
            return
        if resolve(prefix + path, root) is None:
            choices = [p[len(_generic(prefix)) :] for p in all_patterns(root) if p.startswith(_generic(prefix))]
            self.problems.add(file, where, f"未知的字段路径 {path}{_suggest(_generic(path), choices)}")

    def expr(self, file: str, where: str, expr: str, prefix: str = "", root=Record, extra=None) -> None:
        """The dotted names of an expression that start at a record field (or ``item``)."""
        roots = {name: root for name in root.model_fields}
        roots.update(extra or {})
        for token in expr_tokens(expr):
            head = re.sub(r"\[\d*\]$", "", token.split(".")[0])
            if head == "item" and prefix and "." in token:
                self.check(file, where, token[len("item.") :], prefix, root)
            elif head == "derived" and root is Record and "." in token:
                name = token.split(".")[1]
                if name not in _derived_names():
                    self.problems.add(file, where, f"未知的派生值 derived.{name}{_suggest(name, _derived_names())}")
            elif head in roots and roots[head] is not root:
                if "." in token:
                    self.check(file, where, token.split(".", 1)[1], "", roots[head])
            elif head in roots:
                self.check(file, where, token, "", root)

    def when(self, file: str, where: str, when) -> None:
        for key, wanted in (when or {}).items():
            if key == "any":
                for i, c in enumerate(wanted or []):
                    self.when(file, f"{where}.any[{i}]", c)
            else:
                self.check(file, where, key)


def _single_paths(model: SingleLayout, file: str, paths: _Paths, root) -> None:
    def cell(c: Values, where: str, prefix: str):
        if c.field:
            paths.check(file, f"{where}.field", c.field, prefix, root)
        for i, f in enumerate(c.fields):
            paths.check(file, f"{where}.fields[{i}]", f, prefix, root)
        for i, f in enumerate(c.attached):
            paths.check(file, f"{where}.attached[{i}]", f, prefix, root)
        for key in ("expr", "rowspan_expr", "colspan_expr"):
            if getattr(c, key, None):
                paths.expr(file, f"{where}.{key}", getattr(c, key), prefix, root)
        if isinstance(c, Cell) and c.checkbox:
            paths.check(file, f"{where}.checkbox.field", c.checkbox.field, prefix, root)
            for i, opt in enumerate(c.checkbox.options):
                if isinstance(opt, Option) and opt.fill:
                    paths.check(file, f"{where}.checkbox.options[{i}].fill", opt.fill, prefix, root)

    def rows(rs, where: str, prefix: str):
        for r, row in enumerate(rs):
            if isinstance(row, RowRepeat):
                paths.check(file, f"{where}[{r}].repeat.each", row.repeat.each, prefix, root)
                rows(row.repeat.rows, f"{where}[{r}].repeat.rows", f"{prefix}{row.repeat.each}[].")
                continue
            cells, at = (row.cells, f"{where}[{r}].cells") if isinstance(row, RowSpec) else (row, f"{where}[{r}]")
            for c, item in enumerate(cells):
                if isinstance(item, Cell):
                    cell(item, f"{at}[{c}]", prefix)

    def blocks(bs, where: str, prefix: str):
        for b, block in enumerate(bs):
            at = f"{where}[{b}]"
            if isinstance(block, PBlock) and isinstance(block.p, PSpec):
                cell(block.p, f"{at}.p", prefix)
            elif isinstance(block, TextBlock):
                paths.check(file, f"{at}.text.field", block.text.field, prefix, root)
            elif isinstance(block, TableBlock):
                rows(block.table.rows, f"{at}.table.rows", prefix)
                _grid(block.table, file, f"{at}.table", paths.problems)
            elif isinstance(block, RepeatBlock):
                paths.check(file, f"{at}.repeat.each", block.repeat.each, prefix, root)
                blocks(block.repeat.blocks, f"{at}.repeat.blocks", f"{prefix}{block.repeat.each}[].")
            elif isinstance(block, ModeItemsBlock):
                paths.check(file, f"{at}.mode_items.chosen", block.mode_items.chosen, prefix, root)
                paths.check(file, f"{at}.mode_items.texts", block.mode_items.texts, prefix, root)

    blocks(model.blocks, "blocks", "")


def _grid(table: TableSpec, file: str, where: str, problems: Problems) -> None:
    """Each row's cells within the table's columns (``widths_cm``), merged cells from rows
    above taken into account, every repeat with one item (a ``rowspan_expr`` spanning to
    the end of its item's rows), as the renderer places them."""

    def item(rows):  # rows left to the end of the repeat's item, for rowspan_expr
        for i, row in enumerate(rows):
            row[2] = len(rows) - i if row[2] is None else row[2]
        return rows

    def flat_items(rs, at):
        out = []  # [place, cells, rows left in the repeat's item (None: not in one)]
        for r, row in enumerate(rs):
            if isinstance(row, RowRepeat):
                out += item(flat_items(row.repeat.rows, f"{at}[{r}].repeat.rows"))
            else:
                out.append([f"{at}[{r}]" + (".cells" if isinstance(row, RowSpec) else ""), _cells(row), None])
        return out

    ncols = len(table.widths_cm)
    occupied: set[tuple[int, int]] = set()
    for r, (place, cells, left) in enumerate(flat_items(table.rows, f"{where}.rows")):
        c = 0
        for cell in cells:
            while (r, c) in occupied:
                c += 1
            spec = cell if isinstance(cell, Cell) else None
            if spec is not None and spec.colspan_expr:
                break  # as wide as the data says: not known here
            cs = spec.colspan if spec else 1
            rs = (left or 1) if spec is not None and spec.rowspan_expr else (spec.rowspan if spec else 1)
            if c + cs > len(table.widths_cm):
                problems.add(
                    file, place, f"格子占到第 {c + cs} 列，超出 widths_cm 的 {ncols} 列（已计入上面各行跨行的格子）"
                )
                break
            occupied.update((r + dr, c + dc) for dr in range(rs) for dc in range(cs))
            c += cs


def _cells(row) -> list:
    return row.cells if isinstance(row, RowSpec) else row


def _multi_paths(model: MultiLayout, file: str, paths: _Paths) -> None:
    header = {"recommender": Recommender}
    for key in ("before", "after"):
        for i, line in enumerate(getattr(model, key)):
            paths.expr(file, f"{key}[{i}]", line, "", Record, header)
    if model.each:
        paths.check(file, "each", model.each)
    prefix = f"{model.each}[]." if model.each else ""
    for i, col in enumerate(model.columns):
        if col.field:
            paths.check(file, f"columns[{i}].field", col.field, prefix)
        for j, f in enumerate(col.fields):
            paths.check(file, f"columns[{i}].fields[{j}]", f)
        if col.expr:
            paths.expr(file, f"columns[{i}].expr", col.expr, prefix)


def recommender_reads(kind: str, model) -> list[str]:
    """The fields of the recommender profile (:class:`~formgen.record.model.Recommender`)
    a document reads, in the order it reads them: a bureau's own document (``kind:
    bureau``, 附件8) is filled from the profile itself; a summary sheet (``multi``) reads
    the unit it is compiled by (``unit``: the profile's, or ``--unit``) and
    ``recommender.X`` in its lines and columns. Other kinds read none.

    >>> m = MultiLayout(title="t", columns=[], before=["fmt(unit) ~ fmt(recommender.date)"])
    >>> recommender_reads("multi", m)
    ['unit', 'date']
    """
    names = list(Recommender.model_fields)
    found: list[str] = []

    def add(name: str) -> None:
        if name in names and name not in found:
            found.append(name)

    if kind == "bureau":
        for node, prefix in _nodes(model.blocks, ""):
            if prefix or not isinstance(node, Values):
                continue
            for name in ([node.field] if node.field else []) + list(node.fields):
                add(name.split(".")[0])
            for key in ("expr", "rowspan_expr", "colspan_expr"):
                for token in expr_tokens(getattr(node, key, None) or ""):
                    add(re.sub(r"\[\d*\]$", "", token.split(".")[0]))
    elif kind == "multi":
        exprs = [*model.before, *model.after, *(col.expr for col in model.columns if col.expr)]
        for expr in exprs:
            for token in expr_tokens(expr):
                head, _, rest = token.partition(".")
                if head == "unit":
                    add("unit")
                elif head == "recommender" and rest:
                    add(rest.split(".")[0])
    return found


def _checklist_paths(model: ChecklistLayout, file: str, paths: _Paths) -> None:
    for i, item in enumerate(model.items):
        for j, need in enumerate(item.needs):
            at = f"items[{i}].needs[{j}]"
            if need.each:
                paths.check(file, f"{at}.each", need.each)
            prefix = f"{need.each}[]." if need.each else ""
            for k, p in enumerate(need.paths):
                paths.check(file, f"{at}.paths[{k}]", p, prefix)
            if need.labels and len(need.labels) != len(need.paths):
                paths.problems.add(file, f"{at}.labels", f"应与 paths 一样多（{len(need.paths)} 项）")


_CHECK_PATHS = {  # the keys of a rule setting that name record paths
    "path": False,
    "paths": True,
    "address": False,
    "region": False,
}


def _manifest_paths(m: Manifest, file: str, paths: _Paths) -> None:
    for i, d in enumerate(m.documents):
        at = f"documents[{i}]"
        paths.when(file, f"{at}.when", d.when)
        if d.split:
            paths.check(file, f"{at}.split.by", d.split.by)
            paths.check(file, f"{at}.split.list", d.split.list)
            paths.check(file, f"{at}.split.key", d.split.key, f"{d.split.list}[].")
    checks = m.checks
    if checks is None:
        return
    ids = [d.id for d in m.documents]
    for doc_id in checks.draft:
        if doc_id not in ids:
            paths.problems.add(file, "checks.draft", f"没有文档 {doc_id}{_suggest(doc_id, ids)}")
    if checks.kpi:
        from ..record.refdata import kpis

        known = [k for k in kpis() if k != "ranges"]
        for i, name in enumerate(checks.kpi):
            if str(name) not in known:
                paths.problems.add(
                    file, f"checks.kpi[{i}]", f"未知的指标表 {name}（data/kpi.yaml 有：{'、'.join(known)}）"
                )
    for key in ("enums", "lists"):
        for i, entry in enumerate(getattr(checks, key)):
            if entry.enum is None and entry.values is None:
                paths.problems.add(file, f"checks.{key}[{i}]", "须给出 enum（列表名）或 values（取值）")
            elif entry.enum is not None:
                from ..record.refdata import enums

                if entry.enum not in enums():
                    message = f"未知的列表 {entry.enum}{_suggest(entry.enum, enums())}"
                    paths.problems.add(file, f"checks.{key}[{i}].enum", message)
    for name in Checks.model_fields:
        value = getattr(checks, name)
        entries = value if isinstance(value, list) else [value]
        for k, entry in enumerate(entries):
            if not isinstance(entry, _Conditional):
                continue
            at = f"checks.{name}" + (f"[{k}]" if isinstance(value, list) else "")
            paths.when(file, f"{at}.when", entry.when)
            for key, many in _CHECK_PATHS.items():
                if key not in type(entry).model_fields:
                    continue
                v = getattr(entry, key)
                for j, p in enumerate(v if many else [v]):
                    paths.check(file, f"{at}.{key}" + (f"[{j}]" if many else ""), p)


def _unreadable(e: Exception) -> str:
    """One line for a file that cannot be read: where YAML's syntax breaks, or why."""
    mark = getattr(e, "problem_mark", None)
    if mark is not None:
        return f"YAML 格式有误（第 {mark.line + 1} 行第 {mark.column + 1} 列）：{getattr(e, 'problem', '') or e}"
    return "无法读取：" + (getattr(e, "strerror", None) or str(e)).replace("\n", " ")


def _layout_data(folder: Path, doc: DocumentSpec, problems: Problems, where: str):
    from ..datafiles import read_data_yaml

    path = folder / doc.layout
    if not path.is_file():
        problems.add("manifest.yaml", f"{where}.layout", f"找不到版式文件 {doc.layout}")
        return None
    try:
        data = read_data_yaml(path)
    except Exception as e:  # noqa: BLE001 - any unreadable file is one problem line
        problems.add(doc.layout, "", _unreadable(e))
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.add(doc.layout, "", "版式文件应为映射（键: 值）")
        return None
    return data


def check_folder(folder: Path, manifest_data=None) -> Checked | Problems:
    """Every problem of the pack in ``folder``, or its checked models."""
    from ..datafiles import read_data_yaml

    problems = Problems(folder)
    paths = _Paths(problems)
    if manifest_data is None:
        try:
            manifest_data = read_data_yaml(folder / "manifest.yaml")
        except Exception as e:  # noqa: BLE001 - any unreadable file is one problem line
            problems.add("manifest.yaml", "", _unreadable(e))
            return problems
    if not isinstance(manifest_data, dict):
        problems.add("manifest.yaml", "", "清单应为映射（键: 值）")
        return problems
    manifest = _validate(Manifest, manifest_data, problems, "manifest.yaml")
    if manifest is not None:
        if manifest.name != folder.name:  # a pack is chosen by its folder's name (--pack, pack:)
            problems.add("manifest.yaml", "name", f"应与表格包文件夹名 {folder.name} 一致，却是{_value(manifest.name)}")
        _manifest_paths(manifest, "manifest.yaml", paths)
        documents = manifest.documents
    else:  # the layouts are checked all the same, those whose entry can be read
        documents = []
        for raw in manifest_data.get("documents") or []:
            try:
                documents.append(DocumentSpec.model_validate({**raw, "when": None, "split": None}))
            except (ValidationError, TypeError):
                documents.append(None)
    layouts = []
    for i, doc in enumerate(documents):
        if doc is None:
            layouts.append(None)
            continue
        where = f"documents[{i}]"
        data = _layout_data(folder, doc, problems, where)
        if data is None:
            layouts.append(None)
            continue
        # the overrides are keys of the layout, checked with it (named in the manifest)
        model = _validate(LAYOUTS[doc.kind], data, problems, doc.layout, doc.layout_overrides, where)
        if model is not None:
            if isinstance(model, SingleLayout):
                _single_paths(model, doc.layout, paths, Recommender if doc.kind == "bureau" else Record)
            elif isinstance(model, MultiLayout):
                _multi_paths(model, doc.layout, paths)
            else:
                _checklist_paths(model, doc.layout, paths)
        layouts.append(model)
    if problems.lines or manifest is None:
        return problems
    return Checked(manifest, layouts)


def summarize(folder: Path, manifest_data=None) -> list[str] | dict:
    """The pack in ``folder`` as ``packs.load_pack`` keeps it between runs: its problems
    (one line each), or plain data (no model classes needed to read it back): the
    manifest's settings and, per document, the layout's fields and the paths it reads
    as the walkers of its model give them."""
    checked = check_folder(folder, manifest_data)
    if isinstance(checked, Problems):
        return checked.lines
    m = checked.manifest
    documents = []
    for d, model in zip(m.documents, checked.layouts, strict=True):
        documents.append(
            {
                "id": d.id,
                "title": d.title,
                "kind": d.kind,
                "formats": list(d.formats),
                "layout": d.layout,
                "layout_overrides": d.layout_overrides,
                "filename": d.filename or d.id,
                "when": d.when,
                "split": d.split.model_dump(exclude_none=True) if d.split else None,
                "fields": list(model.fields()) if d.kind in ("single", "multi") else [],
                "attached": model.attached() if d.kind == "single" else [],
                "uses": model.uses(d.kind == "single"),
            }
        )
    return {
        "name": m.name,
        "title": m.title,
        "edition": m.edition,
        "level": m.level,
        "quota": m.quota.model_dump(exclude_unset=True) if m.quota else {},
        "deadlines": [x.model_dump() for x in m.deadlines or []],
        "documents": documents,
    }
