"""Records as YAML: ``formgen init``'s blanks (the complete one, with a Chinese comment on
every field, and one for a pack and level, from the field catalogue), and a record
written out as YAML (``formgen convert``)."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from ..record.loader import _inner_model
from ..record.model import Record
from ..record.refdata import kpi_names

HEADER = """\
# formgen 企业申报记录（一个企业、一个智能工厂申报，一份记录填写所有表格）
# 填写说明：冒号后填写内容；不适用的项留空。金额单位为万元，百分比填数字（如 45.3）。
# 日期写 2024-03-01，年月写 2024-03。长文本写在 “|” 之后的缩进行里：
#   空一行开始新的段落；段落内的换行会被连接起来（汉字之间不加空格），可以随意折行。
# 检查：formgen validate 本文件 --pack shanghai；生成：formgen fill 本文件 --pack shanghai
"""


def _comment(info) -> str:
    parts = [info.title or ""]
    if info.description:
        parts.append(info.description)
    return "：".join(p for p in parts if p)


def _is_list(annotation) -> bool:
    return typing.get_origin(annotation) is list


def _is_dict(annotation) -> bool:
    return typing.get_origin(annotation) is dict


def _emit(model: type[BaseModel], indent: int, lines: list[str], first_prefix: str = ""):
    pad = " " * indent
    for i, (name, info) in enumerate(model.model_fields.items()):
        prefix = first_prefix if i == 0 and first_prefix else pad
        note = _comment(info)
        ann = info.annotation
        inner = _inner_model(ann)
        if name == "schema_version":
            lines.append(f"{prefix}{name}: 1  # {note}")
        elif name == "kpis":
            lines.append(f"{prefix}{name}:  # {note}")
            for kpi in kpi_names("2025"):
                lines.append(f"{pad}  {kpi}:")
        elif _is_list(ann) and inner is not None:
            lines.append(f"{prefix}{name}:  # {note}（可填多项，每项以 - 开头）")
            _emit(inner, indent + 4, lines, first_prefix=pad + "  - ")
        elif _is_list(ann):
            lines.append(f"{prefix}{name}: []  # {note}（列表，如 [甲, 乙]）")
        elif _is_dict(ann):
            lines.append(f"{prefix}{name}: {{}}  # {note}")
        elif inner is not None:
            lines.append(f"{prefix}{name}:  # {note}")
            _emit(inner, indent + 2, lines)
        else:
            lines.append(f"{prefix}{name}:  # {note}")


def blank_record() -> str:
    lines: list[str] = []
    _emit(Record, 0, lines)
    return HEADER + "\n".join(lines) + "\n"


# --- a blank for one pack and level (formgen init FILE --pack P --level L) -----------------


def _yaml_key(key: str) -> str:
    """``key`` as a YAML mapping key, quoted only when it must be."""
    import yaml

    text = yaml.safe_dump(key, allow_unicode=True, width=10_000).splitlines()[0]
    return text


def field_comment(f) -> str:
    """One line about a field: label, note, what may be written, and who needs it."""
    head = "：".join(x for x in (f.label, f.note) if x)
    need = f"必填（{'、'.join(f.documents)}）" if f.required else ""
    tail = "；".join(x for x in (f.summary(), need) if x)
    return f"{head}【{tail}】" if tail else head


def header_lines(cat) -> list[str]:
    """What the blank is for, the documents it makes, and how to write values."""
    pack = cat.pack
    level = f"，申报层级：{cat.level}" if cat.level else ""
    singles = [d.title for d in cat.documents if d.kind in ("single", "checklist")]
    multis = [d.title for d in cat.documents if d.kind == "multi"]
    required = sum(1 for f in cat.fields if f.required)
    lines = [
        f"formgen 企业申报记录：{pack.title}{level}",
        f"只列出此表格包在此层级用到的 {len(cat.fields)} 项（其中必填 {required} 项）；其他省份的字段不在其中。",
    ]
    if singles:
        lines.append("将生成：" + "；".join(singles))
    if multis:
        lines.append("推荐单位汇总时用到：" + "；".join(multis))
    return lines


def _how_to_run(cat) -> str:
    """The commands that check this record and make what its pack makes of it: 申报书 by
    fill, Jiangsu's 自评价表 by selfeval; a pack of bureau sheets only is checked here and
    summed up by the bureau."""
    from ..packs.pack import MADE_BY

    check = "检查：formgen validate 本文件"
    commands = list(dict.fromkeys(MADE_BY[d.kind] for d in cat.documents if d.kind in ("single", "checklist")))
    if commands:
        return f"{check}；生成：" + "、".join(f"{c} 本文件 --out 输出文件夹" for c in commands)
    if cat.pack is not None and "jiangsu" in cat.pack.checks:
        return f"{check}；生成自评价表：formgen selfeval 本文件 --out 输出文件夹"
    return f"{check}（此表格包的表格由推荐单位汇总生成）"


def pack_blank(cat) -> str:
    """A YAML blank of the catalogue's fields: pack and level filled in, every other field
    empty with its label, note, limits and options in a comment."""
    out = ["# " + line for line in header_lines(cat)]
    out += [
        "# 填写说明：冒号后填写内容；不适用的项留空。金额单位为万元，百分比填数字（如 45.3）。",
        "# 日期写 2024-03-01，年月写 2024-03。长文本写在 “|” 之后的缩进行里：",
        "#   空一行开始新的段落；段落内的换行会被连接起来（汉字之间不加空格），可以随意折行。",
        "# 【】里是可填写的内容和限制；“必填”后是要求填写它的表格。",
        "# " + _how_to_run(cat),
        "schema_version: 1",
    ]
    fixed = {"pack": cat.pack.name, "factory.level": cat.level}
    _emit_tree(_tree(cat), 0, out, fixed)
    return "\n".join(out) + "\n"


def _tree(cat) -> dict:
    """The catalogue's fields nested by path (top-level keys in the order the sections
    first appear; inside a section, the record model's order)."""
    from ..catalogue import MODE_ITEMS, _model_fields

    order = [b.path for b in _model_fields()[0]]

    def model_index(f):
        if f.path.startswith(MODE_ITEMS + "."):
            return order.index(MODE_ITEMS)
        return order.index(f.path[:-2] if f.entry else f.path)

    tops: list[str] = []
    for f in cat.fields:
        top = f.path.split(".")[0].replace("[]", "").replace("{}", "")
        if top not in tops:
            tops.append(top)
    tree: dict = {}
    for f in sorted(
        cat.fields, key=lambda f: (tops.index(f.path.split(".")[0].replace("[]", "").replace("{}", "")), model_index(f))
    ):
        if f.path.startswith(MODE_ITEMS + "."):
            node = tree.setdefault("narrative", {}).setdefault("mode_items", {})
            node.setdefault("#items", []).append(f)
            continue
        parts = f.path.split(".")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = f
    return tree


