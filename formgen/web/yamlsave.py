"""A record written back into its own YAML file with a round-trip YAML library
(ruamel.yaml), so that the comments, key order and spelling of every value the user did
not change stay as they were: the old and the new record are compared field by field and
only the values that differ are set, added (at their place in the model's order) or
removed."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from pydantic import BaseModel

SKIP = ("schema_version",)


def _empty(value) -> bool:
    if isinstance(value, BaseModel):
        return all(_empty(getattr(value, n)) for n in type(value).model_fields if n not in SKIP)
    return value is None or value == [] or value == {} or value == ""


def _scalar(value):
    """A record value as ruamel.yaml writes it: long texts as literal blocks, amounts as
    numbers when a YAML number keeps them exactly (else as text, which the record reads
    exactly), dates plain."""
    from ruamel.yaml.scalarstring import LiteralScalarString

    if isinstance(value, str):
        return LiteralScalarString(value) if "\n" in value else value
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        written = format(value, "f")
        if "." not in written:
            return int(written)
        try:
            exact = Decimal(repr(float(written))) == value
        except (OverflowError, ValueError):
            exact = False
        return float(written) if exact else written
    if isinstance(value, dt.date):
        return value
    if isinstance(value, BaseModel):
        return _mapping(None, value)
    if isinstance(value, list):
        from ruamel.yaml.comments import CommentedSeq

        return CommentedSeq(_scalar(v) for v in value)
    if isinstance(value, dict):
        from ruamel.yaml.comments import CommentedMap

        return CommentedMap((k, _scalar(v)) for k, v in value.items())
    return value


def _mapping(node, new: BaseModel, old: BaseModel | None = None):
    from ruamel.yaml.comments import CommentedMap

    node = node if isinstance(node, dict) else CommentedMap()
    update(node, old, new)
    return node


def _set(node, name: str, value, order: list[str]) -> None:
    """node[name] = value; a new key goes after the keys that come before it in ``order``."""
    if name in node or not hasattr(node, "insert"):
        node[name] = value
        return
    before = order[: order.index(name)] if name in order else order
    keys = list(node)
    at = max((i + 1 for i, k in enumerate(keys) if k in before), default=0)
    node.insert(at, name, value)


def _update_dict(node, old: dict | None, new: dict) -> None:
    old = old or {}
    for k in [k for k in node if k not in new and str(k) not in {str(x) for x in new}]:
        del node[k]
    for k, v in new.items():
        key = next((x for x in node if str(x) == str(k)), k)
        if key in node and k in old and old[k] == v:
            continue
        if isinstance(v, dict) and isinstance(node.get(key), dict):
            _update_dict(node[key], old.get(k) if isinstance(old.get(k), dict) else None, v)
        else:
            node[key] = _scalar(v)


def _update_items(seq, old: list, new: list) -> None:
    """A list of items: an item that is unchanged (wherever it moved) keeps its YAML as
    written; another is updated in place at its position, or written afresh."""
    nodes = list(seq)
    olds = old if len(old) == len(nodes) else [None] * len(nodes)
    unused = set(range(len(nodes)))
    out: list = [None] * len(new)
    for i, item in enumerate(new):  # unchanged items first, where they were or moved
        j = i if i in unused and olds[i] == item else next((j for j in sorted(unused) if olds[j] == item), None)
        if j is not None:
            out[i] = nodes[j]
            unused.discard(j)
    for i, item in enumerate(new):
        if out[i] is not None:
            continue
        if i in unused and isinstance(nodes[i], dict):
            update(nodes[i], olds[i], item)
            out[i] = nodes[i]
            unused.discard(i)
        else:
            out[i] = _mapping(None, item)
    if out != nodes or len(out) != len(nodes):
        seq[:] = out


def _container(node, name: str, order: list[str], kind: type):
    """The mapping (``kind`` dict) or sequence (list) at ``node[name]``, put in its place
    when the file has none there (or a scalar)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    sub = node.get(name)
    if not isinstance(sub, kind):
        sub = CommentedMap() if kind is dict else CommentedSeq()
        _set(node, name, sub, order)
    return sub


def update(node, old: BaseModel | None, new: BaseModel) -> None:
    """Make the YAML mapping ``node`` (read from the file ``old`` was loaded from) hold ``new``."""
    order = [n for n in type(new).model_fields if n not in SKIP]
    for name in order:
        o = getattr(old, name, None) if old is not None else None
        n = getattr(new, name)
        if o == n and (name in node or _empty(n)):
            continue
        if _empty(n):
            node.pop(name, None)
            continue
        if isinstance(n, BaseModel):
            update(_container(node, name, order, dict), o if isinstance(o, BaseModel) else None, n)
        elif isinstance(n, list) and n and isinstance(n[0], BaseModel):
            _update_items(_container(node, name, order, list), o if isinstance(o, list) else [], n)
        elif isinstance(n, dict):
            _update_dict(_container(node, name, order, dict), o if isinstance(o, dict) else None, n)
        else:
            _set(node, name, _scalar(n), order)


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.width = 4096  # long lines stay one line: the record's texts are paragraphs
    y.allow_unicode = True
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def rewrite(text: str, old: BaseModel | None, new: BaseModel) -> str:
    """``text`` (a YAML record ``old`` was loaded from) changed to hold ``new``."""
    from ruamel.yaml.comments import CommentedMap

    y = _yaml()
    tree = y.load(text) if text.strip() else None
    if not isinstance(tree, dict):
        tree, old = CommentedMap(), None
    update(tree, old, new)
    out = io.StringIO()
    y.dump(tree, out)
    written = out.getvalue()
    return written.replace("\n", "\r\n") if "\r\n" in text else written  # a file from Windows stays CRLF
