"""Load a record (or recommender profile) from YAML, typed and checked.

Problems that stop a file from being read at all raise :class:`LoadError`, which
carries one finding per problem with the file, line and field path: a file that is
not a regular file or is over MAX_FILE_BYTES (IN001), not UTF-8 (IN002), malformed
YAML explained in Chinese at the line to edit (IN003), a top level that is not a
mapping (IN004), control characters YAML cannot read (IN008), and a document too big
or too deep once its aliases are expanded (IN009).

Problems of single values do not stop the record (:func:`build`, shared by every
reader: YAML, workbooks, filled forms, the web form): a duplicated key (IN005), an
unknown key (IN006), a value of the wrong type (IN007) or a key holding a control
character (IN008) is one finding in :attr:`Loaded.notes` at its line or cell, the
record is built without that value, and every rule still runs on the rest of it
(a rule's finding about the left-out value itself is not repeated: :attr:`Loaded.dropped`).

Reading is bounded for any input: the file is read with a bounded read, composition
stops at MAX_NODES nodes or MAX_DEPTH nested collections, aliases are measured once
per anchor before anything is constructed or walked, and integers too long for
Python to print are kept as text (:class:`formgen.record.types.LongNumber`).
"""

from __future__ import annotations

import bisect
import copy
import difflib
import errno
import os
import re
import stat
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from .findings import ERROR, Finding, has_errors, path_str
from .model import Record
from .types import _XML_ILLEGAL, LongNumber, xml_illegal_chars

MAX_FILE_MB = 5
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
MAX_NODES = 100_000  # as composed, and again with aliases expanded; a full record has about a thousand
MAX_DEPTH = 64  # nested lists and mappings; a record nests about five deep
_MAX_CONTROL_LINES = 100  # findings for raw control characters, one per line
_INT_MAX_BITS = 14_000  # about 4,200 digits: under Python's 4,300-digit int-to-text limit


class _Limit(yaml.YAMLError):
    """The document is too big or nested too deep to read (IN009)."""

    def __init__(self, message: str, mark=None):
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Explained(yaml.MarkedYAMLError):
    """A YAML problem whose ``problem`` is already explained in Chinese."""


class _Bounded:
    """What formgen adds to PyYAML's composer and constructor: composition bounded by
    MAX_NODES and MAX_DEPTH, and a value its explicit tag cannot read (``!!int abc``)
    turned into a YAML error instead of a Python exception."""

    def _start_bounds(self) -> None:
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent, index):
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Limit(f"超过 {MAX_NODES:,} 个节点的上限", self.peek_event().start_mark)
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise _Limit(f"嵌套超过 {MAX_DEPTH} 层的上限", self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (yaml.YAMLError, RecursionError, MemoryError):
            raise
        except Exception as e:  # PyYAML's constructors fail in plain Python on a value that does not fit its tag
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise _Explained(
                problem=f"值 {_brief(node.value)} 不符合标签 {tag} 的格式", problem_mark=node.start_mark
            ) from e


class _Loader(_Bounded, yaml.SafeLoader):
    """SafeLoader without YAML's own timestamp parsing (dates stay text here and are
    parsed by the record model, so 2024-13-01 is a field error, not a crash), bounded
    while composing (:class:`_Bounded`). Pure Python: its errors are the ones
    :func:`_explain` knows, so every problem is read with it."""

    def __init__(self, stream):
        super().__init__(stream)
        self._start_bounds()


try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml
    _CParser = None

if _CParser is not None:

    class _FastLoader(
        _Bounded, yaml.composer.Composer, _CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
    ):
        """The same loader over libyaml's events: libyaml scans and parses (a state
        machine with its own stacks, so no input nests it into recursion), formgen's
        Python composer above builds the nodes, so the node and depth limits, the marks
        (line and column) and the resolving are exactly :class:`_Loader`'s. About five
        times faster on a record; used only for files it reads without an error (any
        error is read again with :class:`_Loader`, whose messages are explained)."""

        def __init__(self, stream):
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)
            self._start_bounds()

        def dispose(self):
            pass

else:
    _FastLoader = None


def _construct_int(loader, node):
    """An int, or the digits as :class:`LongNumber` when too long to be printed again."""
    try:
        value = yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:  # Python's int-from-text digit limit
        if re.fullmatch(r"[-+]?[0-9_]+", node.value):
            return LongNumber(node.value)
        raise
    return LongNumber(node.value) if value.bit_length() > _INT_MAX_BITS else value


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
if _FastLoader is not None:
    _FastLoader.yaml_constructors = _Loader.yaml_constructors
    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def _visible(text: str) -> str:
    """``text`` with each XML-illegal character (surrogates included) as an escape, so
    a finding can always be printed."""
    return _XML_ILLEGAL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _brief(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}…（共 {len(str(value))} 个字符）"


