"""The web form of one record, described entirely by the field catalogue
(:mod:`formgen.catalogue`): which fields, in which sections and order, their labels, notes,
options and 字数 limits. Nothing here names a field of a form.

Two directions:

- :func:`page` turns a catalogue and a record into the tree the template draws: sections,
  groups, fields with their values as typed, and lists (scenarios, figures …) with one item
  per entry and an empty item to copy when the user adds one;
- :func:`record_data` turns what the page posts (``{path: text}`` with concrete paths such
  as ``scenarios[2].name``, and mapping entries ``{path, key, value}``) back into the data a
  record file holds, reading each text as :func:`formgen.doors.workbook.cell_value` reads a cell,
  and :func:`check` type-checks it with the loader and runs the real rules, so the page
  shows the same codes and messages as ``formgen validate``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel

from ..catalogue import Catalogue, Field, Sheet, catalogue, length_totals, levels, sample_record
from ..record.findings import ERROR, SEVERITY_ZH, Finding
from ..record.loader import Loaded, build
from ..record.model import Record

MAX_LIST_ITEMS = 500  # the most items any list of a record may hold on the page (scenarios, equipment, years …)
MAX_POSTED_VALUES = 20000  # values, entries or list items one page posts
MAX_PATH_CHARS = 200  # the longest field path a page posts
MAX_JSON_BYTES = 4 * 1024 * 1024  # a page's whole record as JSON (its long texts included) is far smaller
MAX_JSON_DEPTH = 32  # a page posts mappings and lists a few levels deep


def posted_json(request) -> dict:
    """The JSON mapping a page posted, within the limits above: FormError (400) for what is
    not JSON or nests deeper than any page posts; werkzeug's 413 for a body too large."""
    from werkzeug.exceptions import RequestEntityTooLarge

    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise RequestEntityTooLarge(f"请求内容超过 {MAX_JSON_BYTES // 1048576} MB 的上限，已拒绝")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise RequestEntityTooLarge(f"请求内容超过 {MAX_JSON_BYTES // 1048576} MB 的上限，已拒绝")
    if _depth_over(raw, MAX_JSON_DEPTH):
        raise FormError(f"请求内容嵌套超过 {MAX_JSON_DEPTH} 层，已拒绝")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise FormError("请求内容应为 JSON")
    return body


def _depth_over(raw: bytes, limit: int) -> bool:
    """Whether JSON text nests brackets deeper than ``limit`` (brackets inside strings ignored).

    >>> _depth_over(b'{"a": [[1]], "b": "[[[["}', 3), _depth_over(b'[[[[1]]]]', 3)
    (False, True)
    """
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class FormError(ValueError):
    """What the page posted cannot be a record of this form (one line, Chinese)."""


# --- values as the page shows them ------------------------------------------------------


def pack_of(name: str | None):
    """(pack or None, finding when the name is not a pack)."""
    from ..packs.pack import PackError, available, get_pack

    if not name:
        return None, None
    try:
        return get_pack(name), None
    except PackError:
        if name in available():  # there, but its files have problems (formgen pack check says which)
            said = f"表格包“{name}”的文件有误，暂不能使用；请联系提供此表格包的人员"
            return None, Finding("PK001", "error", "pack", "表格包", said)
        choices = "、".join(title for _, title in pack_choices())
        return None, Finding("PK001", "error", "pack", "表格包", f"没有表格包“{name}”（可选：{choices}）")


