"""Writing outputs: safe file names inside the output folder, all-or-nothing, atomic."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_BAD = re.compile(r'[\x00-\x1f<>:"/\\|?*\u2028\u2029]')


_UMASK = os.umask(0)
os.umask(_UMASK)


class OutputError(Exception):
    pass


def safe_name(name: str, limit: int = 120) -> str:
    """A file name built from enterprise data that cannot leave its folder."""
    name = _BAD.sub("_", name).strip().strip(".")
    name = re.sub(r"_+", "_", name)
    if not name or set(name) <= {".", "_"}:
        name = "未命名"
    return name[:limit]


def plan(out_dir: Path, names: list[str]) -> list[Path]:
    """Target paths for ``names``, each checked to stay inside ``out_dir``."""
    root = out_dir.resolve()
    paths = []
    for n in names:
        p = (root / safe_name(Path(n).stem)).with_suffix(Path(n).suffix)
        if p.resolve().parent != root:
            raise OutputError(f"输出文件名不安全：{n}")
        paths.append(p)
    dup = {p for p in paths if paths.count(p) > 1}
    if dup:
        raise OutputError(f"输出文件名重复：{', '.join(sorted(str(p.name) for p in dup))}")
    return paths


def write_all(files: list[tuple[Path, bytes]], force: bool = False) -> None:
    """Write every file or none: refuse existing files unless ``force``; each file is
    written to a temporary name in the same folder and renamed into place."""
    if not force:
        existing = [p for p, _ in files if p.exists()]
        if existing:
            raise OutputError(
                "以下文件已存在，未写入任何文件（使用 --force 覆盖）：" + "、".join(p.name for p in existing)
            )
    for path, _ in files:
        path.parent.mkdir(parents=True, exist_ok=True)
    temps = []
    try:
        for path, data in files:
            fd, tmp = tempfile.mkstemp(prefix=".formgen-", suffix=path.suffix, dir=path.parent)
            os.chmod(tmp, 0o666 & ~_UMASK)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            temps.append((tmp, path))
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