def _emit_tree(node: dict, indent: int, out: list[str], fixed: dict, path: str = "", first: str = ""):
    """Write ``node`` (from :func:`_tree`) as YAML lines; ``first`` replaces the
    indentation of the first line (a list item's "- ")."""
    from ..catalogue import Field, _model_fields

    titles = _model_fields()[1]
    pad = " " * indent
    for i, (key, value) in enumerate(node.items()):
        lead = first if first and i == 0 else pad
        here = f"{path}.{key}" if path else key
        if isinstance(value, Field):
            f = value
            if f.entry:
                out.append(f"{lead}{key[:-2]}:  # {field_comment(f)}")
                out += [f"{pad}  {_yaml_key(option)}:" for option in f.options]
            elif f.multiple:
                out.append(f"{lead}{key}: []  # {field_comment(f)}（列表，如 [甲, 乙]）")
            elif fixed.get(f.path):
                out.append(f"{lead}{key}: {_yaml_key(fixed[f.path])}  # {field_comment(f)}")
            else:
                out.append(f"{lead}{key}:  # {field_comment(f)}")
        elif "#items" in value:  # narrative.mode_items: a commented template
            out.append(f"{lead}{key}: {{}}  # {titles.get(here, key)}：所选的每个模式下，附件5 每一项的内容")
            out.append(
                f"{pad}  # 勾选了哪个智能制造模式，就删去上一行的 {{}}，去掉该模式各行行首的“# ”再填写；未勾选的模式不要填写。"
            )
            mode = None
            for f in value["#items"]:
                m = f.path.split(".")[2]
                if m != mode:
                    mode = m
                    out.append(f"{pad}  # {_yaml_key(m)}:  # {f.group}")
                out.append(f"{pad}  #   {f.key}: |  # {f.title}：{f.note}")
                out.append(f"{pad}  #     （在此填写）")
        elif key.endswith("[]"):
            out.append(f"{lead}{key[:-2]}:  # {titles.get(here, key)}（可填多项，每项以 - 开头）")
            _emit_tree(value, indent + 4, out, fixed, here, first=pad + "  - ")
        else:
            title = titles.get(here, "")
            out.append(f"{lead}{key}:  # {title}" if title else f"{lead}{key}:")
            _emit_tree(value, indent + 2, out, fixed, here)


