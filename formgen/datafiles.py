"""Where the shipped data and packs live: beside the package in a checkout or an
editable install, inside it in a wheel. ``FORMGEN_PACKS`` adds pack folders."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _first(*candidates: Path) -> Path:
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]


def data_dir() -> Path:
    return _first(_HERE / "data", _HERE.parent / "data")


def pack_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("FORMGEN_PACKS", "").split(os.pathsep) if p]
    return [*extra, _first(_HERE / "forms", _HERE.parent / "forms")]


def cache_dir() -> Path | None:
    """Where parsed data files are kept between runs: ``FORMGEN_CACHE``, else the user's
    cache folder (``$XDG_CACHE_HOME/formgen``, ``~/.cache/formgen``). ``FORMGEN_CACHE=off``
    (or no home folder) keeps nothing."""
    env = os.environ.get("FORMGEN_CACHE")
    if env:
        return None if env.casefold() in ("off", "0", "no") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "formgen"
    try:
        return Path.home() / ".cache" / "formgen"
    except (RuntimeError, KeyError):  # no home folder
        return None


def compiled(path: Path, build, kind: str):
    """``build(text)`` of the data file ``path``, kept between runs under the SHA-256 of
    its bytes (:func:`remembered`): a changed file is parsed again, an unchanged one is
    read back (pickle, several times faster than parsing)."""
    raw = path.read_bytes()
    return remembered(kind, raw, build, raw.decode("utf-8"))


def remembered(kind: str, key: bytes, build, *args):
    """``build(*args)``, kept in :func:`cache_dir` under the SHA-256 of ``key`` with
    ``kind``, formgen's and Python's versions and the time the module of ``build`` was
    last changed (a checkout being edited rebuilds). Only the hash names the file: no
    path or text of the user's is written in it. A cache that cannot be read or written
    is passed over, never an error."""
    import hashlib
    import pickle
    import sys

    from . import __version__

    folder = cache_dir()
    if folder is None:
        return build(*args)
    try:
        code = os.stat(sys.modules[build.__module__].__file__).st_mtime_ns
    except (AttributeError, KeyError, OSError, TypeError):
        code = 0
    digest = hashlib.sha256(f"{kind}\0{__version__}\0{sys.version}\0{code}\0".encode() + key).hexdigest()
    target = folder / f"{digest}.pickle"
    try:
        with open(target, "rb") as f:
            value = pickle.load(f)  # noqa: S301 - the user's own cache of what formgen built
            _used(f.fileno(), target)
            return value
    except Exception:  # noqa: BLE001, S110 - missing, stale or damaged: build again
        pass
    value = build(*args)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_name(f".{digest}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
        prune(folder)
    except Exception:  # noqa: BLE001, S110 - a read-only or full disk: just not kept
        pass
    return value


DAY_NS = 86_400 * 10**9
KEEP_DAYS = 60  # an entry unused this long is removed (a figure replaced, an old formgen's tables)


def _used(fd: int, target: Path) -> None:
    """Mark an entry as used (its modification time, at most once a day)."""
    import time

    now = time.time_ns()
    if now - os.fstat(fd).st_mtime_ns > DAY_NS:
        os.utime(target, ns=(now, now))


def prune(folder: Path, now_ns: int | None = None) -> list[Path]:
    """Remove the entries of the cache folder unused for KEEP_DAYS days (and temporary
    files of writers that died), at most once a day (``.pruned`` says when it last ran)."""
    import time

    now = time.time_ns() if now_ns is None else now_ns
    mark = folder / ".pruned"
    try:
        if now - mark.stat().st_mtime_ns < DAY_NS:
            return []
    except FileNotFoundError:
        pass
    mark.touch()
    os.utime(mark, ns=(now, now))
    removed = []
    for entry in os.scandir(folder):
        if entry.name.endswith((".pickle", ".tmp")):
            age = now - entry.stat(follow_symlinks=False).st_mtime_ns
            if age > (KEEP_DAYS if entry.name.endswith(".pickle") else 1) * DAY_NS:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _parse_yaml(text: str):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def read_data_yaml(path: Path):
    """A shipped data or pack file (reference tables, manifests, layouts), parsed with
    libyaml's C loader where PyYAML has it (several times faster), else the pure-Python
    one (both build the same values), and kept parsed between runs (:func:`compiled`).
    Never used for records: users' files go through :mod:`formgen.record.loader`, bounded and
    with line numbers."""
    return compiled(path, _parse_yaml, "yaml")
