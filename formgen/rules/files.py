"""Files a pack asks to be attached (``checks.files``: ``[{path, what}]``): the record
names them relative to its folder, and each must be there and readable."""

from pathlib import PurePath

from ..record.model import record_file
from ..record.paths import expand
from . import ERROR, Hit, rule


def _name(value: str) -> str:
    """An attached file by its name (no folder: a finding may reach a letter).

    >>> _name("附件/自评估报告.pdf")
    '自评估报告.pdf'
    """
    return PurePath(value.replace("\\", "/")).name or value


@rule("AT001", ERROR, "附件文件缺失或无法读取")
def attached(ctx):
    for entry in ctx.check("files", []) or []:
        for path, value in expand(ctx.record, entry["path"]):
            if not value:
                continue  # an empty field is RQ001's finding
            found, problem = record_file(ctx.loaded.base_dir, value)
            if found is None:
                yield Hit(path, f"{entry.get('what', '附件')}“{_name(value)}”：{problem}")
                continue
            try:
                with open(found, "rb") as f:
                    f.read(1)
            except OSError as e:
                yield Hit(path, f"{entry.get('what', '附件')}“{_name(value)}”无法读取：{e.strerror}")