def shown(value, f: Field | None = None) -> str:
    """A record value as typed into the page: numbers as written, dates ISO, 是/否, one
    value a line for several."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "\n".join(shown(v) for v in value)
    return str(value)


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list:
    """'scenarios[2].equipment[0].name' -> ['scenarios', 2, 'equipment', 0, 'name']."""
    if not path or path.startswith(".") or ".." in path:
        raise FormError(f"字段路径无效：{path}")
    if len(path) > MAX_PATH_CHARS:
        raise FormError("字段路径过长，已拒绝")
    parts: list = []
    pos = 0
    for m in _PART.finditer(path):
        if m.start() != pos and path[pos : m.start()] != ".":
            raise FormError(f"字段路径无效：{path}")
        if m.group(1) is None and (len(m.group(2)) > 6 or int(m.group(2)) >= MAX_LIST_ITEMS):
            raise FormError(f"列表最多 {MAX_LIST_ITEMS} 项，序号超出上限，已拒绝")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if pos != len(path) or not parts or isinstance(parts[0], int):
        raise FormError(f"字段路径无效：{path}")
    return parts


def value_at(obj, parts: list):
    for p in parts:
        if obj is None:
            return None
        if isinstance(p, int):
            obj = obj[p] if isinstance(obj, list) and p < len(obj) else None
        elif isinstance(obj, dict):
            obj = obj[p] if p in obj else obj.get(int(p)) if p.isdigit() else None
        elif isinstance(obj, BaseModel):
            obj = getattr(obj, p, None)
        else:
            return None
    return obj


# --- the page's words ----------------------------------------------------------------------


@functools.cache
def pack_choices() -> tuple[tuple[str, str], ...]:
    """(name, title as its manifest gives it) of every pack, for the pack drop-down."""
    from ..packs.pack import PackError, available, get_pack

    out = []
    for name in available():
        try:
            out.append((name, get_pack(name).title))
        except PackError:
            out.append((name, name))
    return tuple(out)


_PLACE = re.compile(r"(\w{2,3}?)[省市]")


def _place(title: str) -> str:
    """The province a pack's title begins with, without 省/市 (甘肃省智能工厂… -> 甘肃); "" for
    a pack of no province (the national one).

    >>> _place("甘肃省智能工厂梯度培育申报（2025年）"), _place("上海市先进级智能工厂申报（2025年）")
    ('甘肃', '上海')
    >>> _place("卓越级智能工厂项目推荐（2024年度，报工业和信息化部）")
    ''
    """
    m = _PLACE.match(title)
    return m.group(1) if m else ""


def _places() -> set[str]:
    return {p for p in (_place(title) for _, title in pack_choices()) if p}


def own_words(text: str, pack) -> str:
    """``text`` (a field's note) without what it says for another province's pack only: a
    bracket, or a part between ；/。, naming another pack's province and not ``pack``'s (an
    example, 如 …, stays). Without a pack, all of it.

    >>> class P: title = "甘肃省智能工厂梯度培育申报（2025年）"
    >>> own_words("须为所用版本指引中的场景名称（上海用2025年版）", P)
    '须为所用版本指引中的场景名称'
    >>> own_words("成熟度等级；1-5级；上海只受理L3-L5", P)
    '成熟度等级；1-5级'
    >>> own_words("如 上海市、甘肃省", P), own_words("甘肃附件3 一（三）", P)
    ('如 上海市、甘肃省', '甘肃附件3 一（三）')
    """
    if pack is None or not text:
        return text
    own = _place(pack.title)
    others = _places() - {own}

    def foreign(part: str) -> bool:
        named = {p for p in others if p in part}
        return bool(named) and not (own and own in part) and not part.lstrip().startswith("如")

    text = re.sub(r"（([^（）]*)）", lambda m: "" if foreign(m.group(1)) else m.group(0), text)
    pieces = re.split(r"([；。])", text)
    kept: list[str] = []
    for i in range(0, len(pieces), 2):
        part, mark = pieces[i], pieces[i + 1] if i + 1 < len(pieces) else ""
        if part.strip() and not foreign(part):
            kept.append(part + mark)
    return "".join(kept).rstrip("；。") if kept else ""


def page_label(f: Field) -> str:
    """The label the page shows: the catalogue's, where it tells two fields of one block
    apart by their titles (起止日期·起止日期（起）), the title alone when it repeats the label.

    >>> page_label(Field("a.start", "应用建设起止日期·应用建设起止日期（起）", "应用建设起止日期（起）"))
    '应用建设起止日期（起）'
    >>> page_label(Field("p.start", "项目建设期(**年**月-**年**月)·项目建设期（起）", "项目建设期（起）"))
    '项目建设期（起）'
    >>> page_label(Field("a.b", "组织机构代码·统一社会信用代码", "统一社会信用代码"))
    '组织机构代码·统一社会信用代码'
    """
    head, dot, tail = f.label.partition("·")
    stem = re.sub(r"[（(][^（）()]*[）)]", "", head).strip()
    if dot and tail == f.title and stem and f.title.startswith(stem):
        return f.title
    return f.label


_FILE_ONLY = re.compile(r"--[a-z]|\b(?:true|false)=")  # a command option; YAML's spelling of 是/否
_DATE_PATTERN = re.compile(r"[，,]?\s*YYYY-MM(?:-DD)?")  # the page's hint says 如 2024-03-01


def _plain_words(text: str) -> str:
    """``text`` without what speaks to the writer of a file rather than of the page: command
    options, true/false, YYYY-MM-DD patterns, packs by their file names (the page shows titles).

    >>> _plain_words("按哪个省份（表格包）的规则检查和生成，如 shanghai、gansu；命令行 --pack 优先")
    ''
    >>> _plain_words("甘肃附件2；true=是，false=否；用于检查：近三年事故")
    '甘肃附件2；用于检查：近三年事故'
    >>> _plain_words("甘肃附件1 提交时间，YYYY-MM-DD")
    '甘肃附件1 提交时间'
    """
    names = [name for name, _ in pack_choices()]
    text = _DATE_PATTERN.sub("", text)
    pieces = re.split(r"([；。])", text)
    kept: list[str] = []
    for i in range(0, len(pieces), 2):
        part, mark = pieces[i], pieces[i + 1] if i + 1 < len(pieces) else ""
        if not part.strip() or _FILE_ONLY.search(part) or any(re.search(rf"\b{n}\b", part) for n in names):
            continue
        kept.append(part + mark)
    return "".join(kept).rstrip("；。")


_ANNEX_ONLY = re.compile(r"^[\u4e00-\u9fff]{0,3}附件[\d/、，,]+$")  # 甘肃附件6: the (附件6) after the note says it


def _core(part: str) -> str:
    """A piece of a note as compared with another: no brackets, punctuation, spaces or 请简要说明."""
    return re.sub(r"[（）()\s，,、：:。；“”]|请简要说明|请说明", "", part)


def _once(text: str, label: str = "") -> str:
    """``text`` with each thing said once: a piece (between ；/。) that another piece says
    in full (the catalogue's short note beside the annex's own hint, a limit the hint repeats)
    is left out, and so are a bare annex reference that the documents after the note name and
    the field's label said again.

    >>> _once("生产设备运行状态监控的情况；（请简要说明生产设备运行状态监控的情况）")
    '（请简要说明生产设备运行状态监控的情况）'
    >>> _once("长文本；不超过500字。不超过500字；（从智能装备应用等方面进行简要描述，不超过500字。）")
    '长文本；（从智能装备应用等方面进行简要描述，不超过500字。）'
    >>> _once("年月；如 2024-03。应用建设起止日期（起）", label="应用建设起止日期（起）")
    '年月；如 2024-03'
    >>> _once("甘肃附件6 细分行业"), _once("甘肃附件6"), _once("甘肃附件2/3")
    ('甘肃附件6 细分行业', '', '')
    """
    pieces = re.split(r"([；。])", text)
    parts = [(pieces[i], pieces[i + 1] if i + 1 < len(pieces) else "") for i in range(0, len(pieces), 2)]
    # a bracket's 。 splits it; keep an unclosed bracket with the pieces that close it
    merged: list[list[str]] = []
    for part, mark in parts:
        if merged and merged[-1][0].count("（") > merged[-1][0].count("）"):
            merged[-1][0] += merged[-1][1] + part
            merged[-1][1] = mark
        else:
            merged.append([part, mark])
    cores = [_core(part) for part, _ in merged]
    kept = []
    for i, (part, mark) in enumerate(merged):
        core = cores[i]
        if not core or _ANNEX_ONLY.match(core) or core == _core(label):  # the label said again
            continue
        if any(
            j != i and (core == other or (len(core) >= 2 and core in other)) and (len(other) > len(core) or j > i)
            for j, other in enumerate(cores)
        ):
            continue
        kept.append(part + mark)
    return "".join(kept).rstrip("；。") if kept else ""


def page_note(f: Field, pack) -> str:
    """The note under a field: what may be written (type, bounds, options, limits), the
    field's own note and the documents that use it, in the words of ``pack`` only and of
    the page (:func:`_plain_words`)."""
    said = _plain_words(f.summary())
    said = "" if said == f.kind_zh else said  # 选项 alone: the drop-down says it
    note = _plain_words(own_words(f.note, pack))
    text = _once(said + ("。" if said and note else "") + note, page_label(f))
    return text + (f"（{'、'.join(f.documents)}）" if f.documents else "")


def page_place(path: str, cat: Catalogue) -> str:
    """Where a finding about ``path`` is on the page, in the page's words: the field's label
    and the number of the item it is in (「典型场景描述」第 4 项; for a nested list, each
    item: 第 1 项 · 关键装备 第 2 项); a mapping entry by its name.

    >>> cat = catalogue(None)
    >>> page_place("scenarios[3].description", cat), page_place("enterprise.name", cat)
    ('「应用描述」第 4 项', '「企业名称」')
    >>> page_place("scenarios[0].equipment[1].kind", cat)
    '「种类」第 1 项 · 关键装备 第 2 项'
    """
    f, label, rest = None, "", path
    while rest:
        f = cat.find(rest)
        if f is not None:
            label = page_label(f)
            break
        table = re.sub(r"\[\d+\]", "[]", rest) + "[]"
        if table in cat.titles:
            label = cat.titles[table]
            break
        cut = max(rest.rfind("."), rest.rfind("["))
        rest = rest[:cut] if cut > 0 else ""
    where = f"「{label}」" if label else ""
    if f is not None and f.entry:
        key = path[len(f.path) - 1 :] if path.startswith(f.path[:-2] + ".") else ""
        return where + (f"“{key}”" if key else "")
    rows = []
    for m in re.finditer(r"\[(\d+)\]", path):
        table = re.sub(r"\[\d+\]", "[]", path[: m.start()]) + "[]"
        title = cat.titles.get(table, "") if rows else ""
        rows.append(f"{title} 第 {int(m.group(1)) + 1} 项".strip())
    return where + " · ".join(rows)


# --- the page's tree ----------------------------------------------------------------------


@dataclass
class Control:
    """One field on the page."""

    field: Field
    path: str  # concrete (scenarios[0].name), or the pattern inside an item template
    value: str
    options: list = field(default_factory=list)  # [(group label or "", [values])]
    extra: list = field(default_factory=list)  # values the record holds outside the options
    hidden: bool = False  # a field the chosen pack and level do not ask (kept, and posted)
    label: str = ""  # the label the page shows (page_label)
    note: str = ""  # the note the page shows (page_note)
    locked: bool = False  # shown, not to be changed (the intake's link fixes the enterprise's name)

    @property
    def chosen(self) -> set[str]:
        return set(self.value.split("\n")) if self.field.multiple else {self.value}


@dataclass
class Item:
    index: int | None  # None: the template copied for a new item
    parts: list  # Controls and Lists


@dataclass
class ListNode:
    sheet: Sheet
    path: str  # the list's concrete path (scenarios, scenarios[0].equipment) or its pattern
    items: list[Item]
    template: Item

    @property
    def hidden(self) -> bool:
        return all(p.hidden for p in self.template.parts)


@dataclass
class Entries:
    """A mapping the user names the keys of (kpis: 指标名 → 数值)."""

    field: Field
    path: str  # kpis
    entries: list[tuple[str, str]]
    hidden: bool = False
    note: str = ""


@dataclass
class Group:
    title: str
    parts: list

    @property
    def hidden(self) -> bool:
        return all(p.hidden for p in self.parts)


@dataclass
class Section:
    key: str
    title: str
    parts: list  # Controls, Groups, Entries; or a single ListNode for a table section
    totals: list = field(default_factory=list)  # (Total, its count now): 字数 limits over several fields

    @property
    def hidden(self) -> bool:
        return all(p.hidden for p in self.parts)


def _options(f: Field, pack) -> list:
    if not f.options:
        return []
    if f.path in ("scenarios[].name", "factory.excellent_scenarios") and pack is not None and pack.edition:
        from ..record.refdata import catalogue as scenario_catalogue

        cat = scenario_catalogue(pack.edition)
        if set(f.options) == {s.name for s in cat.scenarios}:
            return [(stage, [s.name for s in cat.scenarios if s.stage == stage]) for stage in cat.stages]
    return [("", list(f.options))]


def _control(f: Field, path: str, value, pack, asked: set[str] | None) -> Control:
    text = shown(value, f)
    options = _options(f, pack)
    known = {o for _, group in options for o in group}
    have = [v for v in (text.split("\n") if f.multiple else [text]) if v]
    # a value outside the options stays selectable, also where a field has no options at
    # all (an enumeration a pack leaves empty): never dropped by a save that changes nothing
    extra = [v for v in have if v not in known and (options or f.kind != "bool")]
    hidden = asked is not None and f.path not in asked
    return Control(f, path, text, options, extra, hidden, page_label(f), page_note(f, pack))


def _concrete(pattern: str, indices: list[int]) -> str:
    out = pattern
    for i in indices:
        out = out.replace("[]", f"[{i}]", 1)
    return out


def _list_node(sheet: Sheet, children: dict, record, indices: list[int] | None, pack, asked) -> ListNode:
    """A table sheet as a list: an item per entry of the record (for a nested table, of the
    parent item at ``indices``), and the template item."""
    pattern = sheet.key[:-2]  # scenarios, scenarios[].equipment
    path = _concrete(pattern, indices) if indices is not None else pattern
    items_value = value_at(record, split_path(path)) if indices is not None else None
    items = []
    for i, item in enumerate(items_value or []):
        items.append(_item(sheet, children, record, [*(indices or []), i], item, pack, asked))
    return ListNode(sheet, path, items, _item(sheet, children, record, None, None, pack, asked))


def _item(sheet: Sheet, children: dict, record, indices: list[int] | None, item, pack, asked) -> Item:
    parts: list = []
    for f in sheet.fields:
        path = _concrete(f.path, indices) if indices is not None else f.path
        parts.append(_control(f, path, getattr(item, f.key, None) if item is not None else None, pack, asked))
    for child in children.get(sheet.key, []):
        parts.append(_list_node(child, children, record, indices, pack, asked))
    return Item(indices[-1] if indices is not None else None, parts)


def page(cat: Catalogue, record, asked: set[str] | None = None) -> list[Section]:
    """The record's sections in the order of the forms; the fields outside ``asked`` (field
    patterns, :func:`asked_fields`) are drawn hidden, for the page to show when another pack
    or level is chosen."""
    pack = cat.pack
    sheets = cat.sheets()
    children: dict[str, list[Sheet]] = {}
    for s in sheets:
        if s.parent:
            children.setdefault(s.parent, []).append(s)
    out: list[Section] = []
    for s in sheets:
        if s.parent:
            continue  # drawn inside each item of its parent
        if s.is_table:
            out.append(Section(s.key, s.title, [_list_node(s, children, record, [], pack, asked)]))
            continue
        parts: list = []
        group: Group | None = None
        for f in s.fields:
            if f.entry:
                base = f.path[:-2]
                held = value_at(record, split_path(base)) or {}
                hidden = asked is not None and f.path not in asked
                node = Entries(f, base, [(str(k), shown(v)) for k, v in held.items()], hidden, page_note(f, pack))
            else:
                node = _control(f, f.path, value_at(record, split_path(f.path)), pack, asked)
            if f.group:
                if group is None or group.title != f.group:
                    group = Group(f.group, [])
                    parts.append(group)
                group.parts.append(node)
            else:
                group = None
                parts.append(node)
        out.append(Section(s.key, s.title, parts))
    _place_totals(out, cat, record)
    return out


def _place_totals(sections: list[Section], cat: Catalogue, record) -> None:
    """Each combined 字数 limit goes to the section holding its first field."""
    from ..record.textcount import word_count

    for total in length_totals(cat.pack, cat.level):
        for s in sections:
            if any(isinstance(c, Control) and c.path == total.paths[0] for c in _controls(s.parts)):
                n = sum(word_count(value_at(record, split_path(p)) or "") for p in total.paths if "[]" not in p)
                s.totals.append((total, n))
                break


def _controls(parts):
    for p in parts:
        if isinstance(p, Group):
            yield from _controls(p.parts)
        else:
            yield p


def level_of(record, pack) -> str | None:
    """The level a record's page is laid out for: the record's, when its pack takes it; else
    the pack's own."""
    level = record.factory.level if record is not None else None
    if pack is not None and level not in levels(pack):
        level = pack.level
    return level


