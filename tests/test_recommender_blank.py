"""The blank recommender profile (``formgen init 推荐单位.yaml --recommender``), as a bureau
clerk meets it: every field explained, read back by the profile loader, filled in and
used by ``formgen summary --recommender``."""

from __future__ import annotations

import re

import docx
import openpyxl
import yaml

from formgen.doors.opener import load_recommender
from formgen.doors.workbook import read_workbook
from formgen.packs.pack import get_pack
from formgen.record.loader import LoadError
from formgen.record.model import Recommender
from formgen.record.unitkinds import UNIT_KINDS

from .conftest import ROOT

GANSU = ROOT / "data" / "examples" / "gansu-longyuan.yaml"
HEBEI = ROOT / "data" / "examples" / "hebei-jizhong.yaml"


def _lines(text: str) -> dict[str, str]:
    """key -> its comment, for each top-level key of a blank."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(\w+):\s*(?:#\s*(.*))?$", line)
        if m:
            out[m.group(1)] = m.group(2) or ""
    return out


def _fill(blank: str, values: dict[str, str]) -> str:
    """The blank as a clerk fills it: each value written after the colon, comments kept."""
    out = []
    for line in blank.splitlines():
        key = line.split(":", 1)[0]
        if key in values and not line.startswith("#"):
            line = f"{key}: {values[key]}  " + line.split(":", 1)[1].lstrip()
        out.append(line)
    return "\n".join(out) + "\n"


def test_blank_profile_lists_every_field_with_its_label_note_and_options(cli, tmp_path):
    p = tmp_path / "推荐单位.yaml"
    r = cli("init", p, "--recommender")
    assert r.exit_code == 0, r.output
    assert "推荐单位.yaml" in r.output
    text = p.read_text(encoding="utf-8")
    fields = _lines(text)
    assert list(fields) == list(Recommender.model_fields)  # every field, in the model's order
    for name, info in Recommender.model_fields.items():
        assert fields[name].startswith(info.title), name
        if info.description:
            assert info.description in fields[name], name
    assert "市、省、计划单列市、兵团 或 中央企业" in fields["unit_kind"]  # written by name
    assert not re.search(r"city|province|plan-listed|bingtuan|central", fields["unit_kind"])
    # what it is for: the command, and the bureau's documents of every pack that read it
    assert "--recommender 本文件" in text
    assert "gansu 附件8 主管部门承诺书（推荐单位、日期）" in text
    assert "shanghai 附件5" in text
    assert "必填" in fields["unit"] and "选填" in fields["contact"]
    assert "national 省 20个" in fields["unit_kind"]  # the quota that goes by it, from the manifest
    assert "如 2024-03-01" in fields["date"]


def test_blank_profile_reads_back_as_an_empty_profile(cli, tmp_path):
    for args in ([], ["--pack", "gansu"], ["--pack", "national"]):
        p = tmp_path / f"profile{len(args)}{args[-1] if args else ''}.yaml"
        assert cli("init", p, "--recommender", *args).exit_code == 0
        got = load_recommender(p)
        assert got.record == Recommender() and not got.notes and not got.dropped


def test_pack_narrows_the_blank_to_what_its_bureau_documents_read(cli, tmp_path):
    gansu = tmp_path / "gansu.yaml"
    assert cli("init", gansu, "--recommender", "--pack", "gansu").exit_code == 0
    text = gansu.read_text(encoding="utf-8")
    assert list(_lines(text)) == ["unit", "contact", "phone", "date"]  # no 类别 (no quota by it), no 负责人
    assert "附件1 智能制造能力成熟度自评估汇总表（推荐单位、日期、联系人、联系电话）" in text
    assert "--pack gansu --recommender 本文件" in text
    assert "用于：附件1、附件6、附件8" in _lines(text)["date"]
    shanghai = tmp_path / "shanghai.yaml"
    assert cli("init", shanghai, "--recommender", "--pack", "shanghai").exit_code == 0
    assert list(_lines(shanghai.read_text(encoding="utf-8"))) == ["unit"]
    national = tmp_path / "national.yaml"
    assert cli("init", national, "--recommender", "--pack", "national").exit_code == 0
    fields = _lines(national.read_text(encoding="utf-8"))
    assert list(fields) == ["unit", "unit_kind"]
    quota = get_pack("national").quota["by_unit_kind"]
    assert all(f"{UNIT_KINDS[k]} {v}个" in fields["unit_kind"] for k, v in quota.items())
    # Jiangsu's 自评价 has no sheet of the bureau's: nothing to ask, nothing written
    r = cli("init", tmp_path / "jiangsu.yaml", "--recommender", "--pack", "jiangsu")
    assert r.exit_code == 2 and "jiangsu" in r.output and not (tmp_path / "jiangsu.yaml").exists()


def test_filled_blank_serves_summary_recommender(cli, tmp_path):
    blank = tmp_path / "blank.yaml"
    assert cli("init", blank, "--recommender").exit_code == 0
    profile = tmp_path / "推荐单位.yaml"
    profile.write_text(
        _fill(
            blank.read_text(encoding="utf-8"),
            {
                "unit": "兰州市工业和信息化局",
                "contact": "王明",
                "phone": "0931-8123456",
                "head": "李华",
                "date": "2025-09-15",
            },
        ),
        encoding="utf-8",
    )
    assert load_recommender(profile).record.unit == "兰州市工业和信息化局"
    out = tmp_path / "out"
    r = cli("summary", GANSU, "--pack", "gansu", "--recommender", profile, "--out", out)
    assert r.exit_code == 0, r.output
    a1 = openpyxl.load_workbook(next(out.glob("附件1_*兰州市工业和信息化局.xlsx"))).active
    texts = [c.value for row in a1.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("填写单位") and t.endswith("2025年9月15日") for t in texts)
    assert any("联系人：王明" in t and "联系电话：0931-8123456" in t for t in texts)
    a8 = docx.Document(next(out.glob("附件8_*.docx")))
    body = "".join(p.text for p in a8.paragraphs)
    assert "兰州市工业和信息化局谨就" in body and "2025年9月15日" in body
    # the quota by 推荐单位类别, from the profile
    national = tmp_path / "national.yaml"
    national.write_text(
        _fill(blank.read_text(encoding="utf-8"), {"unit": "河北省工业和信息化厅", "unit_kind": "province"}),
        encoding="utf-8",
    )
    r = cli("summary", HEBEI, "--pack", "national", "--recommender", national, "--out", tmp_path / "n")
    assert r.exit_code == 0, r.output
    assert f"名额上限 {get_pack('national').quota['by_unit_kind']['province']}" in r.output


def test_blank_profile_never_overwrites_without_force(cli, tmp_path):
    p = tmp_path / "推荐单位.yaml"
    p.write_text("unit: 已填写的单位\n", encoding="utf-8")
    r = cli("init", p, "--recommender")
    assert r.exit_code == 1 and "--force" in r.output
    assert p.read_text(encoding="utf-8") == "unit: 已填写的单位\n"
    assert cli("init", p, "--recommender", "--force").exit_code == 0
    assert yaml.safe_load(p.read_text(encoding="utf-8"))["unit"] is None


def test_blank_profile_is_yaml_only(cli, tmp_path):
    r = cli("init", tmp_path / "推荐单位.xlsx", "--recommender")
    assert r.exit_code == 2 and "YAML" in r.output and ".yaml" in r.output
    assert not (tmp_path / "推荐单位.xlsx").exists()
    r = cli("init", tmp_path / "推荐单位.yaml", "--recommender", "--pack", "gansu", "--level", "先进级")
    assert r.exit_code == 2 and not (tmp_path / "推荐单位.yaml").exists()
    # a workbook given as a profile says how to get the YAML blank
    try:
        read_workbook(ROOT / "data" / "examples" / "gansu-longyuan.xlsx", model=Recommender)
    except LoadError as e:
        assert "formgen init 推荐单位.yaml --recommender" in e.findings[0].message
    else:
        raise AssertionError("a workbook read as a profile")
