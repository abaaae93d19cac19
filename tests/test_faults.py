"""Nothing lost, nothing half-written: file names too long, things in the way, a full
disk, kills and signals, two runs into one folder, unwritable folders.

Where a process boundary matters (a kill, a signal, a file size limit, two runs at
once, another user) the real CLI or a small script runs in a subprocess; the rest
goes through CliRunner or formgen.output directly. The Gansu example is used because
its fill is small (two .docx, no figures)."""

from __future__ import annotations

import errno
import fcntl
import os
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from formgen import app, output
from formgen.cli import main
from formgen.output import OutputError, plan, short_name, write_all

from .conftest import ROOT

GANSU = ROOT / "data" / "examples" / "gansu-longyuan.yaml"
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}
LONG_NAME = "甘肃" + "陇原精工机械" * 12 + "有限公司"  # 78 characters, 234 bytes
EXT_B_NAME = "".join(chr(0x20000 + i) for i in range(78))  # 𠀀𠀁…: 4 bytes each


def formgen(*args, cwd: Path | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "formgen", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=cwd,
        timeout=120,
        **kw,
    )


def start(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "formgen", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        **kw,
    )


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".formgen-*")) if folder.is_dir() else []


def intact(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def one_line_error(out: str, err: str) -> str:
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def gansu_record(folder: Path, name: str | None = None, file: str = "record.yaml") -> Path:
    data = yaml.safe_load(GANSU.read_text(encoding="utf-8"))
    if name is not None:
        data["enterprise"]["name"] = name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# --- names --------------------------------------------------------------------------


@pytest.mark.parametrize("name", [LONG_NAME, EXT_B_NAME], ids=["78-cjk", "extension-b"])
def test_long_enterprise_name_is_shortened_predictably(tmp_path, name):
    record = gansu_record(tmp_path, name)
    out = tmp_path / "out"
    r = run("fill", record, "--pack", "gansu", "--out", out)
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and not temps(out)
    for n in names:
        assert len(n.encode()) <= 255
        assert n.startswith(
            ("附件2_甘肃省智能制造优秀场景申报书_", "附件3_甘肃省基础级智能工厂申报书_")
        ) and n.endswith(".docx")
        assert name[:10] in n
    a2 = next(n for n in names if n.startswith("附件2"))
    assert a2.endswith("_人机协同作业.docx")  # the scenario's name survives the cut
    # the library says which were shortened, and from what; the same name gives the same short name
    planned = plan(out, [f"附件3_甘肃省基础级智能工厂申报书_{name}.docx"])
    (p,) = planned
    assert p.name in names and planned.shortened == {p: f"附件3_甘肃省基础级智能工厂申报书_{name}.docx"}
    assert plan(out, [f"附件3_甘肃省基础级智能工厂申报书_{name}.docx"]) == planned


def test_write_files_reports_shortened_names(tmp_path):
    long = f"附件3_甘肃省基础级智能工厂申报书_{LONG_NAME}.docx"
    written = app.write_files([(long, b"x"), ("附件1_短名.xlsx", b"y")], tmp_path / "o", False)
    assert [p.name for p in written][1] == "附件1_短名.xlsx"
    assert written.shortened == {written[0]: long}
    assert written[0].name == short_name(long) and written[0].read_bytes() == b"x"


def test_short_name_keeps_prefix_and_adds_a_stable_hash():
    import hashlib

    long = "附件4_上海市先进级智能工厂申报书_" + "某" * 100 + ".docx"
    s = short_name(long)
    assert len(s.encode()) <= output.NAME_BUDGET and s.startswith("附件4_上海市先进级智能工厂申报书_某某")
    assert s.endswith("_" + hashlib.sha1(long.encode()).hexdigest()[:8] + ".docx")
    assert short_name("附件4_短.docx") == "附件4_短.docx"


def test_collisions_after_shortening_and_sanitising(tmp_path):
    base = "附件2_甘肃省智能制造优秀场景申报书_" + "陇" * 100
    a, b = plan(tmp_path, [base + "甲.docx", base + "乙.docx"])  # differ only past the cut
    assert a != b and len(a.name.encode()) <= 255 and len(b.name.encode()) <= 255
    with pytest.raises(OutputError, match="输出文件名重复"):
        plan(tmp_path, [base + ".docx", base + ".docx"])
    with pytest.raises(OutputError, match="输出文件名重复"):
        plan(tmp_path, [base + ".docx", short_name(base + ".docx")])  # a short name met as given
    with pytest.raises(OutputError, match="输出文件名重复"):
        plan(tmp_path, ["附件3_A/B.docx", "附件3_A_B.docx"])  # the same after sanitising
    (p,) = plan(tmp_path, ["../../etc/passwd.docx"])
    assert p.parent == tmp_path.resolve() and p.name == "_.._etc_passwd.docx"


def test_write_all_refuses_a_name_over_255_bytes_before_writing(tmp_path):
    target = tmp_path / ("附" * 86 + ".docx")  # 263 bytes
    with pytest.raises(OutputError, match="文件名过长") as e:
        write_all([(tmp_path / "a.docx", b"a"), (target, b"b")])
    assert "\n" not in str(e.value)
    assert list(tmp_path.iterdir()) == []


# --- what stands in the way --------------------------------------------------------------


def test_a_folder_in_the_way_refuses_even_with_force(tmp_path):
    record = gansu_record(tmp_path)
    out = tmp_path / "out"
    assert run("fill", record, "--pack", "gansu", "--out", out).exit_code == 0
    a3 = next(out.glob("附件3*"))
    a3.unlink()
    a3.mkdir()
    before = snapshot(out)
    r = run("fill", record, "--pack", "gansu", "--out", out, "--force")
    assert r.exit_code == 1 and a3.name in r.output and "文件夹" in r.output
    assert snapshot(out) == before and a3.is_dir() and not temps(out)


def test_a_symlink_in_the_way_is_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere.docx"
    elsewhere.write_bytes(b"keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "附件1_x.docx").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="符号链接"):
        write_all([(out / "附件1_x.docx", b"new")], force=True)
    assert elsewhere.read_bytes() == b"keep"


def test_out_is_a_file(tmp_path):
    record = gansu_record(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    r = run("fill", record, "--pack", "gansu", "--out", blocker)
    assert r.exit_code != 0 and "Traceback" not in r.output  # click refuses a file for --out
    r = run("fill", record, "--pack", "gansu", "--out", blocker / "sub")
    assert r.exit_code == 1 and "不是文件夹" in r.output and str(blocker) in r.output
    with pytest.raises(OutputError, match="是一个文件，不是文件夹"):
        app.write_files([("附件1_x.docx", b"x")], blocker, False)
    assert blocker.read_text() == "a file"


def test_missing_out_parents_are_created(tmp_path):
    record = gansu_record(tmp_path)
    out = tmp_path / "a" / "b" / "c"
    r = run("fill", record, "--pack", "gansu", "--out", out)
    assert r.exit_code == 0 and len(list(out.glob("*.docx"))) == 2


def test_existing_files_refused_without_force_nothing_written(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.docx").write_bytes(b"mine")
    with pytest.raises(OutputError, match="已存在.*b.docx"):
        write_all([(out / "a.docx", b"a"), (out / "b.docx", b"b")])
    assert snapshot(out) == {"b.docx": b"mine"}


# --- a full disk ------------------------------------------------------------------------


def _limit_file_size(limit: int):
    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # SIGXFSZ left at its default

    return preexec


def test_file_size_limit_is_one_line_and_leaves_nothing(tmp_path):
    record = gansu_record(tmp_path)
    out = tmp_path / "new" / "out"
    r = formgen("fill", record, "--pack", "gansu", "--out", out, preexec_fn=_limit_file_size(16 * 1024))
    assert r.returncode == 1
    line = one_line_error(r.stdout, r.stderr)
    assert "磁盘空间不足或文件大小超出限制" in line and "附件" in line
    assert not (tmp_path / "new").exists()  # the folders it made are taken back


def test_file_size_limit_with_force_keeps_the_old_files(tmp_path):
    record = gansu_record(tmp_path)
    out = tmp_path / "out"
    assert run("fill", record, "--pack", "gansu", "--out", out).exit_code == 0
    before = snapshot(out)
    r = formgen("fill", record, "--pack", "gansu", "--out", out, "--force", preexec_fn=_limit_file_size(16 * 1024))
    assert r.returncode == 1 and "磁盘空间不足或文件大小超出限制" in one_line_error(r.stdout, r.stderr)
    assert snapshot(out) == before and not temps(out)


def test_no_space_while_writing_removes_the_temporary_files(tmp_path, monkeypatch):
    real_write = os.write
    calls = []

    def write(fd, data):
        target = os.readlink(f"/proc/self/fd/{fd}")
        if ".formgen-" in target:
            calls.append(target)
            if len(calls) > 1:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    out = tmp_path / "out"
    out.mkdir()
    (out / "b.docx").write_bytes(b"old")
    monkeypatch.setattr(os, "write", write)
    with pytest.raises(OutputError) as e:
        write_all([(out / "a.docx", b"a" * 1000), (out / "b.docx", b"b" * 1000)], force=True)
    monkeypatch.undo()
    assert str(e.value) == "写入 b.docx 失败：磁盘空间不足或文件大小超出限制，未写入任何文件"
    assert snapshot(out) == {"b.docx": b"old"} and not temps(out)


def _mount_tmpfs(target: Path, options: str) -> None:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("挂载 tmpfs 需要 root 权限（模拟小磁盘、只读文件系统）")
    target.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"无法挂载 tmpfs（容器未授予挂载权限）：{r.stderr.decode(errors='replace').strip()}")


def test_tiny_disk_refuses_before_writing(tmp_path):
    record = gansu_record(tmp_path)
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "size=64k")
    try:
        r = formgen("fill", record, "--pack", "gansu", "--out", disk)
        assert r.returncode == 1 and "磁盘空间不足或文件大小超出限制" in one_line_error(r.stdout, r.stderr)
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_read_only_file_system(tmp_path):
    record = gansu_record(tmp_path)
    disk = tmp_path / "ro"
    _mount_tmpfs(disk, "ro,size=1m")
    try:
        r = formgen("fill", record, "--pack", "gansu", "--out", disk)
        assert r.returncode == 1 and "只读" in one_line_error(r.stdout, r.stderr)
        r = formgen("fill", record, "--pack", "gansu", "--out", disk / "sub")
        assert r.returncode == 1 and "只读" in one_line_error(r.stdout, r.stderr)
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def _without_dac_override():
    """Root ignores file modes (CAP_DAC_OVERRIDE): drop that capability, and
    CAP_DAC_READ_SEARCH, from the bounding set, so the exec'd run is root that obeys
    them (it still owns everything under tmp_path)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_permission_denied(tmp_path):
    record = gansu_record(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        preexec = _without_dac_override if os.geteuid() == 0 else None
        try:
            r = formgen("fill", record, "--pack", "gansu", "--out", out, preexec_fn=preexec)
        except (OSError, subprocess.SubprocessError) as e:
            pytest.skip(f"以 root 运行且无法放弃 CAP_DAC_OVERRIDE，文件权限不起作用：{e}")
        assert r.returncode == 1 and "没有写入权限" in one_line_error(r.stdout, r.stderr)
        assert list(out.iterdir()) == []
    finally:
        out.chmod(0o755)


# --- kills and signals ------------------------------------------------------------------

# Writes COUNT zip files with force, and stops itself at a chosen point of the write
# phase: after the Nth fsync of a temporary file, or after the Nth rename into place.
_SCRIPT = r"""
import io, os, random, signal, sys, zipfile
from pathlib import Path
from formgen import output

out, when, n, sig, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rnd = random.Random(seed)
def blob(i):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", rnd.randbytes(200_000 + i))
    return buf.getvalue()
files = [(out / f"附件{i}_示例.docx", blob(i)) for i in range(COUNT)]
count = 0
def hook(real):
    def f(*a):
        global count
        r = real(*a)
        count += 1
        if count == n:
            os.kill(os.getpid(), sig)
        return r
    return f
if when == "fsync":
    os.fsync = hook(os.fsync)
else:
    os.replace = hook(os.replace)
output.write_all(files, force=True)
print("done")
"""
COUNT = 6


def _script(out: Path, when: str, n: int, sig: int, seed: int, count: int = COUNT) -> subprocess.CompletedProcess:
    code = _SCRIPT.replace("COUNT", str(count))
    args = [sys.executable, "-c", code, str(out), when, str(n), str(sig), str(seed)]
    return subprocess.run(args, capture_output=True, text=True, env=ENV, timeout=120)


def _docx(out: Path) -> list[Path]:
    return sorted(out.glob("*.docx"))


def test_sigkill_at_random_points_then_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "out"
    rnd = random.Random(8)
    for i in range(6):  # inside the write phase, at chosen points
        when = rnd.choice(["fsync", "replace"])
        n = rnd.randint(1, COUNT)
        r = _script(out, when, n, signal.SIGKILL, seed=i)
        assert r.returncode == -signal.SIGKILL, r.stderr
        assert all(intact(p) for p in _docx(out))  # each is old, new or absent: never cut short
    record = gansu_record(tmp_path)
    for _ in range(3):  # the real CLI, killed after a random delay
        p = start("fill", record, "--pack", "gansu", "--out", out, "--force")
        time.sleep(rnd.uniform(0.5, 2.0))
        p.kill()
        p.communicate()
        assert all(intact(f) for f in _docx(out))
    r = formgen("fill", record, "--pack", "gansu", "--out", out, "--force")
    assert r.returncode == 0, r.stderr
    assert not temps(out)  # whatever the kills left is gone
    assert all(intact(f) for f in _docx(out)) and len(_docx(out)) >= 2


def test_stale_temporary_files_removed_only_when_their_owner_is_gone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        gone = subprocess.Popen(["true"])
        gone.wait()
        stale = out / f".formgen-{gone.pid}-0a0b0c0d.part"
        live = out / f".formgen-{sleeper.pid}-0a0b0c0d.part"
        old_style = out / ".formgen-abc_1234.docx"  # an older formgen's temporary name
        old_style_fresh = out / ".formgen-xyz_9876.docx"
        folder = out / f".formgen-{gone.pid}-deadbeef.part"
        for f in (stale, live, old_style, old_style_fresh):
            f.write_bytes(b"x" * 100)
        folder.mkdir()
        hour_ago = time.time() - 3600
        os.utime(old_style, (hour_ago, hour_ago))
        write_all([(out / "a.docx", b"a")])
        left = set(temps(out))
        assert left == {live.name, old_style_fresh.name, folder.name}
    finally:
        sleeper.kill()
        sleeper.wait()


def test_sigterm_while_writing_removes_temporary_files_and_changes_nothing(tmp_path):
    out = tmp_path / "out"
    assert _script(out, "fsync", 0, 0, seed=1).stdout.strip() == "done"  # a complete first run
    before = snapshot(out)
    r = _script(out, "fsync", 3, signal.SIGTERM, seed=2)
    assert r.returncode == -signal.SIGTERM and not temps(out)
    assert snapshot(out) == before  # stopped before the renames: every old file as it was


def test_signal_during_renames_is_held_until_all_are_in_place(tmp_path):
    out = tmp_path / "out"
    assert _script(out, "fsync", 0, 0, seed=1).stdout.strip() == "done"
    before = snapshot(out)
    r = _script(out, "replace", 1, signal.SIGTERM, seed=2)
    assert r.returncode == -signal.SIGTERM and not temps(out)
    after = snapshot(out)
    assert after.keys() == before.keys() and all(after[k] != before[k] for k in before)  # all new


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_while_many_files_are_written_at_once_leaves_no_temporary_file(tmp_path, sig):
    """Forty files go through the writer threads; a signal after the tenth fsync stops
    them (the threads are joined before anything is removed, so none is still making a
    file), removes every temporary file, changes nothing, and then takes its course."""
    out = tmp_path / "out"
    assert _script(out, "fsync", 0, 0, seed=1, count=40).stdout.strip() == "done"
    before = snapshot(out)
    r = _script(out, "fsync", 10, sig, seed=2, count=40)
    if sig == signal.SIGINT:
        assert r.returncode != 0 and "KeyboardInterrupt" in r.stderr
    else:
        assert r.returncode == -sig, r.stderr
    assert not temps(out)
    assert snapshot(out) == before


def test_sigint_while_writing_is_keyboard_interrupt_after_cleanup(tmp_path):
    out = tmp_path / "out"
    r = _script(out, "fsync", 2, signal.SIGINT, seed=3)
    assert r.returncode != 0 and "KeyboardInterrupt" in r.stderr
    assert not temps(out) and not _docx(out)


# --- two runs into one folder -------------------------------------------------------------


def test_concurrent_runs_with_the_same_names_never_both_succeed(tmp_path):
    record = gansu_record(tmp_path)
    for i in range(3):
        out = tmp_path / f"out{i}"
        procs = [start("fill", record, "--pack", "gansu", "--out", out) for _ in range(2)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        codes = sorted(rc for rc, _, _ in results)
        assert codes == [0, 1], results
        (loser,) = [err for rc, _, err in results if rc == 1]
        assert "已存在" in loser or "另一个 formgen 正在写入此文件夹" in loser
        assert len(_docx(out)) == 2 and all(intact(f) for f in _docx(out)) and not temps(out)


_RACER = r"""
import io, sys, time, zipfile
from pathlib import Path
from formgen import output

out, go, tag = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
def blob(i):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("tag", tag)
        z.writestr("word/document.xml", bytes(4_000_000 + i))
    return buf.getvalue()
files = [(out / f"附件{i}_示例.docx", blob(i)) for i in range(6)]
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
try:
    output.write_all(files)
except output.OutputError as e:
    sys.exit(str(e))
"""


def test_concurrent_writers_never_mix_or_replace(tmp_path):
    """Two writers released at the same instant, each with files big enough that
    their write phases overlap: one writes all its files, the other refuses; the
    folder never holds a mix of the two (a silent replacement)."""
    for i in range(4):
        out, go = tmp_path / f"out{i}", tmp_path / f"go{i}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _RACER, str(out), str(go), tag],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=ENV,
            )
            for tag in ("A", "B")
        ]
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        go.touch()
        results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
        assert sorted(rc for rc, _ in results) == [0, 1], results
        (loser,) = [err for rc, err in results if rc == 1]
        assert "已存在" in loser or "另一个 formgen 正在写入此文件夹" in loser
        tags = set()
        for f in _docx(out):
            with zipfile.ZipFile(f) as z:
                tags.add(z.read("tag"))
        assert len(_docx(out)) == 6 and len(tags) == 1 and not temps(out)


def test_concurrent_runs_with_distinct_names_both_succeed(tmp_path):
    a = gansu_record(tmp_path, file="a.yaml")
    b = gansu_record(tmp_path, name="甘肃陇南精工机械有限公司", file="b.yaml")
    out = tmp_path / "out"
    procs = [start("fill", r, "--pack", "gansu", "--out", out) for r in (a, b)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [rc for rc, _, _ in results] == [0, 0], results
    assert len(_docx(out)) == 4 and all(intact(f) for f in _docx(out)) and not temps(out)


def test_a_folder_held_by_another_run_is_refused_clearly(tmp_path, monkeypatch):
    record = gansu_record(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(output, "LOCK_WAIT", 0.2)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        r = run("fill", record, "--pack", "gansu", "--out", out)
    finally:
        os.close(fd)
    assert r.exit_code == 1 and "另一个 formgen 正在写入此文件夹，请稍后重试" in r.output
    assert list(out.iterdir()) == []


def test_a_folder_made_and_removed_by_another_run_is_made_again(tmp_path):
    """A run that fails removes the folder it made; one waiting for that folder's lock
    then holds a lock on a removed folder, and must make it again."""
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    proc = subprocess.Popen(
        [sys.executable, "-c", f"from formgen.output import write_all; write_all([({str(out / 'a.docx')!r}, b'a')])"],
        env=ENV,
    )
    time.sleep(0.5)  # let it wait on the lock (if it has not started waiting yet, it finds no folder)
    os.rmdir(out)
    os.close(fd)
    assert proc.wait(timeout=60) == 0
    assert (out / "a.docx").read_bytes() == b"a"


def test_permissions_of_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_all([(tmp_path / "a.docx", b"a")])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.docx").stat().st_mode) == 0o640


def test_more_folders_than_the_recursion_limit_are_all_written(tmp_path):
    """A batch writes a sub-folder per enterprise; each folder's lock was once taken by
    a recursive call, so 1000 enterprises stopped with RecursionError after the status
    table said 已生成."""
    n = sys.getrecursionlimit() + 50
    write_all([(tmp_path / f"e{i:04d}" / "附件2.docx", str(i).encode()) for i in range(n)])
    assert len(list(tmp_path.iterdir())) == n
    assert (tmp_path / "e0000" / "附件2.docx").read_bytes() == b"0"
    assert (tmp_path / f"e{n - 1:04d}" / "附件2.docx").read_bytes() == str(n - 1).encode()


def _write_folders_under_limit(tmp_path, soft: int, hard: int, n: int) -> subprocess.CompletedProcess:
    script = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))\n"
        "from formgen.output import OutputError, write_all\n"
        f"files = [({str(tmp_path)!r} + f'/out/e{{i}}/a.docx', b'a') for i in range({n})]\n"
        "try:\n    write_all(files)\nexcept OutputError as e:\n    sys.exit(str(e))\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    return subprocess.run([sys.executable, "-c", script], env=ENV, capture_output=True, text=True, timeout=120)


def test_a_low_soft_descriptor_limit_is_raised_for_many_folders(tmp_path):
    done = _write_folders_under_limit(tmp_path, 128, 1024, 300)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 300 + output.FD_SPARE
    assert len(list((tmp_path / "out").iterdir())) == 300


def test_a_hard_descriptor_limit_too_low_refuses_in_one_line_and_makes_nothing(tmp_path):
    done = _write_folders_under_limit(tmp_path, 128, 200, 300)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "一次写入的文件夹过多（300 个），超出系统允许同时打开的文件数（200），未写入任何文件；请分批生成"
    )
    assert not (tmp_path / "out").exists()


def test_many_folders_on_a_small_disk_are_added_up_before_writing(tmp_path):
    """Ten folders of 40 KB each fit one by one on a 256 KB disk, not all together:
    refused before anything is made, naming the folder they share."""
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "size=256k")
    try:
        files = [(disk / "out" / f"企业{i}" / "附件2.docx", os.urandom(40_000)) for i in range(10)]
        with pytest.raises(OutputError) as e:
            write_all(files)
        assert str(e.value).startswith(f"磁盘空间不足或文件大小超出限制：写入 {disk / 'out'} 需要 0.4 MB，只剩")
        assert list(disk.iterdir()) == []
        write_all(files[:3])  # three fit
        assert len(list((disk / "out").iterdir())) == 3
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_failure_among_many_files_written_at_once_leaves_nothing(tmp_path, monkeypatch):
    """A batch's files are written by several threads: one failing stops the rest, and
    no file, temporary file or new folder is left."""
    real = output._write_temp
    calls = []

    def fail_on_one(folder, data, target, mine):
        calls.append(target)
        if target.parent.name == "e17":
            raise OutputError(f"写入 {target.name} 失败：磁盘已满，未写入任何文件")
        return real(folder, data, target, mine)

    monkeypatch.setattr(output, "_write_temp", fail_on_one)
    files = [(tmp_path / "out" / f"e{i:02d}" / "附件2.docx", b"x" * 1000) for i in range(40)]
    assert len(files) >= 2 * output.WRITE_THREADS  # the threaded path
    with pytest.raises(OutputError, match="写入 附件2.docx 失败"):
        write_all(files)
    assert not (tmp_path / "out").exists()
    assert len(calls) >= 18


def test_many_files_written_at_once_land_each_in_its_place(tmp_path):
    files = [(tmp_path / f"e{i:02d}" / f"附件{k}.docx", f"{i}-{k}".encode()) for i in range(20) for k in (2, 3)]
    write_all(files)
    assert all(p.read_bytes() == data for p, data in files)
    assert not temps(tmp_path)


def test_a_folder_that_cannot_be_made_takes_back_the_ones_made_before(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "b").write_text("not a folder")  # made after a/, which is made first
    with pytest.raises(OutputError, match="是一个文件，不是文件夹"):
        write_all([(out / "a" / "甲" / "a.docx", b"a"), (out / "b" / "b.docx", b"b")])
    assert sorted(p.name for p in out.iterdir()) == ["b"]


def test_a_busy_folder_takes_back_the_folders_made_for_the_run(tmp_path, monkeypatch):
    out = tmp_path / "out"
    (out / "b").mkdir(parents=True)
    monkeypatch.setattr(output, "LOCK_WAIT", 0.2)
    fd = os.open(out / "b", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another run is writing into out/b
        with pytest.raises(OutputError, match="另一个 formgen 正在写入此文件夹"):
            write_all([(out / "a" / "x.docx", b"x"), (out / "b" / "y.docx", b"y")])
    finally:
        os.close(fd)
    assert sorted(p.name for p in out.iterdir()) == ["b"]  # out/a, made for this run, is gone


def test_a_descriptor_limit_that_cannot_be_raised_is_one_line(tmp_path, monkeypatch):
    """macOS reports an unlimited hard limit that its kernel still caps: setrlimit fails."""

    def refuse(*args):
        raise ValueError("current limit exceeds maximum limit")

    monkeypatch.setattr(resource, "getrlimit", lambda which: (128, resource.RLIM_INFINITY))
    monkeypatch.setattr(resource, "setrlimit", refuse)
    with pytest.raises(OutputError, match=r"一次写入的文件夹过多（100 个）.*请分批生成"):
        write_all([(tmp_path / "out" / f"e{i}" / "a.docx", b"a") for i in range(100)])
    assert not (tmp_path / "out").exists()
