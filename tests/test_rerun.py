"""Re-running after a fix is one command (issue 25): a refused summary still writes its
问题清单 and 整改通知 (the clerk needs them most then); the re-run of the same batch after
the fix replaces them without --force, removes the letters it no longer sends, and never
touches a file that is not formgen's own from this batch. A refused run says exactly what
to type next."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from formgen.cli import main
from formgen.output import OutputError, write_all
from formgen.render import ooxml

from .conftest import ROOT

EXAMPLES = ROOT / "data" / "examples"
UNIT = "兰州市工业和信息化局"
BAD = "整改通知_甘肃示例问题装备有限公司.docx"  # gansu-bad, the newer file of its enterprise: errors
SUMMARY = ["summary", "收件", "--pack", "gansu", "--unit", UNIT, "--report", "问题清单.xlsx", "--notices", "通知"]


@pytest.fixture
def bureau(tmp_path, monkeypatch) -> Path:
    """A Gansu inbox: a clean record, one with errors (gansu-bad) and a second, older
    file of gansu-bad's enterprise (gansu-longyuan, same credit code: BT001); the
    clerk works in the folder that holds it. Letters go to an enterprise about its newest
    file: gansu-bad's."""
    inbox = tmp_path / "收件"
    inbox.mkdir()
    text = (EXAMPLES / "gansu-longyuan.yaml").read_text(encoding="utf-8")
    text = text.replace("916201037102653100", "91620103710265329W").replace("710265310", "710265329")
    (inbox / "gansu-longxi.yaml").write_text(text.replace("陇原", "陇西"), encoding="utf-8")
    (inbox / "gansu-bad.yaml").write_bytes((EXAMPLES / "gansu-bad.yaml").read_bytes())
    (inbox / "gansu-longyuan.yaml").write_bytes((EXAMPLES / "gansu-longyuan.yaml").read_bytes())
    old = dt.datetime(2026, 1, 5).timestamp()
    os.utime(inbox / "gansu-longyuan.yaml", (old, old))
    os.utime(inbox / "gansu-bad.yaml", (old + 3600, old + 3600))  # the newer one
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="formgen")


def _marks(folder: Path) -> dict[str, tuple[str | None, bool]]:
    return {p.name: ooxml.batch_mark(p) for p in sorted(folder.iterdir())}


def _states(report: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(report)["汇总"]
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "序号")
    return {ws.cell(r, 2).value: ws.cell(r, 7).value for r in range(head + 1, ws.max_row + 1)}


def _letter_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(path).paragraphs)


def test_refused_batch_writes_marked_side_files_and_says_what_to_type(bureau):
    r = run(*SUMMARY)
    assert r.exit_code == 1, r.output
    assert not (bureau / "out").exists()  # no sheet
    assert sorted(p.name for p in (bureau / "通知").iterdir()) == [BAD]
    marks = {**_marks(bureau / "通知"), "问题清单.xlsx": ooxml.batch_mark(bureau / "问题清单.xlsx")}
    assert len({m for m, _ in marks.values()}) == 1 and all(m and untouched for m, untouched in marks.values())
    assert r.stderr.strip().splitlines()[-1] == (
        "同一企业有多个文件：删去旧文件，或加 --prefer newer 重新运行：formgen summary 收件 --pack gansu "
        f"--unit {UNIT} --report 问题清单.xlsx --notices 通知 --prefer newer"
    )


def test_the_rerun_with_prefer_newer_replaces_them_without_force(bureau, tmp_path_factory):
    assert run(*SUMMARY).exit_code == 1
    assert _states(bureau / "问题清单.xlsx")["甘肃陇原精工机械有限公司"] == "重复，未列入"
    r = run(*SUMMARY, "--prefer", "newer")  # the command the refusal printed
    # as the same run into a fresh folder exits: written, with gansu-bad left off (exit 3)
    fresh = tmp_path_factory.mktemp("fresh")
    os.symlink(bureau / "收件", fresh / "收件")
    os.chdir(fresh)
    assert r.exit_code == run(*SUMMARY, "--prefer", "newer").exit_code == 3, r.output
    os.chdir(bureau)
    assert "已存在" not in r.output
    assert len(list((bureau / "out").iterdir())) == 4
    assert _states(bureau / "问题清单.xlsx")["甘肃陇西精工机械有限公司"] == "列入"  # this run's list
    assert (bureau / "通知" / BAD).exists() and "BT001" not in r.stdout.split("已生成")[-1]
    # the enterprise withdraws its faulty newer file: its letter of the earlier runs is gone
    (bureau / "收件" / "gansu-bad.yaml").unlink()
    r = run(*SUMMARY, "--prefer", "newer")
    assert r.exit_code == 0, r.output
    assert not (bureau / "通知" / BAD).exists()
    assert f"已删除上次生成、本次不再发出的整改通知：{bureau / '通知' / BAD}" in r.stdout