def form_catalogue(record, pack) -> Catalogue:
    """The catalogue a record's page is drawn from: every field of the record model, with
    the labels, notes and limits of its pack at its level (:func:`level_of`), and every other
    field the record holds; :func:`asked_fields` says which of them the page shows."""
    return catalogue(pack, level_of(record, pack), everything=True).with_record(record)


def applying(record, pack, level: str | None) -> tuple[str, ...] | None:
    """The ids of ``pack``'s documents that apply to ``record`` at ``level`` (what the record
    holds decides some: Gansu 附件2 applies when 优秀场景 are named); None without a record."""
    if record is None or pack is None:
        return None
    factory = record.factory.model_copy(update={"level": level})
    return tuple(d.id for d in pack.documents_for(record.model_copy(update={"pack": pack.name, "factory": factory})))


def documents_made(record, pack, level: str | None) -> list[str]:
    """The titles of the documents made for ``record`` by ``pack`` at ``level`` (without a
    record: those that apply at the level)."""
    if pack is None:
        return []
    ids = applying(record, pack, level)
    return [
        d.title
        for d in (pack.documents_for(sample_record(pack.name, level)) if ids is None else pack.documents)
        if ids is None or d.id in ids
    ]


def asked_fields(pack, level: str | None, record=None) -> set[str] | None:
    """The field patterns the page shows for ``pack`` at ``level``: those the pack asks of
    ``record`` (:func:`formgen.catalogue.catalogue`, the documents that apply to it, and the
    fields that decide whether one applies), and the fields worked out from one of them (a
    scenario's 环节 from its name, filled in on the page); None without a pack (every field)."""
    from ..record.derived import DERIVED

    if pack is None:
        return None
    out = {f.path for f in catalogue(pack, level, documents=applying(record, pack, level))}
    out |= {p for p, d in DERIVED.items() if d.source in out and d.holds(pack)}
    everything = catalogue(pack, level, everything=True)
    out |= {p for d in pack.documents for p in _condition_paths(d.when) if p in everything}
    return out


