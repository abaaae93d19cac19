"""The parsed data files kept between runs (issue 13): read back while a file is
unchanged, parsed again as soon as it changes, never an error when the cache is bad."""

from __future__ import annotations

import csv
import io

import pytest
import yaml

from formgen import datafiles as paths
from formgen.record import refdata


def _counting():
    calls = []

    def build(text: str):
        calls.append(text)
        return yaml.safe_load(text)

    return build, calls


def test_an_unchanged_file_is_read_back_and_a_changed_one_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMGEN_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "enums.yaml"
    data.write_text("区县: [浦东新区, 黄浦区]\n", encoding="utf-8")
    build, calls = _counting()
    assert paths.compiled(data, build, "test") == {"区县": ["浦东新区", "黄浦区"]}
    assert paths.compiled(data, build, "test") == {"区县": ["浦东新区", "黄浦区"]}
    assert len(calls) == 1  # the second time from the cache
    data.write_text("区县: [浦东新区, 黄浦区, 静安区]\n", encoding="utf-8")
    assert paths.compiled(data, build, "test") == {"区县": ["浦东新区", "黄浦区", "静安区"]}
    assert len(calls) == 2
    data.write_text("区县: [浦东新区, 黄浦区]\n", encoding="utf-8")  # back as it was: that entry again
    assert paths.compiled(data, build, "test") == {"区县": ["浦东新区", "黄浦区"]} and len(calls) == 2


def _one_entry(tmp_path, monkeypatch):
    """A cache folder holding one parsed data file: (folder, the file, build, its calls)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("FORMGEN_CACHE", str(cache))
    data = tmp_path / "kpi.yaml"
    data.write_text("a: 1\n", encoding="utf-8")
    build, calls = _counting()
    paths.compiled(data, build, "test")
    return cache, data, build, calls


def test_a_damaged_cache_is_parsed_again(tmp_path, monkeypatch):
    cache, data, build, calls = _one_entry(tmp_path, monkeypatch)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert paths.compiled(data, build, "test") == {"a": 1} and len(calls) == 2
    assert paths.compiled(data, build, "test") == {"a": 1} and len(calls) == 2  # repaired


def test_no_cache_when_switched_off_or_unwritable(tmp_path, monkeypatch):
    data = tmp_path / "modes.yaml"
    data.write_text("- 离散型智能制造\n", encoding="utf-8")
    monkeypatch.setenv("FORMGEN_CACHE", "off")
    build, calls = _counting()
    assert paths.compiled(data, build, "test") == ["离散型智能制造"]
    assert paths.compiled(data, build, "test") == ["离散型智能制造"] and len(calls) == 2
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("FORMGEN_CACHE", str(blocker / "cache"))  # cannot be made: parsed, no error
    assert paths.compiled(data, build, "test") == ["离散型智能制造"]


def test_the_shipped_tables_read_from_the_cache_are_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMGEN_CACHE", str(tmp_path / "cache"))
    source = paths.data_dir() / "gbt4754-2017.csv"
    with open(source, encoding="utf-8", newline="") as f:
        rows = {r["code"]: (r["code"], r["name"], r["parent"], r["level"]) for r in csv.DictReader(f)}
    for _ in range(2):  # built, then read back
        table = paths.compiled(source, refdata._industry_table, "gbt4754")
        assert {k: (c.code, c.name, c.parent or "", c.level) for k, c in table.items()} == rows
    aliases = paths.data_dir() / "aliases.yaml"
    for _ in range(2):
        assert paths.read_data_yaml(aliases) == yaml.safe_load(io.StringIO(aliases.read_text(encoding="utf-8")))


def _figure(path, size=(640, 480), colour=(200, 30, 30)) -> None:
    from PIL import Image

    Image.new("RGB", size, colour).save(path, "JPEG", quality=90)


def test_figure_facts_are_remembered_between_runs_and_forgotten_when_it_changes(tmp_path, monkeypatch):
    """Validating again after editing the text decodes no figure; a figure that changes
    (even to the same size, its times set back) is examined again."""
    from formgen.render import images

    monkeypatch.setenv("FORMGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(images, "RACY_NS", 0)  # a file written a moment ago counts as settled here
    examined = []
    real = images._examine
    monkeypatch.setattr(images, "_examine", lambda data: examined.append(len(data)) or real(data))
    fig = tmp_path / "图1.jpg"
    _figure(fig)
    first = images.probe(tmp_path, "图1.jpg")
    assert (first.width, first.height, first.problem) == (640, 480, "") and len(examined) == 1
    images._probe.cache_clear()  # as a new process: only the cache folder remains
    assert images.probe(tmp_path, "图1.jpg") == first and len(examined) == 1
    assert not any(b"\xe5\x9b\xbe1" in p.read_bytes() for p in (tmp_path / "cache").iterdir())  # no name kept
    size = fig.stat().st_size
    data = bytearray(fig.read_bytes())
    data[size // 2] ^= 0xFF  # same size; its modification time put back
    st = fig.stat()
    fig.write_bytes(bytes(data))
    import os

    os.utime(fig, ns=(st.st_atime_ns, st.st_mtime_ns))
    images._probe.cache_clear()
    images.probe(tmp_path, "图1.jpg")
    assert len(examined) == 2  # the change time moved: examined again


def test_a_figure_written_a_moment_ago_is_not_remembered(tmp_path, monkeypatch):
    """Two writes within one clock tick can leave the same times: facts about a file that
    changed in the last two seconds are never kept."""
    from formgen.render import images

    monkeypatch.setenv("FORMGEN_CACHE", str(tmp_path / "cache"))
    fig = tmp_path / "图1.jpg"
    _figure(fig)
    images.probe(tmp_path, "图1.jpg")
    images.probe(tmp_path, "图1.jpg")
    assert not (tmp_path / "cache").exists()
    _figure(fig, (320, 200))
    assert images.probe(tmp_path, "图1.jpg").width == 320


def test_no_figure_facts_are_kept_with_the_cache_off(tmp_path, monkeypatch):
    from formgen.render import images

    monkeypatch.setenv("FORMGEN_CACHE", "off")
    monkeypatch.setattr(images, "RACY_NS", 0)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    _figure(tmp_path / "a.jpg")
    images._probe.cache_clear()
    assert images.probe(tmp_path, "a.jpg").width == 640
    assert not (tmp_path / "home").exists()


def test_the_pixel_limit_is_pillows_default():
    from PIL import Image

    from formgen.render import images

    assert images.PILLOW_MAX_PIXELS == Image.MAX_IMAGE_PIXELS == images.max_pixels()


def test_a_remembered_figure_is_told_without_loading_pillow(tmp_path):
    """A new process validating a record whose figures it has seen before loads no Pillow."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    _figure(tmp_path / "图1.jpg")
    old = os.stat(tmp_path / "图1.jpg").st_mtime_ns - 10**10
    os.utime(tmp_path / "图1.jpg", ns=(old, old))
    script = (
        "import sys, formgen.render.images as i; i.RACY_NS = 0\n"
        f"info = i.probe(__import__('pathlib').Path({str(tmp_path)!r}), '图1.jpg')\n"
        "print(info.width, 'PIL' in sys.modules)\n"
    )
    env = {**os.environ, "FORMGEN_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    first, second = (
        subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    )
    assert first.split() == ["640", "True"] and second.split() == ["640", "False"]