def _printable(f: Finding) -> Finding:
    """``f`` with every XML-illegal character of its text as an escape."""
    return replace(
        f, path=_visible(f.path), label=_visible(f.label), message=_visible(f.message), source=_visible(f.source)
    )


class LoadError(Exception):
    def __init__(self, findings: list[Finding]):
        self.findings = [_printable(f) for f in findings]
        super().__init__("\n".join(f.text() for f in self.findings))


@dataclass
class Loaded:
    """A record with where it came from, so findings can point at lines."""

    record: BaseModel
    path: Path
    lines: dict  # path string -> 1-based line (or "SHEET!CELL", or a place in a Word form)
    notes: list = field(default_factory=list)  # findings from reading the file: values left out, a form's own
    files_dir: Path | None = None  # where its figures and reports are, when not beside it
    dropped: tuple = ()  # paths of the values left out (wrong type, unknown key): no rule speaks of them again

    @property
    def base_dir(self) -> Path:
        return self.files_dir or self.path.parent

    def left_out(self, path: str) -> bool:
        """Whether ``path`` is a value left out of the record (or inside one), already
        reported by its reading finding."""
        return any(path == d or path.startswith((f"{d}.", f"{d}[")) for d in self.dropped)

    def line_of(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def _check_expansion(root) -> None:
    """Refuse a document whose aliases expand past MAX_NODES nodes or MAX_DEPTH nested
    collections, or refer back into themselves. Each node is measured once (memoised by
    identity), so a 340-byte "billion laughs" is refused without being expanded."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, nesting height)
    inside: set[int] = set()

    def measure(node, depth: int) -> tuple[int, int]:
        known = measured.get(id(node))
        if known is not None:
            if depth + known[1] > MAX_DEPTH:
                raise _Limit(f"展开别名后嵌套超过 {MAX_DEPTH} 层的上限", node.start_mark)
            return known
        if isinstance(node, yaml.ScalarNode):
            return 1, 0
        if id(node) in inside:
            raise _Limit("别名引用了包含它自己的内容（循环引用），无法展开", node.start_mark)
        if depth >= MAX_DEPTH:
            raise _Limit(f"嵌套超过 {MAX_DEPTH} 层的上限", node.start_mark)
        inside.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = [part for pair in node.value for part in pair]
        size, height = 1, 1
        for child in children:
            child_size, child_height = measure(child, depth + 1)
            size += child_size
            height = max(height, child_height + 1)
            if size > MAX_NODES:
                raise _Limit(f"展开别名后超过 {MAX_NODES:,} 个节点的上限", node.start_mark)
        inside.discard(id(node))
        measured[id(node)] = (size, height)
        return size, height

    measure(root, 0)


def _walk(
    root, lines: dict, dups: list, locs: dict | None = None, bad_keys: list | None = None, key_spans: list | None = None
) -> None:
    """Note each path's line, the duplicated keys and the keys holding characters XML
    forbids. Iterative, and each collection is entered once: an anchored block used
    again through an alias is not walked again (the later use is given the anchored
    block's line, and the paths under it fall back to that through :meth:`Loaded.line_of`)."""
    entered: set[int] = set()
    stack = [(root, ())]
    while stack:
        node, loc = stack.pop()
        p = path_str(loc)
        lines[p] = node.start_mark.line + 1
        if locs is not None:
            locs[p] = loc
        if isinstance(node, yaml.ScalarNode) or id(node) in entered:
            continue
        entered.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            children = [(item, loc + (i,)) for i, item in enumerate(node.value)]
        else:
            children = []
            seen: dict = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):  # refused when constructed
                    children.append((value_node, loc + ("?",)))
                    continue
                key, line = key_node.value, key_node.start_mark.line + 1
                if key_spans is not None:
                    key_spans.append((key_node.start_mark.index, key_node.end_mark.index, loc + (key,)))
                bad = xml_illegal_chars(key)
                if bad and bad_keys is not None:
                    bad_keys.append((loc + (key,), line, bad))
                if key in seen:
                    dups.append((loc + (key,), line, seen[key]))
                seen[key] = line
                children.append((value_node, loc + (key,)))
        stack.extend(reversed(children))


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
    "int_parsing_size": "数字过长，不是有效的整数",
    "string_unicode": "含有孤立的代理字符（surrogate），不是有效的文本",
    "invalid_key": "字段名应为文本",
}


