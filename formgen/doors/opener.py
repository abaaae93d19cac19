"""Which door a file takes: a record file is read by the reader its suffix names (YAML by
default, a formgen workbook for .xlsx), and the formats formgen cannot read are refused in
one line that says what to do instead.
"""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from ..record.findings import ERROR, Finding
from ..record.loader import Loaded, LoadError, load_yaml
from ..record.model import Recommender, Record

# Readers by file suffix (lower case); a reader returns a Loaded or raises LoadError.
READERS: dict[str, typing.Callable[[Path, type[BaseModel]], Loaded]] = {}


def _read_workbook(path: Path, model: type[BaseModel]) -> Loaded:
    from .workbook import read_workbook  # imported when a workbook is read, not before

    return read_workbook(path, model)


def _refuse(message: str, code: str = "WB001"):
    def reader(path: Path, model: type[BaseModel]) -> Loaded:
        raise LoadError([Finding(code, ERROR, "", "", message, str(path))])

    return reader


READERS[".xlsx"] = _read_workbook
READERS[".xlsm"] = _refuse("含宏的工作簿（.xlsm）不予读取：请在 Excel 或 WPS 中“另存为”Excel 工作簿（.xlsx）")
READERS[".xls"] = _refuse("旧版 Excel 格式（.xls）无法读取：请在 Excel 或 WPS 中“另存为”Excel 工作簿（.xlsx）")
READERS[".et"] = _refuse("WPS 表格格式（.et）无法读取：请在 WPS 中“另存为”Excel 工作簿（.xlsx）")
_WORD = "这是 Word 文档，不是记录：检查用 Word 写的申报书草稿请用 formgen check 文件 --pack 包名"
for _suffix in (".docx", ".doc", ".docm", ".wps"):
    READERS[_suffix] = _refuse(_WORD, "IN001")


def load(path: str | Path, model: type[BaseModel] = Record) -> Loaded:
    """Read and type-check one record file (YAML, or another format a reader is
    registered for by suffix); raise LoadError listing every problem."""
    path = Path(path)
    reader = READERS.get(path.suffix.casefold())
    if reader is not None:
        return reader(path, model)
    return load_yaml(path, model)


def load_recommender(path: str | Path) -> Loaded:
    return load(path, Recommender)
