"""``formgen init``: a complete blank record with a Chinese comment on every field."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from .loader import _inner_model
from .record import Record
from .refdata import kpi_names

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
