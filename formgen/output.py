"""Writing outputs: safe file names inside the output folder, all or nothing, atomic.

What a run of :func:`write_all` guarantees (every command writes through it):

- Every name is known and checked before the first byte is written: its length in
  bytes, collisions between the run's own names, what stands at each target (a
  folder or anything but a regular file is refused even with ``force``; an existing
  file without ``force``) and the free space of the folder. :func:`plan` makes names
  from enterprise data safe and short enough, keeping the ``附件N_`` prefix, as much
  of the name as fits and a stable hash of the full name.
- The output folder is locked (``flock`` on the folder itself) from those checks
  through the renames, so two runs into one folder never replace each other's files
  silently: the second waits a little, then finds the first one's files (and refuses
  without ``force``) or says the folder is busy.
- Each file is written to a hidden temporary file ``.formgen-<pid>-<random>.part`` in
  the same folder, fsynced, and only when every one of them is complete are they all
  renamed into place (signals held back during the renames); the folder is fsynced
  after. A temporary file is registered before it is created and removed on any
  error, and on SIGINT, SIGTERM and SIGHUP (handlers installed for the write phase
  only). SIGKILL cannot be caught: the next run into the folder removes, under the
  lock, temporary files whose process is gone (or that are older than
  ``STALE_SECONDS``).
- Every failure is an :class:`OutputError` with a one-line Chinese message naming the
  file or folder and the problem.
- A run may give its batch ``mark`` (see :func:`write_all`): an existing .docx/.xlsx
  that carries the same mark and was not saved since formgen wrote it (the previous run
  of the same batch wrote it) is replaced without ``force``; files carrying the mark in
  the ``sweep`` folders that this run no longer writes are removed after the renames.
  A file without formgen's mark of this batch is never replaced without ``force`` and
  never removed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import signal
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_BAD = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u2028\u2029\ud800-\udfff]')
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")

NAME_MAX = 255  # bytes per file name (Linux, and most file systems)
# Names formgen makes are kept to this many bytes so that an office suite's lock file
# beside the document (LibreOffice: ".~lock.NAME#") still fits within NAME_MAX.
NAME_BUDGET = 240
PATH_MAX = 4096  # bytes per path (Linux)
HASH_LEN = 8  # hex digits of sha1 added to a shortened name
TAIL_MAX = 90  # bytes: a shortened name keeps its last "_" part up to this long

LOCK_WAIT = 10.0  # seconds to wait for another formgen writing into the same folder
STALE_SECONDS = 15 * 60  # a temporary file this old is stale whatever its owner
_CHUNK = 4 << 20

TEMP_PREFIX = ".formgen-"
LOCK_FILE = ".formgen.lock"  # only where a folder itself cannot be locked
_TEMP = re.compile(r"^\.formgen-(?:(\d+)-[0-9a-f]{8}\.part|[a-z0-9_]{8}\.[A-Za-z0-9]+)$")  # also older versions'

_SIGNALS = tuple(getattr(signal, s) for s in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, s))


class OutputError(Exception):
    """A run that wrote nothing (or, when said so, not everything); the message is one
    line of Chinese naming the file or folder and the problem. ``existing``: the names
    of the existing files that refused the run, which ``--force`` would replace."""

    def __init__(self, message: str, existing: list[str] | None = None):
        super().__init__(message)
        self.existing: list[str] = list(existing or [])


class Removed(list):
    """The files a run removed as its own batch's that it no longer writes (a list of
    :class:`~pathlib.Path`); ``failed`` holds one line for each it could not remove,
    ``kept`` those it left because they were saved since formgen wrote them."""

    def __init__(self, paths=(), failed: list[str] | None = None, kept: list[Path] | None = None):
        super().__init__(paths)
        self.failed: list[str] = list(failed or [])
        self.kept: list[Path] = list(kept or [])


class Planned(list):
    """The target paths of a run (a list of :class:`~pathlib.Path`, in the order of the
    names given). ``shortened`` maps each path whose file name was too long and had to
    be shortened to the full name it stands for."""

    def __init__(self, paths=(), shortened: dict[Path, str] | None = None):
        super().__init__(paths)
        self.shortened: dict[Path, str] = dict(shortened or {})


def safe_name(name: str, limit: int | None = None) -> str:
    """A file name built from enterprise data that cannot leave its folder: no path
    separators, control or reserved characters, no leading or trailing dots. Not
    shortened unless ``limit`` (characters) is given: :func:`plan` shortens whole
    names by their length in bytes."""
    name = _BAD.sub("_", name).strip().strip(".")
    name = re.sub(r"_+", "_", name)
    if not name or set(name) <= {".", "_"}:
        name = "未命名"
    return name if limit is None else name[:limit]


def _nbytes(s: str) -> int:
    return len(s.encode("utf-8", "surrogateescape"))


def short_name(name: str, budget: int = NAME_BUDGET) -> str:
    """``name`` itself when it fits in ``budget`` bytes. Otherwise: its start (the
    ``附件N_`` prefix and as much of the rest as fits, cut between characters), ``_``
    and the first 8 hex digits of the sha1 of the full name, then its last
    ``_``-separated part when that is short (a document per scenario keeps the
    scenario's name), and its suffix. The same name always gives the same short name.
    """
    if _nbytes(name) <= budget:
        return name
    m = _SUFFIX.search(name)
    suffix = m.group(0) if m else ""
    stem = name[: len(name) - len(suffix)]
    tag = "_" + hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:HASH_LEN]
    head, sep, tail = stem.rpartition("_")
    if sep and head and _nbytes(sep + tail) <= TAIL_MAX:
        stem, end = head, sep + tail
    else:
        end = ""
    room = budget - _nbytes(tag + end + suffix)
    kept, used = [], 0
    for ch in stem:
        used += _nbytes(ch)
        if used > room:
            break
        kept.append(ch)
    return "".join(kept).rstrip(" ._") + tag + end + suffix


def _name_max(folder: Path) -> int:
    """The file system's limit on a name's bytes, from the nearest existing folder."""
    for d in (folder, *folder.parents):
        if d.exists():
            with suppress(OSError, ValueError, AttributeError):
                n = os.pathconf(d, "PC_NAME_MAX")
                if n and n > 0:
                    return min(NAME_MAX, n)
            break
    return NAME_MAX


def plan(out_dir: Path, names: list[str]) -> Planned:
    """Target paths in ``out_dir`` for ``names``: each made safe (it stays inside the
    folder), shortened when longer than the file system allows (see :func:`short_name`;
    the result's ``shortened`` says which), and checked for collisions with the run's
    other names. Nothing is written."""
    root = Path(out_dir).resolve()
    budget = min(NAME_BUDGET, _name_max(root))
    paths: list[Path] = []
    shortened: dict[Path, str] = {}
    for n in names:
        m = _SUFFIX.search(n)
        suffix = m.group(0) if m else ""
        full = safe_name(n[: len(n) - len(suffix)]) + suffix
        short = short_name(full, budget)
        p = root / short
        if p.parent != root or short in (".", ".."):
            raise OutputError(f"输出文件名不安全：{n}")
        if _nbytes(str(p)) >= PATH_MAX:
            raise OutputError(f"输出路径过长（超过 {PATH_MAX} 字节），请换一个较短的输出文件夹：{short}")
        if short != full:
            shortened[p] = full
        paths.append(p)
    _check_duplicates(paths, shortened)
    return Planned(paths, shortened)


def _check_duplicates(paths: list[Path], full: dict[Path, str] | None = None) -> None:
    seen: dict[str, Path] = {}
    dup: list[str] = []
    for p in paths:
        key = os.path.normcase(str(p)).casefold()  # also one file on a case-blind disk
        if key in seen:
            dup.append((full or {}).get(p, p.name))
        seen.setdefault(key, p)
    if dup:
        raise OutputError(f"输出文件名重复，未写入任何文件：{'、'.join(dict.fromkeys(dup))}")


# --- errors -----------------------------------------------------------------------------

_REASONS = {
    errno.ENOSPC: "磁盘空间不足或文件大小超出限制",
    errno.EFBIG: "磁盘空间不足或文件大小超出限制",
    errno.EDQUOT: "磁盘空间不足或文件大小超出限制（超出磁盘配额）",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EROFS: "文件系统是只读的",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.EISDIR: "目标是一个文件夹",
    errno.ENOENT: "文件夹不存在（可能已被移走或删除）",
    errno.EIO: "读写设备出错",
}


def _reason(e: OSError) -> str:
    return _REASONS.get(e.errno, e.strerror or str(e))


# --- the folder lock --------------------------------------------------------------------


def _busy(folder: Path) -> OutputError:
    return OutputError(f"另一个 formgen 正在写入此文件夹，请稍后重试：{folder}")


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder``, waiting up to ``LOCK_WAIT`` seconds.

    POSIX: ``flock`` on the folder itself, so no lock file is left in the user's
    folder; where a folder cannot be locked (some network file systems), on
    ``.formgen.lock`` in it. Windows: ``msvcrt.locking`` on ``.formgen.lock``, removed
    after. A folder removed or replaced while waiting (a failed run removes the folder
    it created) is made again and locked afresh."""
    fd, lock_file = _open_lockable(folder)
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                _try_lock(fd)
                if lock_file is not None or _same_folder(fd, folder):
                    break
                _unlock(fd)  # locked a folder that is no longer there
                os.close(fd)
                fd = -1
                _ensure_folder(folder)
                fd, lock_file = _open_lockable(folder)
            except BlockingIOError:
                pass
            except OSError as e:
                if fcntl is not None and lock_file is None and e.errno in (errno.EBADF, errno.ENOLCK, errno.EINVAL):
                    os.close(fd)
                    fd = -1
                    fd, lock_file = _open_lockable(folder, file=True)
                    continue
                if not (fcntl is None and e.errno in (errno.EACCES, errno.EDEADLK)):  # Windows: held
                    raise OutputError(f"无法锁定输出文件夹 {folder}：{_reason(e)}") from e
            if time.monotonic() >= deadline:
                raise _busy(folder)
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        if fd >= 0:
            os.close(fd)
        if fcntl is None and lock_file is not None:
            with suppress(OSError):
                os.unlink(lock_file)


def _same_folder(fd: int, folder: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(folder)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _open_lockable(folder: Path, file: bool = False) -> tuple[int, Path | None]:
    try:
        if fcntl is not None and not file:
            return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)), None
        lock_file = folder / LOCK_FILE
        return os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666), lock_file
    except OSError as e:
        raise OutputError(f"无法锁定输出文件夹 {folder}：{_reason(e)}") from e


