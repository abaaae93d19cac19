"""A record written back into its own YAML file by splicing: only the bytes of the values
the user changed are rewritten; every other byte of the file (comments, indentation, key
order, quoting, line ends, a byte-order mark) stays as it was.

The file is parsed with formgen's own YAML reader (PyYAML, YAML 1.1) for the position
of every value, key, ``:`` and ``-``. The old and the new record are compared field by
field (as the web form posts a whole record); for each value that differs, the text of
that value alone is replaced (a value emptied keeps its key and comment), a key is
inserted at its place in the model's order, or the lines of a list or section emptied are
removed. A list of items keeps the text of each unchanged item (wherever
it moved). New text follows the file's own indentation and line ends.

Strings are written so that they read back as the same string under YAML 1.1 (PyYAML,
formgen's reader) and YAML 1.2 alike: ``yes``, ``No``, ``on``, ``~``, ``1:20``, ``0x1F``,
``1e3``, ``.inf``, ``2024-01-01``, a leading indicator (``@ * & ! % - ?``), a trailing
``:``, `` #`` inside, leading or trailing spaces are quoted; multi-line text is a literal
block (``|-``) where that keeps it exactly, else a double-quoted string. A changed value
keeps the quoting style it had when that style can hold it.

Aliases (``*a``): an alias whose value the user changed is replaced by the value written
out at that place; an unchanged alias stays, unless its anchor's value was changed or
moved, in which case it is written out too (so it keeps its old value).

>>> from formgen.record.model import Record
>>> old = Record.model_validate({"enterprise": {"name": "甲", "intro": "x"}})
>>> new = old.model_copy(deep=True)
>>> new.enterprise.name = "yes"
>>> rewrite("enterprise:   # 企业\\n  name: 甲  # 全称\\n  intro: x\\n", old, new)
"enterprise:   # 企业\\n  name: 'yes'  # 全称\\n  intro: x\\n"
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

import yaml
from pydantic import BaseModel

from ..record.loader import _Loader

SKIP = ("schema_version",)


class RewriteError(ValueError):
    """The file cannot be changed in place (one line, Chinese)."""


def _empty(value) -> bool:
    if isinstance(value, BaseModel):
        return all(_empty(getattr(value, n)) for n in type(value).model_fields if n not in SKIP)
    return value is None or value == [] or value == {} or value == ""


def _plain_data(value):
    """A record value as plain data to write: models as mappings of their non-empty
    fields in the model's order."""
    if isinstance(value, BaseModel):
        return {
            n: _plain_data(getattr(value, n))
            for n in type(value).model_fields
            if n not in SKIP and not _empty(getattr(value, n))
        }
    if isinstance(value, list):
        return [_plain_data(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_data(v) for k, v in value.items()}
    return value


# --- scalars ----------------------------------------------------------------------------------

_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"
_FLOW_CHARS = ",[]{}"
# Characters a quoted or block scalar cannot carry as themselves: YAML's other line breaks,
# tab, carriage return, a byte-order mark, and what YAML calls non-printable.
_NEEDS_ESCAPE = re.compile("[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
# Words and numbers some YAML reader (1.1 or 1.2, PyYAML, ruamel.yaml, libyaml) takes for
# something else than a string: null, booleans of 1.1 (y, n, yes, on ...) and 1.2, ints in
# any base, sexagesimal, floats with or without a dot, infinities, dates, merge and value keys.
_SPECIAL_WORD = re.compile(r"(?i:~|null|y|n|yes|no|true|false|on|off|=|<<|[-+]?\.(?:inf|nan))")
_NUMBERISH = re.compile(r"[-+]?\.?[0-9][0-9a-zA-Z_.:+-]*|[-+]?\.[0-9a-zA-Z_.:+-]*")


def _resolves_to_str(text: str) -> bool:
    return yaml.SafeLoader.resolve(yaml.SafeLoader, yaml.ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"


def _plain_ok(text: str, flow: bool) -> bool:
    """``text`` can be written unquoted and reads back as this string in YAML 1.1 and 1.2."""
    if not text or text != text.strip(" ") or text[0] in _INDICATORS or _NEEDS_ESCAPE.search(text):
        return False
    if "\n" in text or ": " in text or " #" in text or text.endswith(":") or text.startswith(("---", "...")):
        return False
    if flow and any(c in text for c in _FLOW_CHARS + ":"):  # PyYAML refuses ':' in a flow plain scalar
        return False
    if _SPECIAL_WORD.fullmatch(text) or _NUMBERISH.fullmatch(text):
        return False
    return _resolves_to_str(text)


def _single_ok(text: str) -> bool:
    return "\n" not in text and not _NEEDS_ESCAPE.search(text)


def _single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x00": "\\0"}


def _double(text: str) -> str:
    def esc(c: str) -> str:
        if c in _ESCAPES:
            return _ESCAPES[c]
        n = ord(c)
        if n <= 0xFF:
            return f"\\x{n:02X}"
        return f"\\u{n:04X}" if n <= 0xFFFF else f"\\U{n:08X}"

    return '"' + "".join(esc(c) if c in _ESCAPES or _NEEDS_ESCAPE.match(c) else c for c in text) + '"'


def _literal_lines(text: str) -> tuple[str, list[str]] | None:
    """A literal block scalar holding ``text`` exactly: (header, lines), or None."""
    if "\n" not in text or _NEEDS_ESCAPE.search(text):
        return None
    header = "|-"
    if text.endswith("\n"):
        if text.endswith("\n\n"):
            return None
        header, text = "|", text[:-1]
    lines = text.split("\n")
    first = next((x for x in lines if x), "")
    if first.startswith(" ") or any(x and not x.strip(" ") for x in lines):
        return None  # would need an indentation indicator, or whitespace-only lines are lost
    return header, lines


@dataclass
class _Scalar:
    inline: str  # the scalar, or a block scalar's header
    body: list[str] | None = None  # a block scalar's lines (unindented)


def _number(value) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if text in ("inf", "-inf", "nan"):
            return {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}[text]
        mantissa, _, exp = text.partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        return mantissa + (f"e{'+' if not exp.startswith('-') else ''}{exp.lstrip('+')}" if exp else "")
    if isinstance(value, Decimal):
        written = format(value, "f")
        if "." not in written:
            return written.lstrip("+")
        try:
            exact = Decimal(repr(float(written))) == value
        except (OverflowError, ValueError):
            exact = False
        return written if exact else None  # else written as text, which the record reads exactly
    return None


def _scalar(value, flow: bool, style: str | None = None) -> _Scalar:
    """``value`` as a YAML scalar; ``style`` is the style the value had in the file
    (None plain, ``'``, ``"``, ``|``, ``>``), kept where it can hold the new value."""
    if value is None:
        return _Scalar("null")
    if isinstance(value, dt.datetime):
        value = value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        return _Scalar(value.isoformat())
    number = _number(value)
    if number is not None:
        return _Scalar(number)
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    if not flow and (style in ("|", ">") or "\n" in text):
        block = _literal_lines(text)
        if block is not None:
            return _Scalar(block[0], block[1])
    if style == "'" and _single_ok(text):
        return _Scalar(_single(text))
    if style == '"':
        return _Scalar(_double(text))
    if _plain_ok(text, flow):
        return _Scalar(text)
    return _Scalar(_single(text) if _single_ok(text) else _double(text))


def _key(key, flow: bool = False) -> str:
    if isinstance(key, (bool, int)):
        return _number(key)
    text = str(key)
    if _plain_ok(text, flow) and len(text) < 1000:
        return text
    return _single(text) if _single_ok(text) else _double(text)


def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k, True)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value, flow=True).inline


# --- the file's layout ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    step: int = 2  # a nested mapping's indent under its key
    seq: int = 2  # a sequence's dash under its key (0: the dash at the key's column)
    nl: str = "\n"


@dataclass(frozen=True)
class _Slot:
    """Where a value sits: after a key's ``:`` (``item`` False) or an item's ``-``, whose
    column is ``col``; ``lead`` is the position right after that indicator. In a flow
    collection only ``flow`` matters; the document itself has ``lead`` None."""

    lead: int | None
    col: int
    flow: bool = False
    item: bool = False


@dataclass(frozen=True)
class _Occ:
    """One occurrence of a value in the text: its node, and for an alias (``*a``) the
    alias's own span (the node is the anchored one, elsewhere in the text)."""

    node: object
    alias: tuple[int, int] | None = None
    anchor: str | None = None


class _Composer(_Loader):
    """formgen's YAML reader, also noting where each alias, anchor, ``:`` and ``-`` is."""

    def __init__(self, stream):
        super().__init__(stream)
        self.alias_at: dict = {}  # (id(parent), index or id(key)) -> (anchor, start, end)
        self.anchored: dict = {}  # anchor -> node
        self.colons: list[int] = []
        self.dashes: list[int] = []

    def get_token(self):
        token = super().get_token()
        if isinstance(token, yaml.ValueToken):
            self.colons.append(token.start_mark.index)
        elif isinstance(token, yaml.BlockEntryToken):
            self.dashes.append(token.start_mark.index)
        return token

    def compose_node(self, parent, index):
        event = self.peek_event()
        node = super().compose_node(parent, index)
        where = (id(parent), index if isinstance(index, int) or index is None else id(index))
        if isinstance(event, yaml.AliasEvent):
            self.alias_at[where] = (event.anchor, event.start_mark.index, event.end_mark.index)
        elif getattr(event, "anchor", None):
            self.anchored[event.anchor] = node
        return node


# --- the splice --------------------------------------------------------------------------------------

_Edit = tuple  # (start, end, order, text): text[start:end] becomes text


class _Splice:
    """The edits that make ``text`` hold a new record; ``expand`` names anchors whose
    unchanged aliases are written out (their anchor's value changes or moves)."""

    def __init__(self, text: str, expand: frozenset[str] = frozenset()):
        self.text = text
        loader = _Composer(text)
        try:
            self.root = loader.get_single_node()
        finally:
            loader.dispose()
        self.loader = loader
        self.colons, self.dashes = sorted(loader.colons), sorted(loader.dashes)
        self.alias_at, self.anchored = loader.alias_at, loader.anchored
        self.style = _detect(self)
        self.edits: list[_Edit] = []
        self._order = itertools.count()
        self.expand = expand
        if expand and self.root is not None:
            self._expand_aliases(self.root, _Slot(None, 0))
        self.base = list(self.edits)  # the written-out aliases

    # -- positions --

    def line_start(self, i: int) -> int:
        return self.text.rfind("\n", 0, i) + 1

    def line_end(self, i: int) -> int:
        """Where the line holding ``i`` ends (before its line break)."""
        j = self.text.find("\n", i)
        if j < 0:
            return len(self.text)
        return j - 1 if j > i and self.text[j - 1] == "\r" else j

    def next_line(self, i: int) -> int:
        j = self.text.find("\n", i)
        return len(self.text) if j < 0 else j + 1

    def col(self, i: int) -> int:
        return i - self.line_start(i)

    def at_line_start(self, i: int) -> bool:
        return not self.text[self.line_start(i) : i].strip(" ")

    def span(self, occ: _Occ) -> tuple[int, int]:
        """Where an occurrence's text starts and where its content ends (a block
        collection: the end of its last value; a block scalar: its last content line)."""
        if occ.alias:
            return occ.alias
        node = occ.node
        start = node.start_mark.index
        if isinstance(node, yaml.ScalarNode):
            end = node.end_mark.index
            if node.style in ("|", ">"):
                end = self.line_end(len(self.text[:end].rstrip(" \r\n")))
            return start, end
        if node.flow_style or not node.value:
            return start, node.end_mark.index
        return start, self.span(self.child(node, len(node.value) - 1))[1]

    def child(self, node, i: int) -> _Occ:
        """The value of pair ``i`` of a mapping, or item ``i`` of a sequence."""
        if isinstance(node, yaml.MappingNode):
            key, value = node.value[i]
            where = (id(node), id(key))
        else:
            value, where = node.value[i], (id(node), i)
        if where in self.alias_at:
            anchor, start, end = self.alias_at[where]
            return _Occ(value, (start, end), anchor)
        return _Occ(value)

    def slot_of(self, node, i: int, flow: bool) -> _Slot:
        if flow or node.flow_style:
            return _Slot(None, 0, flow=True)
        if isinstance(node, yaml.MappingNode):
            key = node.value[i][0]
            colon = self.colons[bisect.bisect_left(self.colons, key.end_mark.index)]
            return _Slot(colon + 1, key.start_mark.column)
        start = self.span(self.child(node, i))[0]
        dash = self.dashes[bisect.bisect_left(self.dashes, start) - 1]
        return _Slot(dash + 1, self.col(dash), item=True)

    # -- edits --

    def edit(self, start: int, end: int, text: str) -> None:
        self.edits.append((start, end, next(self._order), text))

    def apply(self, lo: int, hi: int, edits: list[_Edit]) -> str:
        """text[lo:hi] with the edits inside it. An edit within another one's range is
        dropped (the outer one wrote that part anew), as is an earlier edit of the very
        same range; an insertion at either end of a range is not within it."""
        inside = [e for e in edits if lo <= e[0] and e[1] <= hi]

        def covered(e) -> bool:
            return any(
                f is not e
                and f[0] < f[1]
                and f[0] <= e[0]
                and e[1] <= f[1]
                and ((f[0], f[1]) != (e[0], e[1]) or f[2] > e[2])
                and not (e[0] == e[1] and e[0] in (f[0], f[1]))
                for f in inside
            )

        chosen = sorted((e for e in inside if not covered(e)), key=lambda e: (e[0], e[1], e[2]))
        out, at = [], lo
        for start, end, _, text in chosen:
            if start < at:
                raise RewriteError("两处修改重叠，无法在原处写入（请报告此问题）")
            out += [self.text[at:start], text]
            at = end
        out.append(self.text[at:hi])
        return "".join(out)

    # -- a value written anew --

    def lines(self, value, col: int) -> list[str]:
        """Block lines (indented) for a mapping at column ``col``, or a sequence whose
        dashes are at ``col``."""
        pad = " " * col
        out: list[str] = []
        if isinstance(value, dict):
            for k, v in value.items():
                inline, sub = self.after_key(v, col)
                out.append(f"{pad}{_key(k)}:{' ' + inline if inline else ''}")
                out += sub
            return out
        for v in value:
            inline, sub = self.after_dash(v, col)
            out.append(f"{pad}-{' ' + inline if inline else ''}")
            out += sub
        return out

    def _scalar_lines(self, value, content_col: int, style=None) -> tuple[str, list[str]]:
        s = _scalar(value, False, style)
        if s.body is None:
            return s.inline, []
        return s.inline, [" " * content_col + x if x else "" for x in s.body]

    def after_key(self, value, col: int, style=None) -> tuple[str, list[str]]:
        """(what follows ``key:`` on its line, the lines below) for ``value`` under a
        key at column ``col``."""
        if isinstance(value, dict):
            return ("{}", []) if not value else ("", self.lines(value, col + self.style.step))
        if isinstance(value, list):
            return ("[]", []) if not value else ("", self.lines(value, col + self.style.seq))
        if value is None:
            return "", []
        return self._scalar_lines(value, col + self.style.step, style)

    def after_dash(self, value, col: int, style=None) -> tuple[str, list[str]]:
        """The same after an item's ``-`` at ``col``: a mapping's first key on the dash's line."""
        if isinstance(value, (dict, list)) and value:
            sub = self.lines(value, col + 2)
            return sub[0].lstrip(" "), sub[1:]
        if isinstance(value, (dict, list)):
            return ("{}" if isinstance(value, dict) else "[]"), []
        return self._scalar_lines(value, col + 2, style)

    def replace(self, slot: _Slot, occ: _Occ, value) -> None:
        """Write ``value`` (plain data) in place of the occurrence ``occ`` at ``slot``."""
        start, end = self.span(occ)
        node = occ.node
        scalar = isinstance(node, yaml.ScalarNode) and not occ.alias
        style = node.style if scalar else None
        flow_node = not occ.alias and not scalar and node.flow_style and bool(node.value)
        if slot.flow or (flow_node and isinstance(value, (dict, list)) and value):
            self.edit(start, end, _flow(value))
            return
        nl = self.style.nl
        if slot.lead is None:  # the document itself
            new = nl.join(self.lines(value, 0)) if isinstance(value, (dict, list)) and value else _flow(value)
            self.edit(start, end, new)
            return
        inline, below = (self.after_dash if slot.item else self.after_key)(value, slot.col, style)
        block = not occ.alias and not scalar and not node.flow_style
        if "\n" not in self.text[slot.lead : start]:  # the value starts on the indicator's line
            gap = self.text[slot.lead : start] if start > slot.lead and not block else " "
            tail = "" if block else self.text[end : self.line_end(end)]
            if style in ("|", ">"):  # a comment after a block scalar's header stays
                comment = re.search(r"[ \t]+#.*", self.text[start : self.line_end(start)])
                tail = comment.group() if comment else ""
            new = (gap + inline if inline else "") + tail + "".join(nl + x for x in below)
        else:  # on the lines below: keep a comment after the indicator
            rest = re.search(r"[ \t]*#.*", self.text[slot.lead : self.line_end(slot.lead)])
            new = (" " + inline if inline else "") + (rest.group() if rest else "") + "".join(nl + x for x in below)
        self.edit(slot.lead, self.line_end(end), new)

    # -- a value updated in place --

    def value(self, occ: _Occ, slot: _Slot, old, new) -> None:
        if occ.alias:
            self.replace(slot, occ, _plain_data(new))
        elif isinstance(new, BaseModel):
            self.mapping(occ, slot, _model_entries(old if isinstance(old, BaseModel) else None, new), new, False)
        elif isinstance(new, dict) and new:
            old = old if isinstance(old, dict) else {}
            self.mapping(occ, slot, [(k, old.get(k), v) for k, v in new.items()], new, True)
        elif isinstance(new, list) and new:
            self.sequence(occ, slot, old if isinstance(old, list) else None, new)
        else:
            self.replace(slot, occ, _plain_data(new))

    def mapping(self, occ: _Occ, slot: _Slot, entries: list, whole, is_dict: bool) -> None:
        """Make the mapping at ``occ`` hold ``entries`` [(key, old, new)]. Of a model, a key
        is added for a value that is not empty, and a list or section emptied goes (a value
        emptied keeps its key, and its comment); of a dict, a key not in ``entries`` goes."""
        node = occ.node
        data = _plain_data(whole)
        if (
            not isinstance(node, yaml.MappingNode)
            or not node.value
            or not all(isinstance(k, yaml.ScalarNode) for k, _ in node.value)
        ):
            self.replace(slot, occ, data)
            return
        if any(_is_merge(k) for k, _ in node.value):
            if not self._merged(node, slot, entries):
                self.replace(slot, occ, data)
            return
        keys = {str(k.value): i for i, (k, _) in enumerate(node.value)}
        names = [str(k) for k, _, _ in entries]
        if is_dict:
            gone = {i for k, i in keys.items() if k not in names}
            added = {str(k) for k, _, _ in entries if str(k) not in keys}
        else:  # a value emptied keeps its key (and comment), unless it is a list or mapping now empty
            gone = {keys[str(k)] for k, o, n in entries if str(k) in keys and o != n and n in ([], {})}
            added = {str(k) for k, _, n in entries if str(k) not in keys and not _empty(n)}
        flow = slot.flow or bool(node.flow_style)
        if (flow and (gone or added)) or len(gone) == len(keys):
            self.replace(slot, occ, data)
            return
        self._remove_pairs(node, gone)
        present = [k for k, i in keys.items() if i not in gone]
        where: dict[str, int | None] = {k: self.next_line(self.span(self.child(node, keys[k]))[1]) for k in present}
        for key, o, n in entries:
            i = keys.get(str(key))
            if i is None:
                if str(key) in added:
                    self._add_pair(node, present, where, key, _plain_data(n), names)
            elif i not in gone and o != n:
                self.value(self.child(node, i), self.slot_of(node, i, flow), o, n)

    def _merged(self, node, slot: _Slot, entries: list) -> bool:
        """A mapping with ``<<`` merge keys: a changed value is set by a key of its own
        (which overrides the merged one). False when that cannot make it (a value gone)."""
        if slot.flow or node.flow_style or any(_empty(n) and not _empty(o) for _, o, n in entries):
            return False
        direct = {str(k.value): i for i, (k, _) in enumerate(node.value) if not _is_merge(k)}
        present = list(direct)
        where = {k: self.next_line(self.span(self.child(node, i))[1]) for k, i in direct.items()}
        names = [str(k) for k, _, _ in entries]
        for key, o, n in entries:
            if o == n:
                continue
            i = direct.get(str(key))
            if i is not None:
                self.value(self.child(node, i), self.slot_of(node, i, False), o, n)
            else:
                self._add_pair(node, present, where, key, _plain_data(n), names)
        return True

    def _remove_pairs(self, node, gone: set[int]) -> None:
        covered: set[int] = set()
        for i in sorted(gone):
            if i in covered:
                continue
            key = node.value[i][0]
            end = self.span(self.child(node, i))[1]
            if self.at_line_start(key.start_mark.index):
                self.edit(self.line_start(key.start_mark.index), self.next_line(end), "")
                continue
            # the first key after an item's dash: the next kept key moves up onto the dash's line
            keep = next(j for j in range(i + 1, len(node.value)) if j not in gone)
            covered.update(range(i + 1, keep))
            self.edit(key.start_mark.index, node.value[keep][0].start_mark.index, "")

    def _add_pair(self, node, present: list[str], where: dict, key, value, order: list[str]) -> None:
        """Insert ``key: value`` after the last key present that comes before it in
        ``order`` (else before the first key)."""
        nl = self.style.nl
        col = node.value[0][0].start_mark.column
        inline, below = self.after_key(value, col)
        new = [f"{' ' * col}{_key(key)}:{' ' + inline if inline else ''}", *below]
        name = str(key)
        before = set(order[: order.index(name)]) if name in order else set(order)
        prev = [k for k in present if k in before]
        at = where[prev[-1]] if prev else None
        if at is not None:
            if at == len(self.text) and not self.text.endswith("\n"):
                self.edit(at, at, "".join(nl + x for x in new))
            else:
                self.edit(at, at, "".join(x + nl for x in new))
        else:
            first = node.value[0][0].start_mark.index
            if self.at_line_start(first):
                self.edit(self.line_start(first), self.line_start(first), "".join(x + nl for x in new))
            else:  # after an item's dash
                self.edit(first, first, new[0][col:] + "".join(nl + x for x in new[1:]) + nl + " " * col)
        present.insert(present.index(prev[-1]) + 1 if prev else 0, name)
        where[name] = at

    def sequence(self, occ: _Occ, slot: _Slot, old: list | None, new: list) -> None:
        """A list: an unchanged item (wherever it moved) keeps its text; another is
        updated in place at its position, or written anew."""
        node = occ.node
        nodes = node.value if isinstance(node, yaml.SequenceNode) and not occ.alias else []
        flow = slot.flow or bool(nodes and node.flow_style)
        if not nodes or (flow and len(nodes) != len(new)):
            self.replace(slot, occ, _plain_data(new))
            return
        slots = [self.slot_of(node, i, flow) for i in range(len(nodes))]
        if not flow and not all(self.at_line_start(s.lead - 1) for s in slots):
            self.replace(slot, occ, _plain_data(new))
            return
        olds = old if old is not None and len(old) == len(nodes) else [None] * len(nodes)
        unused = set(range(len(nodes)))
        out: list[int | None] = [None] * len(new)
        for i, item in enumerate(new):  # unchanged items first, where they were or moved
            j = i if i in unused and olds[i] == item else next((j for j in sorted(unused) if olds[j] == item), None)
            if j is not None:
                out[i] = j
                unused.discard(j)
        mark = len(self.edits)
        for i, item in enumerate(new):
            if out[i] is None and i in unused:
                self.value(self.child(node, i), slots[i], olds[i], item)
                out[i] = i
                unused.discard(i)
        if out == list(range(len(nodes))):
            return
        if flow:
            del self.edits[mark:]
            self.replace(slot, occ, _plain_data(new))
            return
        # the list again from its items' texts: an item's text runs from its dash's line
        # to the next item's (its comments go with it), the last one's to its end
        inner = self.edits[mark:] + self.base
        del self.edits[mark:]
        starts = [self.line_start(s.lead - 1) for s in slots]
        ends = [*starts[1:], self.next_line(self.span(occ)[1])]
        flow_items = any(isinstance(n, yaml.MappingNode) and n.flow_style for n in nodes)
        nl = self.style.nl
        parts = []
        for i, j in enumerate(out):
            if j is None:
                data = _plain_data(new[i])
                if flow_items and isinstance(data, dict):
                    parts.append(f"{' ' * slots[0].col}- {_flow(data)}{nl}")
                else:
                    parts.append("".join(x + nl for x in self.lines([data], slots[0].col)))
                continue
            chunk = self.apply(starts[j], ends[j], inner)
            parts.append(chunk if chunk.endswith("\n") else chunk + nl)
        text = "".join(parts)
        if not self.text[starts[0] : ends[-1]].endswith("\n"):
            text = text[: -len(nl)]
        self.edit(starts[0], ends[-1], text)

    # -- aliases whose anchor changes --

    def _expand_aliases(self, node, slot: _Slot) -> None:
        if isinstance(node, yaml.ScalarNode):
            return
        for i in range(len(node.value)):
            occ, sub = self.child(node, i), self.slot_of(node, i, slot.flow)
            if occ.alias is None:
                self._expand_aliases(occ.node, sub)
            elif occ.anchor in self.expand:
                self.replace(sub, occ, self.loader.construct_object(occ.node, deep=True))

    def touched_anchors(self) -> set[str]:
        """Anchors whose text an edit changes, removes or moves."""
        out = set()
        for name, node in self.anchored.items():
            lo, hi = node.start_mark.index, self.span(_Occ(node))[1]
            if any((s < hi and lo < e) or (s == e and lo < s < hi) for s, e, _, _ in self.edits):
                out.add(name)
        return out


def _is_merge(key) -> bool:
    return isinstance(key, yaml.ScalarNode) and key.tag == "tag:yaml.org,2002:merge"


def _model_entries(old: BaseModel | None, new: BaseModel) -> list:
    return [
        (n, getattr(old, n, None) if old is not None else None, getattr(new, n))
        for n in type(new).model_fields
        if n not in SKIP
    ]


def _detect(splice: _Splice) -> _Style:
    """The indentation the file uses (a nested mapping's step and a sequence's dash
    under its key, the first of each met) and its line ends."""
    step = seq = None
    stack = [splice.root] if splice.root is not None else []
    while stack and (step is None or seq is None):
        node = stack.pop(0)
        if isinstance(node, yaml.SequenceNode):
            stack += node.value
        if not isinstance(node, yaml.MappingNode) or node.flow_style:
            continue
        for key, value in node.value:
            if isinstance(value, (yaml.MappingNode, yaml.SequenceNode)) and not value.flow_style and value.value:
                if isinstance(value, yaml.MappingNode):
                    first = value.value[0][0].start_mark.index
                    if step is None and splice.at_line_start(first):
                        step = splice.col(first) - key.start_mark.column
                elif seq is None:
                    dash = splice.dashes[bisect.bisect_left(splice.dashes, value.start_mark.index)]
                    seq = splice.col(dash) - key.start_mark.column
            stack.append(value)
    return _Style(step if step and step > 0 else 2, seq if seq is not None and seq >= 0 else 2, _newline(splice.text))


def _newline(text: str) -> str:
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"


def rewrite(text: str, old: BaseModel | None, new: BaseModel) -> str:
    """``text`` (a YAML record ``old`` was loaded from) changed to hold ``new``: only the
    values that differ are rewritten. Raises RewriteError for a text that is not YAML."""
    if old is not None and old == new:
        return text
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    try:
        splice = _Splice(body)
    except yaml.YAMLError as e:
        raise RewriteError("文件不是有效的 YAML，无法在原处保存：请先用文本编辑器改正") from e
    data = _plain_data(new)
    if not isinstance(splice.root, yaml.MappingNode):
        nl = _newline(body) if "\n" in body else "\n"
        fresh = nl.join(splice.lines(data, 0)) + nl if data else ""
        if splice.root is None:  # empty, or comments only: they stay above
            return bom + body + (nl if body and not body.endswith("\n") else "") + fresh
        return bom + fresh
    entries = _model_entries(old, new)
    splice.mapping(_Occ(splice.root), _Slot(None, 0), entries, new, False)
    touched = splice.touched_anchors()
    if touched:  # again, with the unchanged aliases of those anchors written out
        splice = _Splice(body, frozenset(touched))
        splice.mapping(_Occ(splice.root), _Slot(None, 0), entries, new, False)
    return bom + splice.apply(0, len(body), splice.edits)
