"""What the record model says of a path: the model pattern a layout's path names, the
model behind an annotation, the record paths an expression reads. Packs (their layouts),
the field catalogue and the checks of a pack ask this module, below all of them.
"""

from __future__ import annotations

import functools
import re
import types
import typing

from pydantic import BaseModel

from .model import Record
from .paths import generic


def strip_optional(annotation):
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def model_of(annotation):
    annotation = strip_optional(annotation)
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


PATH_TOKEN = re.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*(?:\[\d*\])?(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d*\])?)*)")
STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def resolve_path(path: str, root: type[BaseModel] = Record) -> str | None:
    """The model pattern a path in a layout names (indices dropped), or None when it
    names no field of the record (or of ``root``): 'enterprise.financials[0].revenue' ->
    'enterprise.financials[].revenue'; a sub-block or list is returned as named."""
    path = generic(path)
    model: type[BaseModel] | None = root
    out = []
    for part in path.split("."):
        name = part[:-2] if part.endswith("[]") else part
        if model is None:
            return None
        info = model.model_fields.get(name)
        if info is None:
            return None
        origin = typing.get_origin(strip_optional(info.annotation))
        inner = model_of(info.annotation)
        out.append(name + ("[]" if origin is list and inner is not None else ""))
        if origin is dict:
            break
        model = inner
    text = ".".join(out)
    # a list named as a whole ('scenarios') reads as its pattern without the trailing []
    return text[:-2] if text.endswith("[]") and not path.endswith("[]") else text


def expr_tokens(expr: str) -> list[str]:
    """The dotted names an expression reads (not the functions it calls, nor its strings).

    >>> expr_tokens("fmt(enterprise.name) ~ '市' ~ item.city")
    ['enterprise.name', 'item.city']
    """
    expr = STRING_LITERAL.sub("''", expr)
    return [m.group(1) for m in PATH_TOKEN.finditer(expr) if expr[m.end() : m.end() + 1] != "("]


def expr_paths(expr: str, prefix: str) -> list[str]:
    """The record patterns an expression reads (``item.`` under ``prefix``); functions and
    string literals are not paths."""
    out = []
    for token in expr_tokens(expr):
        if token.startswith("item.") and prefix:
            token = prefix + token[len("item.") :]
        resolved = resolve_path(token)
        if resolved:
            out.append(resolved)
    return out


@functools.cache
def all_patterns(root: type[BaseModel]) -> tuple[str, ...]:
    """Every field pattern of ``root``, sub-blocks and lists included (for suggestions)."""
    out: list[str] = []

    def walk(model, prefix):
        for name, info in model.model_fields.items():
            origin = typing.get_origin(strip_optional(info.annotation))
            inner = model_of(info.annotation)
            out.append(prefix + name)
            if inner is not None and origin is not dict:
                walk(inner, f"{prefix}{name}{'[]' if origin is list else ''}.")

    walk(root, "")
    return tuple(out)