# --- a blank recommender profile (formgen init FILE --recommender) ---------------------------


def recommender_comment(f) -> str:
    """One line about a profile field: label, note, what may be written, whether it must be
    given, and the documents that print it."""
    head = "：".join(x for x in (f.label, f.note) if x)
    if f.required:
        need = "必填（或在命令行用 --unit 给出）"
    else:
        need = "选填"
    used = "、".join(f.documents) if f.documents else ""
    if f.path == "unit_kind" and not used:
        used = "推荐名额"
    tail = "；".join(x for x in (f.summary(), need, f"用于：{used}" if used else "目前没有表格印出此项") if x)
    return f"{head}【{tail}】"


def recommender_blank(cat) -> str:
    """A YAML blank of the recommender profile: every field of ``cat``
    (:func:`formgen.catalogue.recommender_catalogue`) empty, with its label, note, options
    and the documents that print it in a comment; the head says what the profile is for and
    which documents read which fields."""
    pack = cat.pack
    what = f"：{pack.title}" if pack is not None else ""
    out = [
        f"# formgen 推荐单位资料{what}（推荐单位自己的信息，不是企业的申报记录）",
        "# 用途：推荐单位汇总的表格（汇总表、推荐表）和推荐单位自己的文件（如承诺书）从这里取推荐单位的名称、联系人、日期等。",
        f"# 使用：formgen summary 申报记录文件夹 --pack {pack.name if pack is not None else '表格包'} --recommender 本文件"
        " --out 输出文件夹（命令行的 --unit、--unit-kind 优先于本文件）",
    ]
    if pack is not None:
        out.append(f"# 只列出此表格包用到的 {len(cat.fields)} 项；其他表格包用到的项不在其中。")
    out.append("# 用到本资料的表格：")
    for owner, doc, names in cat.documents:
        where = "" if pack is not None else f"{owner.name} "
        out.append(f"#   {where}{doc.title}（{'、'.join(_label(cat, n) for n in names)}）")
    out += [
        "# 填写说明：冒号后填写内容；不适用的项留空。日期写 2024-03-01。【】里是可填写的内容和限制。",
    ]
    for f in cat.fields:
        out.append(f"{f.path}:  # {recommender_comment(f)}")
    return "\n".join(out) + "\n"


def _label(cat, name: str) -> str:
    f = cat.get(name)
    return f.label if f is not None else name


# --- a record as YAML (formgen convert B.xlsx A.yaml) ------------------------------------------


def _dumper():
    import decimal

    import yaml

    class Dumper(yaml.SafeDumper):
        """Plain dates and year-months (the loader reads no timestamps), long texts as
        literal blocks, amounts as written."""

    Dumper.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
    }

    def text(dumper, value: str):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    def number(dumper, value: decimal.Decimal):
        written = format(value, "f")
        try:
            exact = decimal.Decimal(repr(float(written))) == value
        except (OverflowError, ValueError):
            exact = False
        if not exact:  # more digits than a YAML float keeps: as text, which the record reads exactly
            return dumper.represent_scalar("tag:yaml.org,2002:str", written)
        tag = "tag:yaml.org,2002:float" if "." in written else "tag:yaml.org,2002:int"
        return dumper.represent_scalar(tag, written)

    def date(dumper, value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value.isoformat())

    import datetime

    Dumper.add_representer(str, text)
    Dumper.add_representer(decimal.Decimal, number)
    Dumper.add_representer(datetime.date, date)
    return Dumper


def _pruned(model) -> dict:
    """The fields of ``model`` that hold something, in the model's order (mapping entries
    are kept even when empty: a KPI named without a value is part of the record)."""
    from pydantic import BaseModel

    out: dict = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            value = _pruned(value)
            if value:
                out[name] = value
        elif isinstance(value, list):
            if value:
                out[name] = [_pruned(x) if isinstance(x, BaseModel) else x for x in value]
        elif isinstance(value, dict):
            if value:
                out[name] = value
        elif value is not None:
            out[name] = value
    return out


def record_yaml(record, source: str = "") -> str:
    """``record`` as a YAML record file that loads as an equal record."""
    import yaml

    head = f"# formgen 企业申报记录（由 formgen convert 从 {source} 转换）\n" if source else ""
    head += "# 长文本：空一行开始新的段落；段落内的换行会被连接起来（汉字之间不加空格）。\n"
    body = yaml.dump(
        _pruned(record), Dumper=_dumper(), allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False
    )
    return head + body