def _message(err: dict) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "literal_error":
        return f"应为以下之一：{ctx.get('expected', '').replace(' or ', ', ')}；实际为 {_brief(got)}"
    if kind == "string_pattern_mismatch":
        return f"格式不符：{_brief(got)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "")
        return f"应{op}{bound}；实际为 {_brief(got)}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    base = _TYPE_ZH.get(kind, err["msg"])
    if kind != "missing" and got is not None and not isinstance(got, (dict, list)):
        base = f"{base}；实际为 {_brief(got)}"
    if kind in ("dict_type", "model_type", "model_attributes_type") and isinstance(got, str) and "：" in got:
        base = f"{base}；{_FULLWIDTH_HINT}"
    return base


_ERRNO_ZH = {
    errno.ENOENT: "文件不存在",
    errno.EACCES: "没有读取权限",
    errno.EPERM: "没有读取权限",
    errno.EISDIR: "这是一个文件夹，不是记录文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ELOOP: "符号链接循环",
    errno.EIO: "读取出错（I/O 错误）",
}


def _read_text(path: Path) -> str:
    """The file's text: a regular file only (a FIFO or device would block or never end),
    at most MAX_FILE_BYTES, read with a bounded read, UTF-8."""

    def refuse(message: str):
        raise LoadError([Finding("IN001", ERROR, "", "", message, str(path))])

    def too_big(size: int):
        refuse(f"记录文件超过 {MAX_FILE_MB} MB 的上限（{size / 1024 / 1024:.1f} MB），无法读取")

    def not_regular(mode: int):
        if stat.S_ISDIR(mode):
            refuse("这是一个文件夹，不是记录文件：请给出一个 .yaml 文件")
        refuse("不是普通文件（如管道、设备文件），不能作为记录读取")

    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            not_regular(info.st_mode)
        if info.st_size > MAX_FILE_BYTES:
            too_big(info.st_size)
        # O_NONBLOCK: should the path become a FIFO after the check, opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):
                not_regular(mode)
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        reason = _ERRNO_ZH.get(e.errno, e.strerror or str(e))
        raise LoadError([Finding("IN001", ERROR, "", "", f"无法读取文件：{reason}", str(path))]) from e
    if len(raw) > MAX_FILE_BYTES:
        too_big(len(raw))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise LoadError(
            [
                Finding(
                    "IN002", ERROR, "", "", f"文件不是 UTF-8 编码（第 {e.start} 字节），请另存为 UTF-8", str(path), line
                )
            ]
        ) from e


# --- YAML syntax errors, in Chinese, at the line to edit ---------------------------------

_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # YAML's line breaks
_KEY_SEP = re.compile(r":(?=[ \t]|$)")
_FULLWIDTH_KEY = re.compile(r"^(?P<lead>[ ]*(?:-[ ]+)?)(?P<key>[^\s#'\"\[\]{}:：-][^:：#]*?)[ ]*：[ ]*(?P<value>.*)$")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_FULLWIDTH_HINT = "字段名和值之间须用半角冒号加空格（: ），不能用全角冒号（：）"
_QUOTE_HINT = "请给整段文字加引号"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> bool:
    body = line.strip()
    return bool(body) and not body.startswith("#")


def _previous(lines: list[str], i: int) -> int:
    """Index of the last line before ``i`` holding something other than a comment, or -1."""
    i -= 1
    while i >= 0 and not _content(lines[i]):
        i -= 1
    return i


def _quoted(value: str) -> str:
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _fullwidth(lines: list[str], *candidates: int):
    """(line, column, message) for the first candidate line written ``key：value``."""
    for i in candidates:
        if 0 <= i < len(lines):
            m = _FULLWIDTH_KEY.match(lines[i])
            if m:
                fixed = f"{m['lead'].strip()} {m['key']}: {m['value']}".strip()
                return i, None, f"第 {i + 1} 行用了全角冒号（：）分隔字段名和值，请改为半角冒号加空格：{fixed}"
    return None