def _condition_paths(when) -> list[str]:
    """The record fields a document's ``when`` names (what decides whether it applies: the
    优秀场景 that call for Gansu 附件2): the page asks for them.

    >>> _condition_paths({"any": [{"factory.level": "基础级"}, {"factory.excellent_scenarios": {"filled": True}}]})
    ['factory.level', 'factory.excellent_scenarios']
    """
    out: list[str] = []
    if isinstance(when, dict):
        for k, v in when.items():
            if k in ("any", "all", "not"):
                for c in v if isinstance(v, list) else [v]:
                    out += _condition_paths(c)
            elif "." in k:
                out.append(k)
    elif isinstance(when, list):
        for c in when:
            out += _condition_paths(c)
    return out


def parse_catalogue(record) -> Catalogue:
    """The catalogue what a page posts is read by: every field of the record model (the
    page may have been drawn for another pack or level than the one now chosen) and every
    other entry the record on disk holds."""
    cat = catalogue(None)
    return cat.with_record(record) if record is not None else cat


def layout(pack, level: str | None, record=None) -> dict:
    """What the page needs to lay itself out again for ``pack`` at ``level`` when either is
    chosen, before saving (form.js): every field it shows (label, note, kind, required,
    字数 limit, options), the order of the sections, the combined 字数 limits, the level
    taken and the documents made (for ``record``, as it is on disk). Fields it leaves out are hidden."""
    if pack is not None and level not in levels(pack):
        level = pack.level
    cat = catalogue(pack, level, everything=True)  # labels and notes as the level's forms give them
    asked = asked_fields(pack, level, record)
    fields = {}
    for f in cat:
        if asked is not None and f.path not in asked:
            continue
        spec: dict = {"label": page_label(f), "note": page_note(f, pack), "kind": f.kind, "required": f.required}
        if f.max_chars:
            spec["limit"] = f.max_chars
        if f.kind in ("enum", "enums"):
            spec["options"] = _options(f, pack)
        fields[f.path] = spec
    return {
        "pack": pack.name if pack is not None else "",
        "title": pack.title if pack is not None else "",
        "level": level or "",
        "documents": documents_made(record, pack, level),
        "names": dict(pack_choices()),
        "sections": [s.key for s in cat.sheets() if not s.parent],
        "fields": fields,
        "totals": [
            {"label": t.label, "paths": list(t.paths), "min": t.minimum, "max": t.maximum}
            for t in length_totals(pack, level)
        ],
    }


