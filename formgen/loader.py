"""Load a record (or recommender profile) from YAML, typed and checked.

Problems that stop a file from being read at all (not UTF-8, malformed YAML, a
duplicated key, an unknown key, a wrong type) raise :class:`LoadError`, which carries
one finding per problem with the file, line and field path.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from .findings import ERROR, Finding, path_str
from .record import Recommender, Record
from .types import _XML_ILLEGAL, xml_illegal_chars


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML's own timestamp parsing: dates stay text here and
    are parsed by the record model, so 2024-13-01 is a field error, not a crash."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class LoadError(Exception):
    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(f.text() for f in findings))


@dataclass
class Loaded:
    """A record with where it came from, so findings can point at lines."""

    record: BaseModel
    path: Path
    lines: dict  # path string -> 1-based line

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def line_of(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def _walk(node, loc, lines, dups, locs=None):
    lines[path_str(loc)] = node.start_mark.line + 1
    if locs is not None:
        locs[path_str(loc)] = loc
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dups.append((loc + (key,), key_node.start_mark.line + 1, seen[key]))
            seen[key] = key_node.start_mark.line + 1
            _walk(value_node, loc + (key,), lines, dups, locs)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, loc + (i,), lines, dups, locs)


def _model_at(model: type[BaseModel], loc) -> tuple[type[BaseModel] | None, str]:
    """The model owning the last element of ``loc`` and that field's title."""
    owner: type[BaseModel] | None = model
    title = ""
    for part in loc:
        if owner is None:
            return None, title
        if isinstance(part, int):
            continue
        info = owner.model_fields.get(part)
        if info is None:
            return owner, title
        title = info.title or part
        owner = _inner_model(info.annotation)
    return owner, title


def _inner_model(annotation):
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        for sub in typing.get_args(arg):
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                return sub
    return None


def label_for(model: type[BaseModel], loc) -> str:
    """Chinese label of the field at ``loc`` (with the ordinal of list items)."""
    parts = []
    owner: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            if parts:
                parts[-1] = f"{parts[-1]}第{part + 1}项"
            continue
        info = owner.model_fields.get(part) if owner else None
        if info is None:
            parts.append(str(part))
            owner = None
            continue
        parts.append(info.title or part)
        owner = _inner_model(info.annotation)
    return "·".join(parts)


_TYPE_ZH = {
    "missing": "缺少此项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true（是）或 false（否）",
    "bool_type": "应为 true（是）或 false（否）",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期，不含时间",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "string_type": "应为文本",
    "list_type": "应为列表（每项以 - 开头）",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射",
    "finite_number": "应为有限数字",
}


def _message(err: dict) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "literal_error":
        return f"应为以下之一：{ctx.get('expected', '').replace(' or ', ', ')}；实际为 {got!r}"
    if kind == "string_pattern_mismatch":
        return f"格式不符：{got!r}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "")
        return f"应{op}{bound}；实际为 {got!r}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    base = _TYPE_ZH.get(kind, err["msg"])
    if kind != "missing" and got is not None and not isinstance(got, (dict, list)):
        return f"{base}；实际为 {got!r}"
    return base


def _read_yaml(path: Path, model):
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise LoadError([Finding("IN001", ERROR, "", "", f"无法读取文件：{e.strerror}", str(path))]) from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LoadError(
            [Finding("IN002", ERROR, "", "", f"文件不是 UTF-8 编码（第 {e.start} 字节）", str(path))]
        ) from e
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.reader.ReaderError as e:
        raise LoadError(_control_char_findings(path, text, model)) from e
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        problem = (e.problem or "格式错误").strip()
        raise LoadError(
            [
                Finding(
                    "IN003",
                    ERROR,
                    "",
                    "",
                    f"YAML 格式错误（{where}）：{problem}",
                    str(path),
                    mark.line + 1 if mark else None,
                )
            ]
        ) from e
    except yaml.YAMLError as e:
        raise LoadError([Finding("IN003", ERROR, "", "", f"YAML 格式错误：{e}", str(path))]) from e
    return node, data


def _control_char_findings(path: Path, text: str, model) -> list[Finding]:
    """Name the fields that hold raw control characters YAML (and XML) refuse."""
    clean = _XML_ILLEGAL.sub("\ufffd", text)
    lines: dict = {}
    locs: dict = {}
    try:
        _walk(yaml.compose(clean, Loader=_Loader), (), lines, [], locs)
    except yaml.YAMLError:
        pass
    by_line: dict = {}
    for p, ln in lines.items():
        if len(p) >= len(by_line.get(ln, "")):
            by_line[ln] = p
    out = []
    for no, content in enumerate(text.splitlines(), 1):
        bad = xml_illegal_chars(content)
        if bad:
            p = by_line.get(no, "")
            out.append(
                Finding(
                    "IN008",
                    ERROR,
                    p,
                    label_for(model, locs.get(p, ())),
                    f"含有文档不允许的控制字符 {', '.join(bad)}",
                    str(path),
                    no,
                )
            )
    return out or [Finding("IN008", ERROR, "", "", "文件含有不允许的控制字符", str(path))]


def load(path: str | Path, model: type[BaseModel] = Record) -> Loaded:
    """Read and type-check one YAML file; raise LoadError listing every problem."""
    path = Path(path)
    node, data = _read_yaml(path, model)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LoadError([Finding("IN004", ERROR, "", "", "文件顶层应为键值映射（字段名: 值）", str(path), 1)])
    lines: dict = {}
    dups: list = []
    if node is not None:
        _walk(node, (), lines, dups)
    problems = [
        Finding(
            "IN005",
            ERROR,
            path_str(loc),
            label_for(model, loc),
            f"字段重复（第 {first} 行已出现），后一个会覆盖前一个",
            str(path),
            line,
        )
        for loc, line, first in dups
    ]
    try:
        record = model.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(err["loc"])
            p = path_str(loc)
            line = lines.get(p) or lines.get(path_str(loc[:-1]))
            if err["type"] == "extra_forbidden":
                owner, _ = _model_at(model, loc[:-1])
                known = list(owner.model_fields) if owner else []
                near = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
                hint = f"，是否想写 {near[0]}？" if near else ""
                problems.append(Finding("IN006", ERROR, p, str(loc[-1]), f"未知字段 {loc[-1]}{hint}", str(path), line))
            else:
                problems.append(Finding("IN007", ERROR, p, label_for(model, loc), _message(err), str(path), line))
    if problems:
        raise LoadError(sorted(problems, key=lambda f: f.line or 0))
    return Loaded(record, path, lines)


def load_recommender(path: str | Path) -> Loaded:
    return load(path, Recommender)