def _levels(lines: list[str], i: int) -> list[int]:
    """The indentations the lines above ``i`` leave open (each enclosing level, and the
    content column of an enclosing ``- `` item)."""
    levels: set[int] = set()
    bound = None
    for j in range(i - 1, -1, -1):
        if not _content(lines[j]):
            continue
        ind = _indent(lines[j])
        if bound is None or ind < bound:
            bound = ind
            levels.add(ind)
            body = lines[j][ind:]
            if body.startswith("- ") and _KEY_SEP.search(body):  # "- name: a": its keys align after "- "
                levels.add(ind + 2 + _indent(body[2:]))
        if ind == 0:
            break
    return sorted(levels)


def _indentation(lines: list[str], i: int):
    n = _indent(lines[i]) if i < len(lines) else 0
    others = [str(x) for x in _levels(lines, i) if x != n]
    expected = f"，上文各层为 {'、'.join(others)} 个空格" if others else ""
    return i, None, f"第 {i + 1} 行的缩进（{n} 个空格）与上文的层级对不齐：同一层级的字段须左对齐{expected}"


def _unclosed_bracket(text: str):
    """Mark of the innermost ``[`` or ``{`` left open, found with YAML's own scanner."""
    opened = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)):
                opened.append(token.start_mark)
            elif isinstance(token, (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)) and opened:
                opened.pop()
    except yaml.YAMLError:
        pass
    return opened[-1] if opened else None


def _missing_colon(i: int, line: str):
    words = line.strip().split(None, 1)
    example = ""
    if words and _PLAIN_KEY.fullmatch(words[0]):
        example = f"，如 {words[0]}: {words[1]}" if len(words) == 2 else f"，如 {words[0]}:"
    return i, None, f"第 {i + 1} 行缺少冒号：字段名后须写半角冒号加空格（: ）{example}"