def test_a_foreign_file_of_the_same_name_is_refused_and_left_alone(bureau):
    (bureau / "通知").mkdir()
    own = docx.Document()
    own.add_paragraph("科长亲笔改过的通知")
    own.save(bureau / "通知" / BAD)
    before = (bureau / "通知" / BAD).read_bytes()
    r = run(*SUMMARY)
    assert r.exit_code == 1
    assert f"以下文件已存在，未写入任何文件（使用 --force 覆盖）：{BAD}" in r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        f"确要覆盖这些文件，请运行：formgen summary 收件 --pack gansu --unit {UNIT} "
        "--report 问题清单.xlsx --notices 通知 --force"
    )
    assert (bureau / "通知" / BAD).read_bytes() == before
    assert sorted(p.name for p in (bureau / "通知").iterdir()) == [BAD]  # nothing of the run written
    assert not (bureau / "问题清单.xlsx").exists()
    # and it is not taken for a stale letter either: a run that does not write it keeps it
    assert run(*SUMMARY, "--prefer", "newer").exit_code == 1  # gansu-bad's letter is still due
    assert (bureau / "通知" / BAD).read_bytes() == before


def test_a_foreign_file_is_never_swept(bureau):
    (bureau / "通知").mkdir()
    other = bureau / "通知" / BAD
    other.write_bytes(b"not formgen's")
    assert run(*SUMMARY, "--force").exit_code == 1  # written over it: now formgen's
    other_name = bureau / "通知" / "整改通知_别的企业.docx"
    other_name.write_bytes(b"a letter from elsewhere")
    (bureau / "收件" / "gansu-bad.yaml").unlink()
    r = run(*SUMMARY, "--prefer", "newer")
    assert not (bureau / "通知" / BAD).exists()  # this batch's own, no longer due
    assert other_name.read_bytes() == b"a letter from elsewhere"
    assert "别的企业" not in r.output


def test_a_file_of_another_batch_is_refused(bureau):
    assert run(*SUMMARY).exit_code == 1
    before = {p.name: p.read_bytes() for p in (bureau / "通知").iterdir()}
    report = (bureau / "问题清单.xlsx").read_bytes()
    r = run(*[("天水市工业和信息化局" if a == UNIT else a) for a in SUMMARY], "--prefer", "newer")
    assert r.exit_code == 1
    assert "以下文件已存在，未写入任何文件（使用 --force 覆盖）：问题清单.xlsx" in r.stderr
    assert not (bureau / "out").exists()
    assert {p.name: p.read_bytes() for p in (bureau / "通知").iterdir()} == before
    assert (bureau / "问题清单.xlsx").read_bytes() == report
    assert run(*SUMMARY, "--prefer", "newer").exit_code == 3  # while the batch's own run replaces them


def test_a_file_saved_since_is_the_clerks_not_formgens(bureau):
    """A letter the clerk opened, edited and saved keeps its mark (Word keeps custom
    properties) but is no longer as formgen wrote it: refused, and said so."""
    assert run(*SUMMARY).exit_code == 1
    letter = bureau / "通知" / BAD
    d = docx.Document(letter)
    d.add_paragraph("另：请于三日内报送。")
    d.core_properties.modified = dt.datetime(2026, 12, 8, 9, 0)
    d.save(letter)
    assert ooxml.batch_mark(letter)[0] and not ooxml.batch_mark(letter)[1]
    r = run(*SUMMARY)
    assert r.exit_code == 1
    assert f"{BAD}（上次生成后已被修改）" in r.stderr
    assert "另：请于三日内报送。" in _letter_text(letter)
    # nor is it removed when the batch no longer sends it: kept, and said so
    (bureau / "收件" / "gansu-bad.yaml").unlink()
    r = run(*SUMMARY, "--prefer", "newer", "--force")
    assert letter.exists()
    assert f"未删除上次生成、本次不再发出的整改通知（上次生成后已被修改）：{letter}" in r.stderr


def test_a_file_added_to_the_inbox_keeps_the_batch(bureau):
    assert run(*SUMMARY).exit_code == 1
    (bureau / "收件" / "gansu-longyuan.yaml").unlink()  # the clerk deletes the older file instead…
    text = (bureau / "收件" / "gansu-longxi.yaml").read_text(encoding="utf-8")
    third = text.replace("91620103710265329W", "91620103710265337Q").replace("710265329", "710265337")
    (bureau / "收件" / "gansu-third.yaml").write_text(third.replace("陇西", "陇东"), encoding="utf-8")  # …one more came
    r = run(*SUMMARY)
    assert "已存在" not in r.output, r.output
    assert r.exit_code == 3  # written, gansu-bad left off: its letter replaced
    assert ooxml.batch_mark(bureau / "通知" / BAD)[1]


