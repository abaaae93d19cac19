"""The folder a ``formgen serve`` serves: only the record files directly in it are read
and written, only figures below it are read, and each save is atomic, keeps a backup of the
previous version and refuses to overwrite a file that changed since the page opened it.

Names come from a browser and are untrusted: a record is named by its file name alone (no
folder, no ``..``, no absolute path, no hidden file), resolved with symlinks followed and
refused unless the result is a regular file inside the folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..doors.opener import load
from ..record.loader import Loaded, LoadError, strict

RECORD_SUFFIXES = (".yaml", ".yml", ".xlsx")
BACKUP_DIR = ".formgen-备份"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # formgen's own limit for a figure (formgen.render.images)
UPLOAD_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp"}  # what fill can embed


class Refused(ValueError):
    """A name or file the server will not touch (one line, Chinese); ``status`` for HTTP."""

    def __init__(self, message: str, status: int = 404):
        super().__init__(message)
        self.status = status


class Conflict(Refused):
    def __init__(self, message: str):
        super().__init__(message, 409)


@dataclass(frozen=True)
class Version:
    """What a page opened: the file's modification time and SHA-256."""

    mtime: float
    sha256: str


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Folder:
    def __init__(self, root: Path):
        root = Path(root)
        if not root.is_dir():
            raise Refused(f"{root}：不是文件夹", 400)
        self.root = root.resolve()
        self._lock = threading.Lock()

    # --- names --------------------------------------------------------------------------

    def record_path(self, name: str) -> Path:
        """The record file ``name`` stands for, or Refused."""
        if (
            not name
            or "/" in name
            or "\\" in name
            or "\x00" in name
            or name.startswith(".")
            or name.startswith("~$")
            or Path(name).is_absolute()
        ):
            raise Refused(f"没有这个记录：{name}")
        if Path(name).suffix.casefold() not in RECORD_SUFFIXES:
            raise Refused(f"不是记录文件（.yaml、.yml、.xlsx）：{name}")
        return self._inside(self.root / name, name)

    def _inside(self, path: Path, name: str) -> Path:
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise Refused(f"没有这个文件：{name}") from None
        if not real.is_relative_to(self.root):
            raise Refused(f"文件不在所服务的文件夹内：{name}", 403)
        try:
            st = real.stat()
        except OSError:
            raise Refused(f"没有这个文件：{name}") from None
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"不是普通文件：{name}", 403)
        return real

    def file_path(self, base: Path, name: str) -> Path:
        """A file a record names (a figure), relative to the record's folder and inside
        the served folder."""
        if not name or "\x00" in name or Path(name).is_absolute():
            raise Refused(f"没有这个文件：{name}", 403 if name and Path(name).is_absolute() else 404)
        return self._inside(base / name, name)

    def records(self) -> list[str]:
        """The record files directly in the folder, in natural order (c2 before c10)."""
        import re

        out = []
        for entry in os.scandir(self.root):
            name = entry.name
            if name.startswith((".", "~$")) or Path(name).suffix.casefold() not in RECORD_SUFFIXES:
                continue
            try:
                self.record_path(name)
            except Refused:
                continue
            out.append(name)
        return sorted(out, key=lambda n: [int(t) if t.isdigit() else t.casefold() for t in re.split(r"(\d+)", n)])

    # --- reading ------------------------------------------------------------------------

    def read(self, name: str) -> tuple[Path, bytes, Version]:
        path = self.record_path(name)
        with open(path, "rb") as f:
            data = f.read()
        return path, data, Version(os.stat(path).st_mtime, _digest(data))

    def open(self, name: str) -> tuple[Path, Loaded | None, list, Version]:
        """(path, the loaded record or None, the findings of a file that cannot be read,
        the version read)."""
        path, data, version = self.read(name)
        try:  # a value the page could not show (wrong type) would be lost by a save: fix it in the file first
            return path, strict(load(path)), [], version
        except LoadError as e:
            return path, None, e.findings, version

    def version(self, name: str) -> Version:
        return self.read(name)[2]

    # --- writing ------------------------------------------------------------------------

    def save(self, name: str, record, opened: str) -> Version:
        """Write ``record`` into the file ``name`` in its own format, provided the file is
        still the version whose SHA-256 is ``opened``: read back and compared before
        anything is written, the previous version kept in BACKUP_DIR, the new one renamed
        into place (all or nothing). Raises Conflict, or Refused when the record cannot be
        written as the file's format."""
        from ..output import OutputError, write_all

        with self._lock:
            path, current, version = self.read(name)
            if version.sha256 != opened:
                raise Conflict(
                    f"{name} 在打开后已被其他程序修改（{_when(version.mtime)}），未保存：请重新载入页面后再改，以免覆盖别人的修改"
                )
            data = self._serialise(path, current, record)
            if data == current:
                return version
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            backup = self.root / BACKUP_DIR / f"{path.stem}.{stamp}{path.suffix}"
            try:
                write_all([(backup, current)])
                if self.read(name)[2].sha256 != opened:  # changed while we were writing the backup
                    raise Conflict(f"{name} 正在被其他程序修改，未保存：请重新载入页面")
                write_all([(path, data)], force=True)
            except OutputError as e:
                raise Refused(str(e), 500) from e
            except OSError as e:
                raise Refused(f"写入失败，原文件未改动：{e.strerror or e}", 500) from e
            return self.version(name)

    def _serialise(self, path: Path, current: bytes, record) -> bytes:
        if path.suffix.casefold() == ".xlsx":
            from ..doors.workbook import WorkbookError, read_workbook, record_workbook

            try:
                data = record_workbook(record)
            except WorkbookError as e:
                raise Refused(f"无法写成工作簿：{'「' + e.label + '」' if e.label else ''}{e}", 422) from e
            try:
                back = strict(read_workbook(path, raw=data)).record
            except LoadError as e:
                raise Refused(f"写出的工作簿无法读回，未保存：{e.findings[0].message}", 500) from e
        else:
            from ..record.loader import load_yaml
            from .yamlsave import RewriteError, rewrite

            try:
                old = strict(load(path)).record
            except LoadError:
                old = None
            try:  # the file's byte-order mark, if any, is kept by rewrite
                data = rewrite(current.decode("utf-8"), old, record).encode("utf-8")
            except UnicodeDecodeError as e:
                raise Refused("文件不是 UTF-8 编码，无法在原处保存，未保存", 422) from e
            except RewriteError as e:
                raise Refused(f"{e}，未保存", 422) from e
            with tempfile.TemporaryDirectory(prefix="formgen-web-") as tmp:
                probe = Path(tmp) / path.name
                probe.write_bytes(data)
                try:
                    back = strict(load_yaml(probe)).record
                except LoadError as e:
                    raise Refused(f"写出的 YAML 无法读回，未保存：{e.findings[0].message}", 500) from e
        if back != record:
            raise Refused("写出的文件读回后与表单内容不一致，未保存（请报告此问题）", 500)
        return data

    def store_upload(self, record_path: Path, filename: str, data: bytes) -> tuple[str, dict]:
        """Keep an uploaded figure beside the record (``企业_配图/名称.jpg``), never over an
        existing file; returns its name relative to the record and what it is."""
        from PIL import Image, UnidentifiedImageError

        from ..output import OutputError, safe_name, write_all

        if len(data) > MAX_UPLOAD_BYTES:
            raise Refused(f"图片超过 {MAX_UPLOAD_BYTES // 1048576} MB 的上限", 413)
        if not data:
            raise Refused("上传的文件为空", 400)
        import io

        try:
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format
                im.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
            raise Refused(f"不是可识别的图片（{e.__class__.__name__}）：只接受 JPEG、PNG、BMP", 415) from e
        if fmt not in UPLOAD_FORMATS:
            raise Refused(f"图片格式 {fmt} 不能插入申报书：只接受 JPEG、PNG、BMP", 415)
        stem = safe_name(Path(filename or "").stem or "图片", 80).lstrip(".") or "图片"
        folder = record_path.parent / f"{safe_name(record_path.stem, 80)}_配图"
        suffix = UPLOAD_FORMATS[fmt]
        if (folder.exists() or folder.is_symlink()) and not (
            folder.resolve().is_relative_to(self.root) and folder.is_dir()
        ):
            raise Refused(f"{folder.name} 不是所服务文件夹内的文件夹，未保存图片", 403)
        with self._lock:
            target = folder / f"{stem}{suffix}"
            n = 2
            while target.exists() or target.is_symlink():
                target = folder / f"{stem}_{n}{suffix}"
                n += 1
            try:
                write_all([(target, data)])
            except OutputError as e:
                raise Refused(str(e), 500) from e
        return target.relative_to(record_path.parent).as_posix(), {"format": fmt}


def _when(mtime: float) -> str:
    return "修改时间 " + dt.datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M:%S")
