"""A record's figures in the intake: image files uploaded with the record (or to the link's
web form's 草稿), kept in the intake's storage under generated names like every upload; and
the files a pack asks the record to name (``checks.files``: Shanghai's CMMM report, a PDF),
the same way.

A figure (or such a file) the record names resolves only to a file of the same submission, by its base
name (``figures/厂区.jpg`` and ``..\\..\\厂区.jpg`` both name ``厂区.jpg``; letter case aside,
as Windows names files), never by a path: the record is read with its figures folder set
to a work folder made for the check inside the intake's storage, holding hard links (or
copies) of that submission's images under their names and nothing else. A name that is no
image of the submission gives the pack's own finding (FG002: 文件不存在).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import unicodedata
from pathlib import Path, PurePath

from .db import ATTACHMENT_SUFFIXES, IMAGE_SUFFIXES, Intake

FIGURE_KIND = "figure"
ATTACHMENT_KIND = "attachment"
NAMED_KINDS = (FIGURE_KIND, ATTACHMENT_KIND)  # files a record names, resolved by their names
MAX_FIGURES = 30  # images in one submission (Shanghai asks for at least 10)
MAX_FIGURE_BYTES = 160 * 1024 * 1024  # the images of one submission together (each also to images.MAX_BYTES)


def is_image_name(name: str) -> bool:
    """Whether an upload is named as an image (its content is checked all the same).

    >>> is_image_name("厂区.JPG"), is_image_name("记录.yaml")
    (True, False)
    """
    return PurePath(name or "").suffix.casefold() in IMAGE_SUFFIXES


def shown_name(filename: str) -> str:
    """The name an upload is shown and downloaded by: its last part only, made safe.

    >>> shown_name("../../etc/passwd.yaml"), shown_name("C:\\\\x\\\\申报.docx"), shown_name("")
    ('passwd.yaml', '申报.docx', '上传文件')
    """
    from ..output import safe_name

    # invisible characters out (a right-to-left override would show "申报\u202excod.yaml" as "申报yaml.docx")
    filename = "".join(c for c in filename if unicodedata.category(c) not in ("Cc", "Cf"))
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base:
        return "上传文件"
    stem, suffix = Path(base).stem, Path(base).suffix
    return safe_name(stem, 100) + ("." + safe_name(suffix[1:], 10) if suffix else "")


def is_named_file(name: str) -> bool:
    """Whether an upload is a file the record names (a figure, an attachment), not the record.

    >>> is_named_file("报告.PDF"), is_named_file("厂区.png"), is_named_file("申报书.docx")
    (True, True, False)
    """
    return is_image_name(name) or PurePath(name or "").suffix.casefold() in ATTACHMENT_SUFFIXES


def image_problem(data: bytes) -> str:
    """Why ``data`` cannot be a figure ("" when it can), judged as ``formgen validate``
    judges a figure: by its content (JPEG, PNG or BMP), size and pixels (a pixel bomb)."""
    from ..render.images import examine

    return examine(data).problem


def attachment_problem(data: bytes) -> str:
    """Why ``data`` cannot be an attachment ("" when it can): a PDF by its content.

    >>> attachment_problem(b"%PDF-1.4 ..."), attachment_problem(b"MZ...")
    ('', '不是 PDF 文件（内容与扩展名不符）')
    """
    return "" if data[:5] == b"%PDF-" else "不是 PDF 文件（内容与扩展名不符）"


def figures_of(sub: dict | None) -> list[tuple[str, str]]:
    """(shown name, stored name) of the files a version holds that its record names (figures, attachments)."""
    return [(f["name"], f["stored"]) for f in (sub or {}).get("files", []) if f["kind"] in NAMED_KINDS]


@contextlib.contextmanager
def folder(intake: Intake, figures: list[tuple[str, str]]):
    """A work folder inside the intake's storage holding the images ``figures`` (shown name,
    stored name) under their shown names, and nothing else; removed afterwards."""
    intake.storage.mkdir(parents=True, exist_ok=True)
    where = Path(tempfile.mkdtemp(prefix="work-", dir=intake.storage))
    try:
        taken: set[str] = set()
        for name, stored in figures:
            if name.casefold() in taken:  # the first of a name (a 草稿 keeps names apart)
                continue
            taken.add(name.casefold())
            source, target = intake.path_of(stored), where / name
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def folder_of_bytes(where: Path, images: list[tuple[str, bytes]]) -> Path:
    """``images`` (shown name, bytes) written into the new folder ``where`` (a draft's check)."""
    where.mkdir()
    for name, data in images:
        target = where / name
        if not target.exists():
            target.write_bytes(data)
    return where


def ref_name(ref: str, names: dict[str, str]) -> str:
    """The image a figure reference names: its base name, matched to an image's name
    regardless of letter case (``names``: casefolded -> name), else the base name alone.

    >>> ref_name("figures/FIG01.jpg", {"fig01.jpg": "fig01.jpg"}), ref_name("../../etc/passwd", {})
    ('fig01.jpg', 'passwd')
    """
    base = shown_name(ref or "")
    return names.get(base.casefold(), base)


def named_paths(pack) -> list[str]:
    """The fields of a record that name a file: each figure's, and those the pack asks (``checks.files``)."""
    return ["figures[].file", *[e["path"] for e in ((pack.checks.get("files") if pack else None) or [])]]


def resolve(entry, where: Path, pack) -> list[str]:
    """Make ``entry``'s record name its figures (and the files ``pack`` asks for) by base
    name, found only in ``where``; returns the names it refers to. A filled form's figures
    (read out of the form into a folder of their own) are left as they are."""
    from ..record.paths import expand, parse_path

    loaded = entry.loaded
    if loaded is None or loaded.files_dir is not None:
        return []
    names = {p.name.casefold(): p.name for p in where.iterdir()}
    referred = []
    for pattern in named_paths(pack):
        for path, value in expand(loaded.record, pattern):
            if isinstance(value, str) and value.strip():
                parts = parse_path(path)
                node = loaded.record
                for part in parts[:-1]:
                    node = node[part] if isinstance(part, int) else getattr(node, part)
                setattr(node, parts[-1], ref_name(value, names))
                referred.append(ref_name(value, names))
    loaded.files_dir = where
    return referred


def rewrite_data(data: dict, names: dict[str, str], pack) -> dict:
    """The web form's record data with each file it names named by its base name (see :func:`ref_name`)."""
    import copy

    from ..record.paths import expand, put

    data = copy.deepcopy(data)
    for pattern in named_paths(pack):
        try:
            found = expand(data, pattern)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue
        for path, value in found:
            if isinstance(value, str) and value.strip():
                put(data, path, ref_name(value, names))
    return data


def place(folder: Path, records: list[Path], files: dict[str, bytes], pack) -> None:
    """Put a submission's files its record names (``files``: shown name -> bytes) where the
    record in ``folder`` finds them when read as ``formgen summary`` reads it (the clerk's
    sheets): each reference matched to a file by base name and written only inside
    ``folder``, never over a file; a reference pointing elsewhere is left to find nothing."""
    from .. import app as flow
    from ..record.paths import expand

    root = folder.resolve()
    names = {n.casefold(): n for n in files}
    try:
        entries = flow.load_entries(records, pack)
    except (OSError, flow.FormsNeedPack):
        return
    for entry in entries:
        if entry.loaded is None or entry.loaded.files_dir is not None:
            continue
        for pattern in named_paths(pack):
            for _path, value in expand(entry.loaded.record, pattern):
                name = names.get(shown_name(value).casefold()) if isinstance(value, str) and value.strip() else None
                if name is None:
                    continue
                target = (root / value.replace("\\", "/")).resolve()
                if not target.is_relative_to(root) or target == root or target.exists():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(files[name])