def _explain(text: str, e: yaml.MarkedYAMLError):
    """(0-based line, 0-based column or None, Chinese explanation) of a YAML error,
    pointing at the line the user must edit rather than where PyYAML noticed."""
    lines = _BREAK.split(text)
    pm, cm = e.problem_mark, e.context_mark
    problem, context = (e.problem or "").strip(), (e.context or "").strip()
    mark = pm or cm
    line, col = (mark.line, mark.column) if mark else (None, None)

    def at(message):
        return line, col, message

    if isinstance(e, _Explained):
        return at(problem)
    if "'\\t'" in problem or "tab character" in problem:
        row = lines[line] if line is not None and line < len(lines) else ""
        if "\t" in row[: len(row) - len(row.lstrip(" \t"))]:
            return line, None, f"第 {line + 1} 行用了制表符（Tab）缩进，请改用空格"
        return at(f"第 {line + 1} 行第 {col + 1} 列有制表符（Tab），YAML 不允许，请改用空格")
    if context == "while scanning a quoted scalar" and cm:
        q = text[cm.index] if cm.index < len(text) else '"'
        return cm.line, cm.column, f"第 {cm.line + 1} 行的引号 {q} 没有闭合：请在这段文字末尾补上 {q}"
    if "escape" in problem:
        return at("双引号里的反斜杠（\\）开始了无效的转义：要写反斜杠本身，请改用单引号，或写成 \\\\")
    if context.startswith("while parsing a flow") or (
        isinstance(e, yaml.parser.ParserError) and "'<stream end>'" in problem
    ):
        opened = _unclosed_bracket(text)
        if opened is not None and (pm is None or opened.line != pm.line or "<stream end>" in problem):
            o = text[opened.index]
            c = "]" if o == "[" else "}"
            return opened.line, opened.column, f"第 {opened.line + 1} 行的“{o}”没有配对的“{c}”"
        if "flow sequence" in context:
            return at(f"方括号 [ ] 里的各项须用英文逗号分隔；如这是普通文字，{_QUOTE_HINT}")
        if "flow mapping" in context:
            return at(f"花括号 {{ }} 里应为“字段名: 值”，各项用英文逗号分隔；如这是普通文字，{_QUOTE_HINT}")
    if problem == "mapping values are not allowed here" and pm:
        row = lines[pm.line]
        first = _KEY_SEP.search(row)
        if first and first.start() < pm.column:
            key, value = row[: first.start()].strip(), row[first.end() :].strip()
            return at(f"值里的“: ”会被当作新的字段；含有“: ”的文字须加引号，如 {key}: {_quoted(value)}")
        before = _previous(lines, pm.line)
        hint = _fullwidth(lines, before, pm.line)
        if hint:
            return hint
        if before >= 0:
            above = lines[before]
            key = row[: first.start()].strip() if first else ""
            if not _KEY_SEP.search(above) and not above.lstrip().startswith("-"):
                if _indent(above) == _indent(row) or _PLAIN_KEY.fullmatch(above.strip()):
                    return _missing_colon(before, above)
            elif _indent(row) > _indent(above) and _PLAIN_KEY.fullmatch(key):
                return (
                    pm.line,
                    None,
                    (
                        f"第 {pm.line + 1} 行的缩进（{_indent(row)} 个空格）与第 {before + 1} 行"
                        f"（{_indent(above)} 个空格）不一致：同一层级的字段须左对齐"
                    ),
                )
        return at(f"此处不能出现“: ”；如这是文字的一部分，{_QUOTE_HINT}")
    if problem == "could not find expected ':'" and cm:
        return _fullwidth(lines, cm.line) or _missing_colon(cm.line, lines[cm.line])
    found = re.fullmatch(r"expected <block end>, but found '(.*)'", problem)
    if found and pm:
        token, start = found.group(1), (cm.line + 1 if cm else pm.line)
        hint = _fullwidth(lines, pm.line, _previous(lines, pm.line))
        if hint:
            return hint
        if token == "-":
            return at(
                f"第 {pm.line + 1} 行的列表项（- ）与第 {start} 行的字段在同一层级，不能混用："
                "列表须写在某个字段下面，并多缩进两格"
            )
        if token == "?" and "collection" in context:
            return at(
                f"第 {pm.line + 1} 行的字段与第 {start} 行的列表项（- ）在同一层级，不能混用："
                "若它属于上面那一项，请再缩进两格，与该项的字段对齐"
            )
        if token in ("<block mapping start>", "<block sequence start>"):
            return _indentation(lines, pm.line)
        if token in ("]", "}"):
            return at(f"第 {pm.line + 1} 行有多余的“{token}”")
        if token == "<scalar>":
            return at(f"第 {pm.line + 1} 行的引号或括号后面还有文字：整段文字须放在同一对引号里")
        return at("缩进或层级有误：同一层级的字段须左对齐，下一层级须多缩进")
    if problem.startswith("found undefined alias"):
        name = problem.split("'")[1] if "'" in problem else ""
        return at(f"别名 *{name} 没有对应的锚点 &{name}；如这是普通文字，{_QUOTE_HINT}")
    if context.startswith("found duplicate anchor") and cm:
        name = context.split("'")[1] if "'" in context else ""
        return at(f"锚点 &{name} 重复定义（第 {cm.line + 1} 行已定义）")
    if context == "expected a single document in the stream":
        return at(f"第 {line + 1} 行的“---”开始了第二份文档；一个文件只能有一份记录")
    if problem == "found unhashable key":
        return at("字段名不能是列表或映射")
    if problem.startswith("could not determine a constructor for the tag"):
        tag = problem.split("'")[1].replace("tag:yaml.org,2002:", "!!") if "'" in problem else ""
        return at(f"不支持 YAML 标签 {tag}：记录文件不使用“!”标签；如这是普通文字，{_QUOTE_HINT}")
    if "for merging" in problem:
        row = cm.line if cm else line
        return row, None, "“<<”合并只能引用映射（字段名: 值）"
    if problem.startswith("expected a") and "node, but found" in problem:
        return at("值的类型与它的标签不符")
    char = re.fullmatch(r"found character '(.+)' that cannot start any token", problem)
    if char:
        return at(f"“{char.group(1)}”不能用在值的开头；{_QUOTE_HINT}")
    if context in ("while scanning an anchor", "while scanning an alias"):
        return at(f"“&”或“*”后须紧跟锚点名称；如这是普通文字，{_QUOTE_HINT}")
    if context == "while scanning a tag":
        return at(f"“!”开头的是 YAML 标签；如这是普通文字，{_QUOTE_HINT}")
    if context == "while scanning a block scalar":
        return at("“|”或“>”后只能跟缩进数字或 +、-，正文须另起一行并缩进")
    if context == "while scanning a directive" or "<document start>" in problem:
        return at(f"以“%”开头的行是 YAML 指令，记录文件中不能出现；如这是普通文字，{_QUOTE_HINT}")
    if "incompatible YAML document" in problem:
        return at("不支持此 YAML 版本声明：请删去以“%YAML”开头的行")
    if problem.startswith("expected the node content"):
        return at("此处缺少内容")
    return at(f"无法解析（{problem or context}）")