@pytest.mark.parametrize("failure", [OSError(5, "Input/output error"), MemoryError()])
def test_a_failed_read_is_never_remembered(tmp_path, monkeypatch, failure):
    """An I/O error or no memory says nothing about the figure: the next run reads it."""
    from formgen.render import images

    monkeypatch.setenv("FORMGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(images, "RACY_NS", 0)
    _figure(tmp_path / "图1.jpg")
    real = images._read

    def fail(path):
        raise failure

    monkeypatch.setattr(images, "_read", fail)
    images._probe.cache_clear()
    bad = images.probe(tmp_path, "图1.jpg")
    assert bad.problem in ("文件无法读取（OSError）", "内存不足，无法读取图片；请关闭其他程序后重试")
    monkeypatch.setattr(images, "_read", real)
    images._probe.cache_clear()  # a new process
    good = images.probe(tmp_path, "图1.jpg")
    assert (good.width, good.problem) == (640, "")


def test_entries_unused_for_sixty_days_are_pruned_once_a_day(tmp_path, monkeypatch):
    import os
    import time

    folder, data, build, calls = _one_entry(tmp_path, monkeypatch)  # an entry in use
    day = paths.DAY_NS
    now = time.time_ns()
    old = folder / ("0" * 64 + ".pickle")
    old.write_bytes(b"x")
    os.utime(old, ns=(now - 61 * day, now - 61 * day))
    recent = folder / ("1" * 64 + ".pickle")
    recent.write_bytes(b"x")
    os.utime(recent, ns=(now - 50 * day, now - 50 * day))
    assert paths.prune(folder, now) == []  # pruned already today, when the first entry was kept
    assert paths.prune(folder, now + day + 1) == [old]
    assert recent.exists() and len(calls) == 1
    # an entry read again is marked as used: it outlives its sixty days
    (entry,) = [p for p in folder.glob("*.pickle") if p not in (old, recent)]
    os.utime(entry, ns=(now - 59 * day, now - 59 * day))
    assert paths.compiled(data, build, "test") == {"a": 1} and len(calls) == 1
    assert paths.prune(folder, now + 11 * day) == [recent]  # 61 days unused
    assert entry.exists()  # used 11 days before