# --- what the page posts, back into a record --------------------------------------------------


def _put(data: dict, parts: list, value) -> None:
    node = data
    for here, nxt in zip(parts, parts[1:], strict=False):
        if isinstance(here, int):
            while len(node) <= here:
                node.append({})
            if not isinstance(node[here], (dict, list)):
                raise FormError("字段路径冲突")
            node = node[here]
            continue
        if not isinstance(node, dict):
            raise FormError("字段路径冲突")
        node = node.setdefault(here, [] if isinstance(nxt, int) else {})
    last = parts[-1]
    if isinstance(last, int) or not isinstance(node, dict):
        raise FormError("字段路径冲突")
    node[last] = value


def _ensure(data: dict, parts: list) -> None:
    """Make the list item at ``parts`` exist (an item added and left empty)."""
    node = data
    for here, nxt in zip(parts, [*parts[1:], None], strict=True):
        if isinstance(here, int):
            while len(node) <= here:
                node.append({})
            node = node[here]
        else:
            node = node.setdefault(here, [] if isinstance(nxt, int) else {})


def record_data(
    cat: Catalogue, values: dict, entries: list, items: list | None = None
) -> tuple[dict, list[Finding], list[str]]:
    """The record data the page's ``values`` (concrete path -> text), mapping ``entries``
    ({path, key, value}) and list ``items`` (concrete paths of items that exist, empty or
    not) stand for, the problems of single values (a number that is not one), and the
    paths of the values those problems left out."""
    if not isinstance(values, dict) or not isinstance(entries, list):
        raise FormError("表单数据格式不正确")
    if max(len(values), len(entries), len(items or [])) > MAX_POSTED_VALUES:
        raise FormError(f"表单数据超过 {MAX_POSTED_VALUES} 项的上限，已拒绝")
    from ..doors.workbook import cell_value

    data: dict = {}
    problems: list[Finding] = []
    left_out: list[str] = []
    for path in items or []:
        if not isinstance(path, str):
            raise FormError("表单数据格式不正确")
        parts = split_path(path)
        generic = re.sub(r"\[\d+\]", "[]", path)
        if not isinstance(parts[-1], int) or not any(f.table == generic for f in cat):
            raise FormError(f"表单中没有这个列表：{path}")
        _ensure(data, parts)
    for path, raw in values.items():
        if not isinstance(path, str) or not isinstance(raw, str):
            raise FormError("表单数据格式不正确")
        f = cat.find(path)
        if f is None or f.entry:
            raise FormError(f"表单中没有这个字段：{path}")
        parts = split_path(path)
        try:
            value = cell_value(f, raw)
        except ValueError as e:
            problems.append(Finding("IN007", ERROR, path, f.label, str(e)))
            left_out.append(path)
            continue
        if value is None:
            continue
        _put(data, parts, value)
    for e in entries:
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) for k in ("path", "key", "value")):
            raise FormError("表单数据格式不正确")
        f = cat.find(f"{e['path']}.x")
        if f is None or not f.entry or f.path[:-2] != e["path"]:
            raise FormError(f"表单中没有这个字段：{e['path']}")
        key = e["key"].strip()
        if not key:
            if e["value"].strip():
                problems.append(Finding("IN007", ERROR, e["path"], f.label, "填写了数值，但没有填名称"))
            continue
        try:
            value = cell_value(f, e["value"])
        except ValueError as err:
            problems.append(Finding("IN007", ERROR, f"{e['path']}.{key}", key, str(err)))
            left_out.append(f"{e['path']}.{key}")
            continue
        node = data
        for p in split_path(e["path"]):
            node = node.setdefault(p, {})
        node[key] = value
    return data, problems, left_out


