"""The examples in formgen's docstrings run as tests (python -m doctest, per module)."""

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import formgen

ROOT = Path(formgen.__file__).resolve().parent


def _with_examples() -> list[str]:
    out = []
    for info in pkgutil.walk_packages(formgen.__path__, "formgen."):
        spec = importlib.util.find_spec(info.name)
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin and origin.suffix == ".py" and ">>> " in origin.read_text(encoding="utf-8"):
            out.append(info.name)
    return sorted(out)


MODULES = _with_examples()


def test_some_modules_have_examples():
    assert "formgen.record.paths" in MODULES or "formgen.record.model.paths" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
