"""Record paths: the dotted paths (``scenarios[0].equipment[1].kind``) every layer uses
to name a field of a record, and the helpers that read them.

A *path* names one value (``enterprise.financials[2].revenue``); a *pattern* names a
field of every item of a list (``enterprise.financials[].revenue``), the form in which
packs, labels and the field catalogue name fields. ``when`` conditions of a manifest are
evaluated here too, so packs, rules, renderers and doors ask one module.
"""

from __future__ import annotations

import re

_INDEX = re.compile(r"\[\d*\]")


def parse_path(path: str) -> tuple:
    """'scenarios[0].name' -> ('scenarios', 0, 'name').

    >>> parse_path("scenarios[0].equipment[12].kind")
    ('scenarios', 0, 'equipment', 12, 'kind')
    """
    out: list = []
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            out.append(int(part[1:-1]))
        else:
            out.append(part)
    return tuple(out)


def generic(path: str) -> str:
    """The pattern of a path: indices dropped.

    >>> generic("scenarios[3].equipment[0].kind")
    'scenarios[].equipment[].kind'
    >>> generic("scenarios[].name")
    'scenarios[].name'
    """
    return _INDEX.sub("[]", path)


def join(base: str, rel: str) -> str:
    """A path under ``base`` (either may be empty).

    >>> join("scenarios[2]", "name"), join("", "name"), join("scenarios[2]", "")
    ('scenarios[2].name', 'name', 'scenarios[2]')
    """
    return f"{base}.{rel}" if base and rel else base or rel


def is_empty(value) -> bool:
    """Nothing filled in: None, blank text, an empty list or mapping.

    >>> [is_empty(x) for x in (None, " ", [], {}, 0, "a")]
    [True, True, True, True, False, False]
    """
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, (list, dict)) and not value)


def get(obj, path: str):
    """The value at a dotted path of a record or a mapping (None when absent).

    >>> get({"enterprise": {"financials": [{"revenue": 1}, {"revenue": 2}]}}, "enterprise.financials[1].revenue")
    2
    >>> get({"enterprise": {}}, "enterprise.financials[5].revenue") is None
    True
    """
    return get_parts(obj, parse_path(path))


def get_parts(obj, parts: tuple):
    """:func:`get` for a path already parsed by :func:`parse_path`."""
    for part in parts:
        if obj is None:
            return None
        if isinstance(part, int):
            obj = obj[part] if part < len(obj) else None
        elif isinstance(obj, dict):
            obj = obj.get(part)
        else:
            obj = getattr(obj, part, None)
    return obj


def applies(record, when: dict | None) -> bool:
    """Whether a ``when`` condition from a manifest holds. Every ``path: wanted`` pair
    must match: a value, a list (any of its values), or an operator mapping
    (``{not: V | [V...]}``, ``{filled: true|false}`` for a non-empty value or list).
    ``any: [COND...]`` holds when one of its conditions holds.

    >>> rec = {"factory": {"level": "先进级", "excellent_scenarios": []}}
    >>> applies(rec, {"factory.level": ["基础级", "先进级"]})
    True
    >>> applies(rec, {"factory.excellent_scenarios": {"filled": True}})
    False
    >>> applies(rec, {"any": [{"factory.level": "卓越级"}, {"factory.level": {"not": "基础级"}}]})
    True
    """
    for path, wanted in (when or {}).items():
        if path == "any":
            if not any(applies(record, c) for c in wanted):
                return False
            continue
        value = get(record, path)
        if isinstance(wanted, dict):
            if "not" in wanted:
                banned = wanted["not"] if isinstance(wanted["not"], list) else [wanted["not"]]
                if value in banned:
                    return False
            if "filled" in wanted and bool(value not in (None, "", [], {})) != bool(wanted["filled"]):
                return False
            continue
        options = wanted if isinstance(wanted, list) else [wanted]
        if value not in options:
            return False
    return True


def expand(record, pattern: str) -> list[tuple[str, object]]:
    """Concrete (path, value) pairs for a pattern with ``[]`` wildcards over lists.

    >>> expand({"s": [{"n": "a"}, {"n": "b"}]}, "s[].n")
    [('s[0].n', 'a'), ('s[1].n', 'b')]
    """
    if "[]" not in pattern:
        return [(pattern, get(record, pattern))]
    head, _, tail = pattern.partition("[]")
    items = get(record, head) or []
    out = []
    for i in range(len(items)):
        out.extend(expand(record, f"{head}[{i}]{tail}"))
    return out


def put(data: dict, path: str, value) -> None:
    """Set ``value`` at ``path`` in nested plain mappings and lists, making the mappings
    and growing the lists on the way (the shape a record has before it is typed).

    >>> d = {}
    >>> put(d, "scenarios[1].equipment[0].kind", "机器人")
    >>> d
    {'scenarios': [{}, {'equipment': [{'kind': '机器人'}]}]}
    """
    parts = parse_path(path)
    node = data
    for here, nxt in zip(parts, parts[1:], strict=False):
        fresh = [] if isinstance(nxt, int) else {}
        if isinstance(here, int):
            while len(node) <= here:
                node.append({} if not isinstance(nxt, int) else [])
            if node[here] is None:
                node[here] = fresh
            node = node[here]
        else:
            if node.get(here) is None:
                node[here] = fresh
            node = node[here]
    last = parts[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value