def _try_lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError when held
    else:
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _unlock(fd: int) -> None:
    with suppress(OSError):
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        else:
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


# --- temporary files and signals -----------------------------------------------------

_live: set[str] = set()  # temporary files of this process that exist or are being created


def _remove_temps(temps: list[str] | None = None) -> None:
    """Remove ``temps`` (default: every temporary file of this process) where they
    still exist; a renamed one is gone already."""
    for t in list(_live) if temps is None else temps:
        with suppress(OSError):
            os.unlink(t)
        _live.discard(t)


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate it: the age rule decides there
        return True
    if pid == os.getpid():
        return False  # ours, and not among the live ones (checked by the caller)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove temporary files that a killed formgen left in ``folder``: those whose
    process (the pid in the name) is gone, and any older than ``STALE_SECONDS``
    (a reused pid, or an older formgen whose names carry none). Called with the
    folder's lock held, when no live formgen can be writing there."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = _TEMP.match(entry.name)
        if not m or entry.path in _live:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        pid = m.group(1)
        if now - st.st_mtime > STALE_SECONDS or (pid is not None and not _pid_alive(int(pid))):
            with suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


class _Interrupted(BaseException):
    """A signal arrived while writing (see :func:`_signals_clean_up`)."""


@contextmanager
def _signals_clean_up() -> Iterator[None]:
    """While writing: SIGINT, SIGTERM and SIGHUP stop the write, which unwinds as any
    failure does (the writer threads cancelled and joined, this run's temporary files
    removed), and only then take their previous course (KeyboardInterrupt, or death by
    the signal). A second signal while unwinding waits for the first. A signal ignored
    before stays ignored. SIGXFSZ is ignored so that a file size limit is an error (EFBIG)
    rather than death. Main thread only (Python's rule)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, object] = {}
    state: dict[str, object] = {"writing": True, "signal": None}

    def restore() -> None:
        for s, h in previous.items():
            with suppress(OSError, ValueError, TypeError):
                signal.signal(s, h)  # type: ignore[arg-type]

    def on_signal(signum, frame):
        if state["signal"] is not None:
            return  # already stopping
        state["signal"] = signum
        if state["writing"]:
            raise _Interrupted

    try:
        for s in _SIGNALS:
            h = signal.getsignal(s)
            if h is signal.SIG_IGN:
                continue
            previous[s] = h if h is not None else signal.SIG_DFL
            signal.signal(s, on_signal)
        if hasattr(signal, "SIGXFSZ"):
            previous[signal.SIGXFSZ] = signal.getsignal(signal.SIGXFSZ)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        try:
            yield
        except _Interrupted:
            pass  # unwound: the temporary files are gone; the signal is delivered below
        finally:
            state["writing"] = False
    finally:
        restore()
        signum = state["signal"]
        if signum is not None:  # a signal wins over whatever else was under way
            _remove_temps()  # the writer threads are joined: nothing of this run is still being made
            before = previous.get(signum)
            if callable(before):
                before(signum, None)  # e.g. KeyboardInterrupt for SIGINT
            else:
                os.kill(os.getpid(), signum)  # the default action: die by the signal
            raise SystemExit(128 + signum)  # a handler that returned: stop all the same


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGHUP (delivered after) while files are renamed
    into place, so a run is not stopped with some files replaced and others not."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _write_temp(folder: Path, data: bytes, target: Path, mine: list[str]) -> str:
    """Write ``data`` to a new temporary file in ``folder`` and fsync it. The name is
    registered (in ``mine`` and for the signal handlers) before the file exists."""
    tmp = str(folder / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}.part")
    mine.append(tmp)
    _live.add(tmp)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as e:
        raise OutputError(f"无法在 {folder} 中写入 {target.name}：{_reason(e)}，未写入任何文件") from e
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view[:_CHUNK]) :]
        os.fsync(fd)
    except OSError as e:
        raise OutputError(f"写入 {target.name} 失败：{_reason(e)}，未写入任何文件") from e
    finally:
        os.close(fd)
    return tmp


WRITE_THREADS = 4  # temporary files written and fsynced at once, for a run of many files


def _in_threads(func, items: list) -> list:
    """``func`` over ``items`` in order; in WRITE_THREADS threads when there are many
    (a batch writes thousands of files: writes and fsyncs wait on the disk, not on
    Python). On any error or interrupt, what has not started is cancelled and what has
    is waited for, so nothing is still writing when the caller cleans up."""
    if len(items) < 2 * WRITE_THREADS:
        return [func(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="formgen-write")
    try:
        futures = [pool.submit(func, item) for item in items]
        return [f.result() for f in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _write_temps(files: list[tuple[Path, bytes]], mine: list[str]) -> list[str]:
    """Every file's temporary file, written and fsynced (:func:`_write_temp`), in order."""
    return _in_threads(lambda item: _write_temp(item[0].parent, item[1], item[0], mine), files)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- the run ------------------------------------------------------------------------------