def check(
    path: Path,
    data: dict,
    pack,
    problems: list[Finding] | None = None,
    left_out: list[str] | None = None,
    today: dt.date | None = None,
) -> tuple[Loaded, list[Finding]]:
    """Every finding ``formgen validate`` gives for ``data`` as the record file ``path``,
    with what :func:`record_data` found (``problems``; ``left_out``, the values it could not
    read): built as the loader builds a file (:func:`formgen.record.loader.build`: a value of the
    wrong type is one finding and left out, so the other rules still run on the rest)."""
    from .. import app

    loaded = build(path, data, {}, Record, problems, left_out=left_out)
    return loaded, app.validate(loaded, pack, today=today)


def finding_dict(f: Finding, cat: Catalogue | None = None) -> dict:
    """A finding as the page shows it, in the page's words: severity, rule code, the field's
    label as the page shows it with the number of its item (:func:`page_place`, ``cat``: the
    page's catalogue, else the record model's), and ``formgen validate``'s message. The
    path stays in ``path``, for the page to place it, and is never shown."""
    cat = cat if cat is not None else catalogue(None)
    message = f.message
    if f.code == "PK001" and f.path == "pack" and "--pack" in message:  # formgen validate's advice
        from ..app import PACK_CHECKS

        message = f"未选择表格包，只做了与省份无关的检查；未检查：{PACK_CHECKS}。请在“表格包”一栏中选择"
    where = page_place(f.path, cat) if f.path else ""
    where = where or (f"「{f.label}」" if f.label else "")
    return {
        "code": f.code,
        "severity": f.severity,
        "path": f.path,
        "label": f.label,
        "message": message,
        "text": f"{SEVERITY_ZH[f.severity]} {f.code} {where}：{message}"
        if where
        else f"{SEVERITY_ZH[f.severity]} {f.code}：{message}",
    }


