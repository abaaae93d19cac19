"""A record being read back from filled forms (Word forms and annex sheets alike): values
put at their record paths with where each was read, what the forms disagree on, and what
is finished once the whole form is read (totals, places, what the document itself says).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..catalogue import Field, catalogue
from ..packs.pack import Document, Pack
from ..record.findings import ERROR, WARNING, Finding
from ..record.paths import join as join_path
from .draft import _norm
from .readback import Reading, ReadProblem, Slot, Value, ticked_options, values_of

# -- assembling a record from values -----------------------------------------------------------


_INDEX = re.compile(r"\[(-?\d+|\+)\]")


@dataclass
class Imported:
    """One record read from a form."""

    source: Path
    document: Document
    data: dict = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)  # record path -> where in the form
    labels: dict[str, str] = field(default_factory=dict)  # record path -> the form's label
    findings: list[Finding] = field(default_factory=list)
    figures: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, bytes)
    row: int | None = None  # the sheet row of a multi-record form
    extra_sources: list[Path] = field(default_factory=list)  # other forms merged in
    # items a form addresses as its list's last (上年末总资产: financials[-1]), by their
    # concrete path (enterprise.financials[0]): another form's items go before them
    lasts: set[str] = field(default_factory=set)
    extra_documents: list[Document] = field(default_factory=list)  # the form each of extra_sources was read as
    # values printed from ``a or b`` (法人代表/负责人电话), put once the record is read:
    # (the alternatives' concrete paths, the text, where, label); see finish_eithers
    eithers: list[tuple[tuple[str, ...], str, str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str((self.data.get("enterprise") or {}).get("name") or "")

    def add(self, code: str, severity: str, where: str | None, label: str, message: str, path: str = ""):
        self.findings.append(Finding(code, severity, path, label, message, str(self.source), where))

    def put(self, path: str, value, where: str, label: str) -> None:
        """Set ``path`` (``scenarios[1].name``, ``kpis.销售增长率``) to ``value`` read at
        ``where``; a second, different value for the same path is reported, not taken."""
        parts = _split(path)
        node = self.data
        concrete = []
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if _is_index(part):
                # [+] a new item at the end; [-1] the last one (the first when none yet)
                from_end = part == -1
                part = len(node) if part == "+" else (max(len(node) - 1, 0) if from_end else part)
                while len(node) <= part:
                    node.append({} if not _is_index(nxt) else [])
                node = node[part]
            else:
                from_end = False
                node = node.setdefault(part, [] if _is_index(nxt) else {})
            concrete.append(f"[{part}]" if isinstance(part, int) else f".{part}")
            if from_end:
                self.lasts.add("".join(concrete).lstrip("."))
        path = "".join(concrete).lstrip(".") + (f".{parts[-1]}" if concrete else str(parts[-1]))
        last = parts[-1]
        if isinstance(last, int):
            while len(node) <= last:
                node.append(None)
            old = node[last]
            node[last] = value if old is None else old
        else:
            old = node.get(last)
            if old is None or _finer_industry(last, old, value):
                node[last], old = value, None
        if old is not None and old != value:
            self.add(
                "IM003",
                WARNING,
                where,
                label,
                f"「{label}」在{self.places.get(path, '前文')}写作“{_brief(old)}”，此处又写作“{_brief(value)}”：按前者读入",
                path,
            )
            return
        self.places.setdefault(path, where)
        self.labels.setdefault(path, label)


def _split(path: str) -> list:
    out: list = []
    for piece in path.split("."):
        m = re.fullmatch(r"([^\[]*)((?:\[(?:-?\d+|\+)\])*)", piece)
        name, idx = (m.group(1), m.group(2)) if m else (piece, "")
        if name:
            out.append(name)
        out += [x if x == "+" else int(x) for x in _INDEX.findall(idx)]
    return out


def _is_index(part) -> bool:
    return part == "+" or isinstance(part, int)


def _finer_industry(key: str, old, new) -> bool:
    """A 大类/中类 code read after its 门类 (三 cells of one 所属行业): the finer one stands."""
    from ..record.refdata import industry_chain

    if key != "gbt4754" or not isinstance(new, str) or not isinstance(old, str):
        return False
    chain = [c.code for c in industry_chain(new)]
    return old in chain[:-1]


def _brief(value) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:30] + "…"


_CATALOGUE = None


def field_of(path: str) -> Field | None:
    global _CATALOGUE
    if _CATALOGUE is None:
        _CATALOGUE = catalogue(everything=True)
    return _CATALOGUE.find(path)


def typed(path: str, raw):
    """Raw text as the record model reads the field at ``path`` (numbers without their
    unit, 2021年1月 as 2021-01, 是/否, several values one a line). A list of texts printed
    on one line is split where the form joined it (the 、 of ``written.join_items``, not
    one inside “”), unless written one a line or with ；."""
    from ..record.written import split_items
    from .workbook import cell_value

    f = field_of(path)
    if f is None or not isinstance(raw, str):
        return raw
    if f.kind == "texts" and not re.search(r"[\n；;]", raw):
        raw = "\n".join(split_items(raw))
    return cell_value(f, raw)


def put_values(rec: Imported, values: list[Value], where: str, label: str) -> None:
    for v in values:
        try:
            value = typed(v.path, v.value)
        except ValueError as e:
            rec.add("IM002", ERROR, where, label, f"「{label}」{e}", v.path)
            continue
        if value is not None:
            rec.put(v.path, value, where, label)


def read_spec(rec: Imported, spec: dict, r: Reading, text: str, base: str, where: str, label: str) -> bool:
    """Read one cell's (or paragraph's) text by its reading into ``rec``. False when the
    text does not have the frame the form prints."""
    if r.checkbox is not None:
        _read_checkbox(rec, r.checkbox, text, base, where, label)
        return True
    got = r.match(text)
    if got is None:
        return False
    for slot, raw in got.items():
        if slot.how == "either":  # which field it is is told once the record is read
            paths = tuple(join_path(base, p) for p in [slot.path, *slot.key.split("\n")])
            rec.eithers.append((paths, raw, where, label))
            continue
        if slot.how in ("aggregate", "place"):  # finished once the whole form is read
            rec.data.setdefault(f"__{slot.how}s__", []).append((slot, raw, base, where, label))
            continue
        try:
            put_values(rec, values_of(slot, raw, base), where, label)
        except ReadProblem as e:
            rec.add("IM002", ERROR, where, label, f"「{label}」{e}", join_path(base, slot.path))
    return True


def _read_checkbox(rec: Imported, box: dict, text: str, base: str, where: str, label: str) -> None:
    """The ticked options: by their tick in the text (☑/√/■ before the label), a
    ``fill`` option with the text written in its blank."""
    labels, values, fills = [], [], []
    for opt in box["options"]:
        if isinstance(opt, dict):
            lab = str(opt.get("label", opt["value"]))
            labels.append(lab.split("{}")[0] if opt.get("fill") else lab)
            values.append(opt["value"])
            fills.append(opt.get("fill"))
        else:
            labels.append(str(opt))
            values.append(opt)
            fills.append(None)
    chosen = ticked_options(text, labels)
    path = join_path(base, box["field"])
    f = field_of(path)
    picked = [values[labels.index(c)] for c in chosen]
    for c in chosen:
        i = labels.index(c)
        if fills[i]:
            m = re.search(re.escape(_norm(labels[i])) + r"(.*?)[）)]", _norm(text))
            written = m.group(1).strip() if m else ""
            if written:
                rec.put(join_path(base, fills[i]), written, where, label)
    if not picked:
        return
    if f is not None and f.multiple:
        rec.put(path, picked, where, label)
    elif len(picked) > 1:
        shown = "、".join(chosen)
        rec.add("IM004", ERROR, where, label, f"「{label}」只能勾选一项，却勾选了 {shown}：未读入", path)
    else:
        rec.put(path, picked[0], where, label)


def finish_aggregates(rec: Imported) -> None:
    """A total, earliest or union over a list read back: exact when the list has one
    item (it is that item's value); otherwise listed as not read, never spread."""
    for slot, raw, base, where, label in rec.data.pop("__aggregates__", []):
        items = _at(rec.data, join_path(base, slot.path)) or []
        if not raw.strip():
            continue
        if len(items) == 1:
            put_values(rec, values_of(Slot(slot.key), raw, f"{join_path(base, slot.path)}[0]"), where, label)
        else:
            n = len(items)
            rec.add(
                "IM005",
                WARNING,
                where,
                label,
                f"「{label}」是 {n} 项的汇总值，无法分到各项，未读入：请在记录中逐项填写",
                join_path(base, slot.path),
            )


def finish_eithers(rec: Imported, items_only: bool = False) -> None:
    """A value printed from ``a or b`` (附件2's 法人代表/负责人电话: the legal
    representative's phone, else the head's) put into the field that was printed: ``a``
    is printed whenever it is not empty, so the value is the first alternative's that the
    record read holds equal to it (nothing more to put); else it goes to the last
    alternative that can have been printed (every one before it empty in the record read,
    and itself empty or equal): ``b`` when the record read has neither (附件2: the
    企业负责人电话 the pack asks for; no form asks for the 法定代表人's), ``a`` when it
    has a different ``b``. Nothing is put into a field that was not printed; a value no
    alternative can have printed is put into the first, where it is reported (IM003).
    ``items_only``: only those whose fields are in a list's item (settled within one form);
    the others wait for the forms of the same enterprise to be merged."""
    waiting = []
    for paths, raw, where, label in rec.eithers:
        if items_only and not all("[" in p for p in paths):
            waiting.append((paths, raw, where, label))
            continue
        text = raw.strip(" \t\n\u3000")
        if not text:
            continue
        try:
            values = [typed(p, text) for p in paths]
        except ValueError as e:
            rec.add("IM002", ERROR, where, label, f"「{label}」{e}", paths[0])
            continue
        held = [_at(rec.data, p) for p in paths]
        target = paths[0]
        for i, (path, value, old) in enumerate(zip(paths, values, held, strict=True)):
            if any(h not in (None, "") for h in held[:i]):
                break  # an earlier alternative is not empty: this one was not printed
            if old == value:
                target = None  # printed from a field the record read holds
                break
            if old in (None, ""):
                target = path
        if target is not None:
            rec.put(target, values[paths.index(target)], where, label)
    rec.eithers = waiting


def pack_province(pack: Pack) -> str:
    """The province whose places a pack's forms name (``checks.region``, else the
    province the enterprise must be registered in); '' for a national pack."""
    for key in ("region", "registered_in"):
        cfg = (pack.checks or {}).get(key)
        if isinstance(cfg, dict) and cfg.get("province"):
            return str(cfg["province"])
    return ""


def finish_places(rec: Imported, province: str) -> None:
    """所属地区 printed as one text (兰州市七里河区) split into the region block's city and
    district by the administrative divisions of ``province``: 兰州市 and 七里河区, with the
    province when the place is one of its. A city or a county alone goes to its field;
    text that is neither is kept whole as the district, with a warning at its cell."""
    from ..rules.region import _divisions, split_place

    for slot, raw, base, where, label in rec.data.pop("__places__", []):
        text = re.sub(r"\s+", "", raw)
        if not text:
            continue
        block = join_path(base, slot.path)
        divisions = _divisions(province) if province else {}
        counties = {d for names in divisions.values() for d in names}
        parts = split_place(province, text) if province else None
        city = district = None
        if text in divisions:
            city = text
        elif parts:
            city, district = parts
        elif text in counties:
            district = text
        else:
            district = text
            rec.add(
                "IM007",
                WARNING,
                where,
                label,
                f"「{label}」“{_brief(text)}”分不出市（州）和县（市、区）：整段读作县（市、区），请在记录中核对",
                f"{block}.district",
            )
        if city in divisions or (city is None and district in counties):
            rec.put(f"{block}.province", province, where, label)
        if city:
            rec.put(f"{block}.city", city, where, label)
        if district:
            rec.put(f"{block}.district", district, where, label)


def document_facts(doc: Document, pack: Pack | None = None) -> list[tuple[str, object]]:
    """What a form says by being the document it is: the plain conditions of its ``when``
    (Gansu 附件3 甘肃省基础级智能工厂申报书 is a 基础级 applicant's: factory.level 基础级),
    and the level of a pack that receives one (Shanghai: 先进级)."""
    out: list[tuple[str, object]] = []
    if pack is not None and pack.level:
        out.append(("factory.level", pack.level))
    for path, wanted in (doc.when or {}).items():
        if path == "any" or isinstance(wanted, dict):
            continue
        if isinstance(wanted, list):
            if len(wanted) != 1:
                continue
            wanted = wanted[0]
        out.append((path, wanted))
    return out


def finish_document(rec: Imported, pack: Pack) -> None:
    """What the whole form gives once its cells are read: 所属地区 split within the pack's
    province, and what its title says (the level the document is for), after what its
    cells say (a cell that says otherwise is kept, the difference reported: IM003)."""
    finish_places(rec, pack_province(pack))
    title = rec.document.title
    head, _, rest = title.partition(" ")
    where = f"标题「{rest if rest and head.startswith('附件') else title}」"
    for path, value in document_facts(rec.document, pack):
        f = field_of(path)
        put_values(rec, [Value(path, value)], where, f.label if f else path)
    split = rec.document.split
    if split:  # 附件2 is the 优秀场景申报书 of the scenario it lists
        keys = list(dict.fromkeys(_item_keys(rec, split)))
        f = field_of(split["by"])
        if keys:
            rec.put(split["by"], keys, where, f.label if f else split["by"])


def _item_keys(rec: Imported, split: dict) -> list:
    """The key (a scenario's name) of each item of a split document's list, None where absent."""
    items = _at(rec.data, split["list"]) or []
    return [x.get(split["key"]) if isinstance(x, dict) else None for x in items]


def _at(data, path: str):
    node = data
    for part in _split(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


# -- single-record Word forms -------------------------------------------------------------------