def _syntax_finding(path: Path, text: str, e: yaml.MarkedYAMLError) -> Finding:
    line, col, message = _explain(text, e)
    where = (
        "" if line is None else f"（第 {line + 1} 行第 {col + 1} 列）" if col is not None else f"（第 {line + 1} 行）"
    )
    return Finding(
        "IN003", ERROR, "", "", f"YAML 格式错误{where}：{message}", str(path), None if line is None else line + 1
    )


# Where libyaml and PyYAML's Python scanner read a document differently: a tag (``!``
# alone gives '' in one, None in the other), an explicit key (``? k``: the value's line)
# and tabs (libyaml takes some as separation that PyYAML refuses); and where libyaml
# takes what PyYAML refuses: a byte-order mark after the start, a comment straight after
# a block scalar's ``|`` or ``>``. A text holding any of them is read by the pure-Python
# loader only, so a record reads the same with or without libyaml
# (tests/test_loader_libyaml.py).
_LIBYAML_DIFFERS = re.compile(r"[!?\t]|.\ufeff|[|>][-+0-9]*#", re.S)


def _compose_and_construct(loader_class, text: str, lines: dict, dups: list, bad_keys: list):
    """Compose once, measure the aliases, walk the nodes for lines, then construct."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        _walk(node, lines, dups, bad_keys=bad_keys)  # before construction, which merges `<<` keys in place
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _parse(path: Path, text: str, model, lines: dict, dups: list, bad_keys: list):
    """The document's data, read over libyaml's events where it can be; whatever that
    path refuses (a syntax error, a control character, a limit, a bad tag) is read again
    by the pure-Python loader, so each problem is told as it always is."""
    if _FastLoader is not None and not _LIBYAML_DIFFERS.search(text):
        fast: tuple[dict, list, list] = ({}, [], [])
        try:
            data = _compose_and_construct(_FastLoader, text, *fast)
        except (yaml.YAMLError, RecursionError, UnicodeError, ValueError):
            pass
        else:
            lines.update(fast[0])
            dups += fast[1]
            bad_keys += fast[2]
            return data
    try:
        return _compose_and_construct(_Loader, text, lines, dups, bad_keys)
    except yaml.reader.ReaderError as e:
        raise LoadError(_control_char_findings(path, text, model)) from e
    except _Limit as e:
        line = e.mark.line + 1 if e.mark else None
        raise LoadError(
            [Finding("IN009", ERROR, "", "", f"文件结构过大或嵌套过深：{e.message}", str(path), line)]
        ) from e
    except RecursionError as e:  # not expected within the limits; never a traceback
        raise LoadError(
            [Finding("IN009", ERROR, "", "", f"文件结构过大或嵌套过深：嵌套超过 {MAX_DEPTH} 层的上限", str(path))]
        ) from e
    except yaml.MarkedYAMLError as e:
        raise LoadError([_syntax_finding(path, text, e)]) from e
    except yaml.YAMLError as e:
        raise LoadError([Finding("IN003", ERROR, "", "", f"YAML 格式错误：{e}", str(path))]) from e
    except ValueError as e:  # PyYAML's scanner meets "\U00110000": chr() out of range
        raise LoadError([_escape_finding(path, text, e)]) from e


_BIG_ESCAPE = re.compile(r"\\U([0-9A-Fa-f]{8})")


def _escape_finding(path: Path, text: str, e: ValueError) -> Finding:
    """IN003 for an escape beyond Unicode in a double-quoted string, at its line."""
    for m in _BIG_ESCAPE.finditer(text):
        if int(m.group(1), 16) > 0x10FFFF:
            line = text.count("\n", 0, m.start()) + 1
            message = f"YAML 格式错误（第 {line} 行）：转义序列 {m.group()} 超出 Unicode 的范围（最大 \\U0010FFFF）"
            return Finding("IN003", ERROR, "", "", message, str(path), line)
    return Finding("IN003", ERROR, "", "", f"YAML 格式错误：无法解析（{e}）", str(path))


def _control_char_findings(path: Path, text: str, model) -> list[Finding]:
    """Name the fields (or the keys) that hold raw control characters YAML (and XML)
    refuse: one finding per line, at most _MAX_CONTROL_LINES of them."""
    clean = _XML_ILLEGAL.sub("\ufffd", text)  # one character for one: indices stay valid
    lines: dict = {}
    locs: dict = {}
    keys: list = []
    try:
        _walk(yaml.compose(clean, Loader=_Loader), lines, [], locs, key_spans=keys)
    except (yaml.YAMLError, RecursionError):
        pass
    keys.sort()
    by_line: dict = {}
    for p, ln in lines.items():
        if len(p) >= len(by_line.get(ln, "")):
            by_line[ln] = p
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]
    found: dict = {}  # line -> [path, loc, is key, characters]
    for m in _XML_ILLEGAL.finditer(text):
        no = bisect.bisect_right(starts, m.start())
        entry = found.get(no)
        if entry is None:
            if len(found) == _MAX_CONTROL_LINES:
                break
            span = bisect.bisect_right(keys, (m.start(), float("inf"))) - 1
            if span >= 0 and keys[span][0] <= m.start() < keys[span][1]:
                first, last, loc = keys[span]
                loc = loc[:-1] + (text[first:last].strip("'\""),)
                entry = found[no] = [path_str(loc), loc, True, set()]
            else:
                p = by_line.get(no, "")
                entry = found[no] = [p, locs.get(p, ()), False, set()]
        entry[3].add(f"U+{ord(m.group()):04X}")
    out = [
        Finding(
            "IN008",
            ERROR,
            p,
            label_for(model, loc),
            f"{'字段名' if is_key else ''}含有文档不允许的控制字符 {', '.join(sorted(chars))}",
            str(path),
            no,
        )
        for no, (p, loc, is_key, chars) in found.items()
    ]
    return out or [Finding("IN008", ERROR, "", "", "文件含有不允许的控制字符", str(path))]


def _short_path(loc) -> str:
    """The path for display, a very long key (a 5000-digit number) cut short."""
    return path_str(tuple(f"{part[:20]}…" if isinstance(part, str) and len(part) > 40 else part for part in loc))


def load_yaml(path: str | Path, model: type[BaseModel] = Record) -> Loaded:
    """Read and type-check one YAML file; raise LoadError listing every problem."""
    path = Path(path)
    text = _read_text(path)
    lines: dict = {}
    dups: list = []
    bad_keys: list = []
    data = _parse(path, text, model, lines, dups, bad_keys)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        hint = f"；{_FULLWIDTH_HINT}" if isinstance(data, str) and "：" in data else ""
        raise LoadError([Finding("IN004", ERROR, "", "", f"文件顶层应为键值映射（字段名: 值）{hint}", str(path), 1)])
    problems = [
        Finding(
            "IN005",
            ERROR,
            _short_path(loc),
            label_for(model, loc),
            f"字段重复（第 {first} 行已出现），后一个会覆盖前一个",
            str(path),
            line,
        )
        for loc, line, first in dups
    ]
    problems += [
        Finding(
            "IN008",
            ERROR,
            _short_path(loc),
            label_for(model, loc),
            f"字段名含有文档不允许的控制字符 {', '.join(bad)}",
            str(path),
            line,
        )
        for loc, line, bad in bad_keys
    ]
    return build(path, data, lines, model, problems, [loc for loc, _, _ in bad_keys])


_MAX_ROUNDS = 8  # validations of one record: each leaves out what the one before refused


def build(
    path: Path,
    data: dict,
    lines: dict,
    model: type[BaseModel] = Record,
    problems: list[Finding] | None = None,
    refused: list | None = None,
    left_out: list[str] | None = None,
) -> Loaded:
    """Type-check ``data`` read from ``path`` (by any reader: YAML, a workbook, a filled
    form, the web form) into a record; ``lines`` maps field paths to where each value
    stands in the source (a line number, or "SHEET!CELL"), so every finding points there.

    Lenient: a value of the wrong type (IN007) or an unknown key (IN006) is one finding
    and is left out, as if it were empty (a list item of the wrong type: an empty item
    where the list holds mappings, else no item), so every rule still runs on the rest.
    The findings, with ``problems`` (the reader's own), are the record's ``notes``;
    ``refused`` are keys already reported (IN008), left out without a second finding;
    ``left_out`` the paths of values the reader itself could not read (its findings are
    among ``problems``). ``data`` is not changed. Raises nothing for a mapping: what cannot be read at all is
    the reader's to refuse."""
    problems = list(problems or [])
    refused = [tuple(loc) for loc in refused or []]
    refused_keys = {loc[-1] for loc in refused}
    lines = dict(lines)
    dropped: list[str] = list(left_out or [])
    copied = False
    if refused:  # keys the reader refused are left out whether or not the model would take them
        data, copied = copy.deepcopy(data), True
        _leave_out(data, model, refused, lines, dropped)
    for _ in range(_MAX_ROUNDS):
        try:
            record = model.model_validate(data)
        except ValidationError as e:
            errors = e.errors()
        else:
            notes = sorted(map(_printable, problems), key=Finding.sort_key)
            return Loaded(record, path, lines, notes=notes, dropped=tuple(dict.fromkeys(dropped)))
        if not copied:
            data, copied = copy.deepcopy(data), True
        targets = []
        for err in errors:
            loc = tuple(err["loc"])
            targets.append(loc)
            if any(loc[: len(bad)] == bad for bad in refused):
                continue  # the key itself is already reported (IN008)
            if err["type"] == "string_unicode" and err.get("input") in refused_keys:
                continue  # pydantic's own complaint about the same key
            problems.append(_type_finding(path, model, lines, loc, err))
        if not _leave_out(data, model, targets, lines, dropped):
            break  # nothing could be left out: never expected, never a loop
    raise LoadError(sorted(problems, key=Finding.sort_key))


def _type_finding(path: Path, model: type[BaseModel], lines: dict, loc: tuple, err: dict) -> Finding:
    """IN006 for an unknown key (with the nearest known one), else IN007, at its line."""
    p = path_str(loc)
    line = lines.get(p) or lines.get(path_str(loc[:-1]))
    if err["type"] == "extra_forbidden":
        owner, _ = _model_at(model, loc[:-1])
        known = list(owner.model_fields) if owner else []
        near = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
        hint = f"，是否想写 {near[0]}？" if near else ""
        name = _short_path(loc[-1:])
        return Finding("IN006", ERROR, _short_path(loc), name, f"未知字段 {name}{hint}", str(path), line)
    return Finding("IN007", ERROR, _short_path(loc), label_for(model, loc), _message(err), str(path), line)


def _leave_out(data: dict, model: type[BaseModel], locs: list[tuple], lines: dict, dropped: list[str]) -> bool:
    """Leave out of ``data`` the value at each error location (the deepest part of it
    that ``data`` holds: a dictionary's refused key, not the key's text). A list item of
    the wrong type becomes an empty item where the list holds mappings (the items after
    it keep their places), else is removed (the lines of the items after it follow
    them). Notes each path left out in ``dropped``; False when nothing could be."""
    removals: dict[tuple, set[int]] = {}  # a list of plain values -> the items to remove
    done = False
    for loc in locs:
        at = _held(data, loc)
        if not at:
            continue
        node = _node(data, at[:-1])
        key = at[-1]
        if isinstance(node, list):
            if _model_at(model, at)[0] is None:
                removals.setdefault(at[:-1], set()).add(key)
            elif node[key] != {}:
                node[key] = {}
                dropped.append(path_str(at))
                done = True
        elif isinstance(node, dict) and key in node:
            del node[key]
            dropped.append(path_str(at))
            done = True
    for where, gone in removals.items():
        items = _node(data, where)
        for i in sorted(gone, reverse=True):
            del items[i]
        _renumber(lines, path_str(where), sorted(gone), len(items) + len(gone))
        if not items:  # nothing left: the list is as if empty (an item removed is no path any more)
            dropped.append(path_str(where))
        done = True
    return done


def _held(data, loc: tuple) -> tuple:
    """The longest start of ``loc`` that ``data`` holds (pydantic adds parts of its own,
    such as ``[key]`` for a refused dictionary key)."""
    node, held = data, ()
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
        held += (part,)
    return held


def _node(data, loc: tuple):
    for part in loc:
        data = data[part]
    return data


def _renumber(lines: dict, where: str, gone: list[int], count: int) -> None:
    """Items ``gone`` removed from the list at ``where`` (of ``count`` items): the places
    of those after them move up, so each item left keeps the line (or cell) it has in
    the source."""
    moved = {}
    for old in range(count):
        head = f"{where}[{old}]"
        keys = [k for k in lines if k == head or k.startswith((f"{head}.", f"{head}["))]
        if old in gone:
            for k in keys:
                del lines[k]
            continue
        new = old - sum(1 for g in gone if g < old)
        if new != old:
            for k in keys:
                moved[f"{where}[{new}]{k[len(head) :]}"] = lines.pop(k)
    lines.update(moved)


def strict(loaded: Loaded) -> Loaded:
    """``loaded`` when reading it left nothing out and found no error; else LoadError
    with what it found. For what must not lose a value: converting a record, reading
    back what was written, a recommender profile."""
    if has_errors(loaded.notes) or loaded.dropped:
        raise LoadError(loaded.notes)
    return loaded