def finding_dicts(findings: list[Finding], record=None, pack=None) -> list[dict]:
    """:func:`finding_dict` of each finding, in the words of the page drawn for ``record``
    and ``pack`` (the record model's without a record)."""
    cat = form_catalogue(record, pack) if record is not None else catalogue(pack, everything=True)
    return [finding_dict(f, cat) for f in findings]


__all__ = ["FormError", "form_catalogue", "page", "record_data", "check", "shown", "split_path", "value_at"]


def hidden_filled(sections: list[Section]) -> int:
    """How many values the record holds in fields the page hides (another pack's or level's):
    kept, and saved with the rest."""
    n = 0

    def walk(parts, hidden: bool):
        nonlocal n
        for p in parts:
            if isinstance(p, Control):
                n += bool((hidden or p.hidden) and p.value.strip())
            elif isinstance(p, ListNode):
                for item in p.items:
                    walk(item.parts, hidden or p.hidden)
            elif isinstance(p, Entries):
                n += sum(1 for _, v in p.entries if (hidden or p.hidden) and v.strip())
            elif isinstance(p, Group):
                walk(p.parts, hidden)

    for s in sections:
        walk(s.parts, False)
    return n


def page_paths(sections: list[Section]) -> set[str]:
    """Every path the page has an element ``f-PATH`` for: fields, lists, mapping entries."""
    out: set[str] = set()

    def walk(parts):
        for p in parts:
            if isinstance(p, Control):
                out.add(p.path)
            elif isinstance(p, ListNode):
                out.add(p.path)
                for item in p.items:
                    walk(item.parts)
            elif isinstance(p, Entries):
                out.add(p.path)
                out.update(f"{p.path}.{k}" for k, _ in p.entries)
            elif isinstance(p, Group):
                walk(p.parts)

    for s in sections:
        walk(s.parts)
    return out


def target(path: str, paths: set[str]) -> str:
    """The element a finding about ``path`` is shown at: the field, else the nearest list or
    block that holds it (scenarios[2] -> scenarios), "" when the page has none."""
    while path:
        if path in paths:
            return path
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return ""


def placed(findings: list[dict], paths: set[str]) -> dict[str, list[dict]]:
    """The findings by the element they are shown at (each gets its ``target``)."""
    out: dict[str, list[dict]] = {}
    for f in findings:
        f["target"] = target(f["path"], paths)
        if f["target"]:
            out.setdefault(f["target"], []).append(f)
    return out