def test_validate_reruns_replace_their_own_files(bureau):
    args = ["validate", "收件", "--pack", "gansu", "--unit", UNIT, "--report", "检查.xlsx", "--notices", "检查通知"]
    assert run(*args).exit_code == 1
    assert sorted(p.name for p in (bureau / "检查通知").iterdir()) == [BAD]
    (bureau / "收件" / "gansu-bad.yaml").unlink()  # the enterprise's fixed file is not in yet
    r = run(*args)
    assert r.exit_code == 0, r.output
    assert list((bureau / "检查通知").iterdir()) == []
    assert "已删除上次生成、本次不再发出的整改通知" in r.stdout
    assert openpyxl.load_workbook(bureau / "检查.xlsx")["汇总"].max_row > 1
    # another command's files are another batch's
    report = (bureau / "检查.xlsx").read_bytes()
    r = run("summary", "收件", "--pack", "gansu", "--unit", UNIT, "--report", "检查.xlsx")
    assert r.exit_code == 1 and "以下文件已存在，未写入任何文件（使用 --force 覆盖）：检查.xlsx" in r.stderr
    assert (bureau / "检查.xlsx").read_bytes() == report and not (bureau / "out").exists()


def test_import_reruns_replace_their_own_files(bureau):
    assert run(*SUMMARY).exit_code == 1
    form = bureau / "表"
    form.mkdir()
    other = docx.Document()
    other.add_paragraph("会议纪要")
    other.save(form / "a.docx")  # not a form: a problem to report
    args = ["import", "表", "--pack", "gansu", "--unit", UNIT, "--report", "读入.xlsx", "--notices", "读入通知"]
    first = run(*args)
    assert first.exit_code == 2 and ooxml.batch_mark(bureau / "读入.xlsx")[1], first.output
    letters = sorted(p.name for p in (bureau / "读入通知").iterdir())
    assert len(letters) == 1
    again = run(*args)
    assert again.exit_code == first.exit_code and "已存在" not in again.output, again.output
    assert "已生成：读入.xlsx" in again.stdout
    # a letter that is not this batch's in the folder: refused before anything is written
    (bureau / "读入通知" / "整改通知_别的企业.docx").write_bytes(b"elsewhere")
    (bureau / "读入.xlsx").unlink()
    r = run(*args)
    assert r.exit_code == 1 and "整改通知_别的企业.docx" in r.stderr and not (bureau / "读入.xlsx").exists()


# --- the output layer ----------------------------------------------------------------------


def _marked_docx(mark: str) -> bytes:
    d = docx.Document()
    d.add_paragraph("x")
    return ooxml.finish(d, "t", "u", {ooxml.BATCH_PROPERTY: mark})


def test_write_all_replaces_and_sweeps_only_the_batchs_own(tmp_path):
    own, other = _marked_docx("batch-a"), _marked_docx("batch-b")
    write_all([(tmp_path / "a.docx", own), (tmp_path / "gone.docx", own), (tmp_path / "b.docx", other)])
    (tmp_path / "plain.docx").write_bytes(b"plain")
    removed = write_all([(tmp_path / "a.docx", own)], mark="batch-a", sweep=[(tmp_path, "*.docx")])
    assert removed == [tmp_path / "gone.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "b.docx", "plain.docx"]
    with pytest.raises(OutputError) as e:
        write_all([(tmp_path / "b.docx", own), (tmp_path / "new.docx", own)], mark="batch-a")
    assert e.value.existing == ["b.docx"] and not (tmp_path / "new.docx").exists()
    with pytest.raises(OutputError):
        write_all([(tmp_path / "a.docx", own)], mark="batch-b")  # the mark must match


def test_the_mark_is_in_the_files_properties():
    data = _marked_docx("batch-a")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "docProps/custom.xml" in z.read("_rels/.rels").decode()
        assert "custom-properties+xml" in z.read("[Content_Types].xml").decode()
    assert docx.Document(io.BytesIO(data)).paragraphs[0].text == "x"  # still a document


def test_a_path_with_a_space_is_quoted_in_the_command_to_type(bureau):
    (bureau / "收件").rename(bureau / "收件 2026")
    r = run("summary", "收件 2026", "--pack", "gansu", "--unit", UNIT)
    assert r.exit_code == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.endswith(f"formgen summary '收件 2026' --pack gansu --unit {UNIT} --prefer newer")


def test_over_the_quota_says_the_command_again_and_with_draft(bureau):
    (bureau / "收件" / "gansu-bad.yaml").unlink()  # two clean records, one place
    r = run("summary", "收件", "--pack", "gansu", "--unit", UNIT, "--quota", "1")
    assert r.exit_code == 1 and "QT001" in r.output
    command = f"formgen summary 收件 --pack gansu --unit {UNIT} --quota 1"
    assert r.stderr.strip().splitlines()[-1] == (
        f"未生成汇总表：请先解决上面的问题后重新运行：{command}；或加 --draft 生成草稿：{command} --draft"
    )