def _ensure_folder(folder: Path, unsynced: set[Path] | None = None) -> list[Path]:
    """``folder`` exists as a folder (created with its parents if missing). Returns the
    folders it created, deepest first. The folder that holds the new ones is fsynced,
    or added to ``unsynced`` for the caller to fsync once for many."""
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputError(f"无法使用输出文件夹 {folder}：{_reason(e)}") from e
    if st is not None:
        if not stat.S_ISDIR(st.st_mode):
            raise OutputError(f"输出位置 {folder} 是一个文件，不是文件夹，未写入任何文件")
        return []
    missing = [d for d in (folder, *folder.parents) if not d.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as e:  # a file stands where a folder should
        raise OutputError(f"无法创建输出文件夹 {folder}：路径中有一项是文件，不是文件夹") from e
    except OSError as e:
        raise OutputError(f"无法创建输出文件夹 {folder}：{_reason(e)}") from e
    if missing:
        if unsynced is None:
            _fsync_dir(missing[-1].parent)
        else:
            unsynced.add(missing[-1].parent)
    return missing


def _own(path: Path, mark: str | None) -> tuple[bool, bool]:
    """Whether the file at ``path`` carries ``mark``, and whether it is still as formgen
    wrote it (see :func:`formgen.render.ooxml.batch_mark`)."""
    if not mark:
        return False, False
    from .render.ooxml import batch_mark

    found, untouched = batch_mark(path)
    return found == mark, found == mark and untouched


def _check_targets(files: list[tuple[Path, bytes]], force: bool, mark: str | None = None) -> list[bool]:
    """What stands at each target: refuse a folder or anything but a regular file
    (even with ``force``), and existing files without ``force`` unless they are this
    batch's own as formgen wrote them (``mark``). Returns which exist."""
    existing, blocked, notes = [], [], []
    exists = []
    for path, _ in files:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            exists.append(False)
            continue
        except OSError as e:
            raise OutputError(f"无法检查 {path.name}：{_reason(e)}，未写入任何文件") from e
        exists.append(True)
        if stat.S_ISDIR(st.st_mode):
            blocked.append(f"{path.name}（是一个文件夹）")
        elif stat.S_ISLNK(st.st_mode):
            blocked.append(f"{path.name}（是一个符号链接）")
        elif not stat.S_ISREG(st.st_mode):
            blocked.append(f"{path.name}（不是普通文件）")
        elif not force:
            marked, untouched = _own(path, mark)
            if untouched:
                continue  # the previous run of this batch wrote it: replaced
            existing.append(path.name)
            notes.append(f"{path.name}（上次生成后已被修改）" if marked else path.name)
    if blocked:
        raise OutputError(
            "以下位置已被占用，不能写入（--force 也只覆盖普通文件），未写入任何文件：" + "、".join(blocked)
        )
    if existing:
        raise OutputError("以下文件已存在，未写入任何文件（使用 --force 覆盖）：" + "、".join(notes), existing)
    return exists


def carries(path: Path, mark: str | None) -> bool:
    """Whether the file at ``path`` is this batch's own (it carries ``mark``) as formgen
    wrote it: a run of the batch may replace or remove it without ``force``."""
    return _own(Path(path), mark)[1]


def check_targets(paths: list[Path], force: bool = False, mark: str | None = None) -> None:
    """Refuse (:class:`OutputError`) as :func:`write_all` would for what stands at
    ``paths``, without writing: for a run that writes its files in two steps."""
    _check_targets([(Path(p).parent.resolve() / Path(p).name, b"") for p in paths], force, mark)


def _stale(sweep: list[tuple[Path, str]], mark: str | None, targets: list[Path]) -> tuple[list[Path], list[Path]]:
    """Files in the ``sweep`` folders matching their pattern that carry ``mark`` and are
    not among this run's ``targets`` (the previous run of the batch wrote them and this
    one does not): those as formgen wrote them, to remove, and those saved since, to keep."""
    if not mark:
        return [], []
    keys = {os.path.normcase(str(p)).casefold() for p in targets}
    stale, kept = [], []
    for folder, pattern in sweep:
        for path in sorted(folder.glob(pattern)):
            if os.path.normcase(str(path)).casefold() in keys:
                continue
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
            except OSError:
                continue
            marked, untouched = _own(path, mark)
            if untouched:
                stale.append(path)
            elif marked:
                kept.append(path)
    return stale, kept


def _remove_stale(stale: list[Path], kept: list[Path]) -> Removed:
    removed, failed = [], []
    for path in stale:
        try:
            os.unlink(path)
            removed.append(path)
        except FileNotFoundError:
            continue
        except OSError as e:
            failed.append(f"未能删除上次生成的 {path.name}：{_reason(e)}")
    for folder in dict.fromkeys(p.parent for p in removed):
        _fsync_dir(folder)
    return Removed(removed, failed, kept)


def _check_space(files: list[tuple[Path, bytes]]) -> None:
    """Refuse before writing when a file system has too little room for all that goes
    on it: a batch's folders (one per enterprise) on one disk are added up, not checked
    one by one."""
    by_folder: dict[Path, list[int]] = {}  # folder -> [bytes, files]
    for path, data in files:
        need = by_folder.setdefault(path.parent, [0, 0])
        need[0] += len(data)
        need[1] += 1
    disks: dict[int, tuple[list[int], list[Path]]] = {}  # st_dev -> ([bytes, files], folders)
    for folder, (n, count) in by_folder.items():
        try:
            dev = os.stat(folder).st_dev
        except OSError:
            continue
        need, folders = disks.setdefault(dev, ([0, 0], []))
        need[0] += n
        need[1] += count
        folders.append(folder)
    for (n, count), folders in disks.values():
        try:
            st = os.statvfs(folders[0])
        except (OSError, AttributeError):
            continue
        free = (st.f_bfree if hasattr(os, "geteuid") and os.geteuid() == 0 else st.f_bavail) * st.f_frsize
        if n + count * st.f_frsize > free:
            where = folders[0] if len(folders) == 1 else Path(os.path.commonpath(folders))
            raise OutputError(
                f"磁盘空间不足或文件大小超出限制：写入 {where} 需要 {n / 1e6:.1f} MB，"
                f"只剩 {free / 1e6:.1f} MB，未写入任何文件"
            )


def _commit(temps: list[tuple[str, Path]], existed: list[bool]) -> None:
    """Rename every complete temporary file into place; on a failure, take back the
    files this run added and say which existing files were already replaced."""
    done: list[int] = []
    try:
        for i, (tmp, path) in enumerate(temps):
            os.replace(tmp, path)
            _live.discard(tmp)
            done.append(i)
    except OSError as e:
        for i in done:
            if not existed[i]:
                with suppress(OSError):
                    os.unlink(temps[i][1])
        replaced = [temps[i][1].name for i in done if existed[i]]
        failed = temps[len(done)][1].name
        tail = f"；已替换：{'、'.join(replaced)}" if replaced else "，未写入任何文件"
        raise OutputError(f"放置 {failed} 失败：{_reason(e)}{tail}") from e
    finally:
        _in_threads(_fsync_dir, list(dict.fromkeys(p.parent for _, p in temps)))


def write_all(
    files: list[tuple[Path, bytes]],
    force: bool = False,
    mark: str | None = None,
    sweep: Iterable[tuple[Path, str]] = (),
) -> Removed:
    """Write every file or none (see the module's docstring for what is guaranteed).

    Checked before anything is written: names (bytes, collisions), the folders (a file
    where a folder should be), what stands at each target (a folder or a non-regular
    file is refused even with ``force``; an existing file without ``force``, unless it
    carries this batch's ``mark`` as formgen wrote it) and the free space. Missing
    folders are created. Raises :class:`OutputError`.

    ``sweep``: (folder, glob pattern) pairs where files carrying ``mark`` (as formgen
    wrote them) that this run does not write are removed once the run's files are in
    place; returns them (:class:`Removed`)."""
    files = [
        (Path(p).parent.resolve() / Path(p).name, data) for p, data in files
    ]  # a link at the target is not followed
    sweep = [(Path(f).resolve(), pattern) for f, pattern in sweep if mark and Path(f).is_dir()]
    if not files and not sweep:
        return Removed()
    for path, _ in files:
        if _nbytes(path.name) > _name_max(path.parent):
            raise OutputError(
                f"文件名过长（{_nbytes(path.name)} 字节，上限 {_name_max(path.parent)} 字节），未写入任何文件：{path.name}"
            )
    _check_duplicates([p for p, _ in files])
    folders = sorted(dict.fromkeys([*(p.parent for p, _ in files), *(f for f, _ in sweep)]), key=str)
    _room_for_descriptors(len(folders))  # before any folder is made
    created: list[Path] = []
    holders: set[Path] = set()  # where folders were made: fsynced once each
    try:
        for folder in folders:
            created += _ensure_folder(folder, holders)
    except BaseException:
        _remove_made(created)
        raise
    _in_threads(_fsync_dir, sorted(holders, key=str))
    with ExitStack() as held:
        try:
            held.enter_context(_locked(folders))
        except BaseException:  # a folder busy past LOCK_WAIT, or Ctrl-C while waiting
            _remove_made(created)
            raise
        try:
            for folder in folders:
                remove_stale_temps(folder)
            existed = _check_targets(files, force, mark)
            stale, kept = _stale(sweep, mark, [p for p, _ in files])
            _check_space(files)
            mine: list[str] = []
            with _signals_clean_up():
                try:
                    temps = list(zip(_write_temps(files, mine), [p for p, _ in files], strict=True))
                    with _signals_held():
                        _commit(temps, existed)
                        return _remove_stale(stale, kept)
                finally:
                    _remove_temps(mine)
        except BaseException:
            _remove_made(created)  # under the lock: no other run is writing there
            raise


def _remove_made(created: list[Path]) -> None:
    """Remove the folders a failed run made, deepest first (across all its folders),
    each only while empty."""
    for d in sorted(created, key=lambda d: len(d.parts), reverse=True):
        with suppress(OSError):
            os.rmdir(d)


@contextmanager
def _locked(folders: list[Path]) -> Iterator[None]:
    """Hold every folder's lock, one open descriptor each (a batch writes a sub-folder
    per enterprise: a thousand folders, a thousand locks; see
    :func:`_room_for_descriptors`)."""
    with ExitStack() as held:
        for folder in folders:
            held.enter_context(_folder_lock(folder))
        yield


FD_SPARE = 64  # descriptors kept free beside the locks (temporary files, Python's own)


def _room_for_descriptors(n: int) -> None:
    """Raise the process's soft limit on open files when ``n`` locks would not fit under
    it (it is often 1024); refuse in one line when even the hard limit is too low."""
    try:
        import resource
    except ImportError:  # Windows: no such limit per process
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = n + FD_SPARE
    if soft == resource.RLIM_INFINITY or need <= soft:
        return
    too_many = OutputError(
        f"一次写入的文件夹过多（{n} 个），超出系统允许同时打开的文件数（{hard}），未写入任何文件；请分批生成"
    )
    if hard != resource.RLIM_INFINITY and need > hard:
        raise too_many
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    except (ValueError, OSError) as e:  # macOS: an "unlimited" hard limit the kernel still caps
        raise too_many from e
