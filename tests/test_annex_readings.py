"""Rules read as the annexes say them (issue 7): optional sub-parts, the attached report,
the pack a record names, quotas stated as "原则上", messages that say how to fix."""

import json
import shutil

import pytest
import yaml
from click.testing import CliRunner
from docx import Document
from PIL import Image

from formgen.cli import main

from .conftest import REPORT, ROOT, codes, validate_with

MINIMAL = ROOT / "data" / "examples" / "shanghai-minimal.yaml"
OPTIONAL_PARTS = [
    "development",
    "build_history",
    "elements",
    "tech_innovation",
    "new_tech",
    "supply_chain",
    "green",
    "efficiency",
    "leadership",
]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def minimal(tmp_path, figures_dir):
    """The bundled minimal Shanghai example beside its figures and report."""
    from .conftest import link_figures

    folder = tmp_path / "min"
    folder.mkdir()
    shutil.copy(MINIMAL, folder / MINIMAL.name)
    shutil.copy(REPORT, folder / REPORT.name)
    link_figures(figures_dir, folder / "figures")
    return folder / MINIMAL.name


def test_minimal_example_leaves_optional_parts_empty_and_fills(minimal, shanghai, tmp_path):
    data = yaml.safe_load(minimal.read_text(encoding="utf-8"))
    assert set(data["narrative"]) == {"business", "architecture"}
    assert validate_with(minimal, shanghai) == []
    r = run("fill", minimal, "--pack", "shanghai", "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    doc = Document(next((tmp_path / "out").glob("附件4_*.docx")))
    paras = [p.text for p in doc.paragraphs]
    # every heading of the annex is printed, the empty optional ones included
    for heading in [
        "1、发展历程、行业属性、行业地位",
        "3、智能工厂建设要素（人员、资源、技术、制造）",
        "3、智慧供应链建设等",
        "3、行业的引领性及产业链带动性等方面",
    ]:
        assert heading in paras


@pytest.mark.parametrize("part", ["business", "architecture"])
def test_the_two_required_parts_are_required(write_record, shanghai, part):
    found = [f for f in validate_with(write_record(lambda d: d["narrative"].pop(part)), shanghai) if f.code == "RQ001"]
    assert [f.path for f in found] == [f"narrative.{part}"]
    assert "（必填项）" in found[0].label and "附件4" in found[0].message


def test_optional_parts_may_be_empty(write_record, shanghai):
    def edit(d):
        # keep the total over 3000 字: the two required parts carry everything
        d["narrative"]["business"] = "\n".join(
            d["narrative"][k] for k in ["development", "business"] + OPTIONAL_PARTS[5:]
        )
        d["narrative"]["architecture"] = "\n".join(d["narrative"][k] for k in ["architecture", *OPTIONAL_PARTS[1:5]])
        for k in OPTIONAL_PARTS:
            d["narrative"].pop(k)

    assert validate_with(write_record(edit), shanghai) == []


def test_part5_says_report_attached_not_its_file_name(write_record, shanghai, tmp_path):
    r = run("fill", write_record(), "--pack", "shanghai", "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    doc = Document(next((tmp_path / "o").glob("附件4_*.docx")))
    last = [p.text for p in doc.paragraphs if p.text][-1]
    assert last == "自评估等级：L3；自评估得分：3.12。自评估报告见附件。"
    assert ".pdf" not in "\n".join(p.text for p in doc.paragraphs)


@pytest.mark.parametrize(
    "report, problem",
    [
        ("没有这个文件.pdf", "文件不存在"),
        ("../outside.pdf", "须位于记录所在的文件夹内"),
        ("empty.pdf", "文件为空"),
        ("figures", "不是普通文件"),
    ],
)
def test_missing_or_unreadable_report_is_an_error(write_record, shanghai, report, problem):
    path = write_record(lambda d: d["factory"]["cmmm"].update(report=report))
    (path.parent / "empty.pdf").write_bytes(b"")
    (path.parent.parent / "outside.pdf").write_bytes(b"%PDF-1.4 elsewhere")
    found = [f for f in validate_with(path, shanghai) if f.code == "AT001"]
    assert [f.path for f in found] == ["factory.cmmm.report"]
    assert problem in found[0].message and "自评估报告" in found[0].message


def test_report_present_passes(write_record, shanghai):
    assert "AT001" not in codes(validate_with(write_record(), shanghai))


def test_figure_messages_show_exact_figures(write_record, shanghai):
    def edit(d):
        d["figures"][0]["file"] = "small.jpg"

    path = write_record(edit)
    Image.new("RGB", (3264, 2448), (90, 120, 150)).save(path.parent / "small.jpg", quality=50)
    found = {f.code: f for f in validate_with(path, shanghai) if f.code in ("FG003", "FG004")}
    assert "3264×2448 = 7,990,272 像素 < 8,000,000" in found["FG003"].message
    size = (path.parent / "small.jpg").stat().st_size
    assert f"{size:,} 字节 < 5,242,880 字节" in found["FG004"].message


def test_figure_outside_the_record_folder_is_refused(write_record, shanghai, figures_dir):
    path = write_record(lambda d: d["figures"][0].update(file=str(figures_dir / "fig01.jpg")))
    (f,) = [f for f in validate_with(path, shanghai) if f.code == "FG002"]
    assert f.path == "figures[0].file" and "记录所在的文件夹内" in f.message


# -- the pack a record names ---------------------------------------------------------


def test_record_names_its_pack(write_record):
    path = write_record(lambda d: d.update(pack="shanghai"))
    r = run("validate", path)
    assert r.exit_code == 0 and "检查通过" in r.output


def test_command_line_pack_overrides_the_record(write_record):
    path = write_record(lambda d: d.update(pack="gansu"))
    r = run("validate", path, "--pack", "shanghai", "--format", "json")
    assert json.loads(r.output)["pack"] == "shanghai" and r.exit_code == 0


def test_no_pack_never_says_passed(write_record):
    r = run("validate", write_record(lambda d: d.pop("pack")))  # the example names its pack
    assert r.exit_code == 1 and "检查通过" not in r.output
    (line,) = [ln for ln in r.output.splitlines() if "PK001" in ln]
    assert "未检查：必填项、字数" in line and "--pack" in line


def test_unknown_pack_in_record(write_record):
    r = run("validate", write_record(lambda d: d.update(pack="shanghia")))
    assert r.exit_code == 2 and "没有名为 shanghia 的表格包" in r.output


def test_fill_without_any_pack_says_how(write_record, tmp_path):
    r = run("fill", write_record(lambda d: d.pop("pack")), "--out", tmp_path / "o")
    assert r.exit_code == 2 and "请用 --pack 指定表格包" in r.output and not (tmp_path / "o").exists()


def test_fill_on_a_pack_of_sheets_says_what_it_makes(tmp_path):
    r = run("fill", ROOT / "data" / "examples" / "hebei-jizhong.yaml", "--pack", "hebei", "--out", tmp_path / "o")
    assert r.exit_code == 2 and not (tmp_path / "o").exists()
    assert "附件4 卓越级智能工厂项目推荐汇总表（formgen summary）" in r.output
    assert "附件3 卓越级智能工厂项目申报材料清单（formgen checklist）" in r.output


# -- quotas stated as "原则上" --------------------------------------------------------


@pytest.fixture
def six_hebei(tmp_path):
    from stdnum.cn import uscc

    from formgen.record.ids import org_check_char

    data = yaml.safe_load((ROOT / "data" / "examples" / "hebei-jizhong.yaml").read_text(encoding="utf-8"))
    paths = []
    for i in range(6):
        org = f"7{i:02d}18273"[:8]
        code = "91130100" + org + org_check_char(org)
        data["enterprise"]["credit_code"] = code + uscc.calc_check_digit(code)
        data["enterprise"]["name"] = f"河北名额示例{i + 1}号有限公司"
        p = tmp_path / "recs" / f"r{i + 1}.yaml"
        p.parent.mkdir(exist_ok=True)
        p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths.append(p)
    return paths


def test_hebei_over_quota_is_an_error_by_default(six_hebei, tmp_path):
    r = run("summary", *six_hebei, "--pack", "hebei", "--unit", "石家庄市", "--out", tmp_path / "o")
    assert r.exit_code == 1 and "错误 QT001" in r.output and not (tmp_path / "o").exists()


def test_hebei_bureau_may_go_over_in_principle(six_hebei, tmp_path):
    import openpyxl

    r = run(
        "summary", *six_hebei, "--pack", "hebei", "--unit", "石家庄市", "--allow-over-quota", "--out", tmp_path / "o"
    )
    assert r.exit_code == 0, r.output
    (line,) = [ln for ln in r.output.splitlines() if "QT001" in ln]
    assert "警告 QT001" in line and "第6位 河北名额示例6号有限公司" in line
    ws = openpyxl.load_workbook(next((tmp_path / "o").glob("*.xlsx"))).active
    names = [c.value for c in ws["B"] if c.value and str(c.value).startswith("河北名额示例")]
    assert len(names) == 6


def test_national_quota_stays_hard(six_hebei, tmp_path):
    r = run(
        "summary",
        *six_hebei,
        "--pack",
        "national",
        "--unit",
        "河北省工业和信息化厅",
        "--unit-kind",
        "province",
        "--allow-over-quota",
        "--out",
        tmp_path / "o",
    )
    assert r.exit_code == 2 and "硬性上限" in r.output


# -- what a format cannot hold ---------------------------------------------------


@pytest.mark.parametrize("n, over", [(32767, False), (32768, True)])
def test_xlsx_cell_limit_is_an_error_never_a_cut(write_record, shanghai, n, over):
    # 附件5 prints 工厂地址 in its own column; nothing else limits its length
    path = write_record(lambda d: d["factory"].update(address="浦东新区康桥镇" + "址" * (n - 7)))
    found = [f for f in validate_with(path, shanghai) if f.code == "XL001"]
    assert bool(found) == over
    if over:
        assert found[0].path == "factory.address" and "32,768 个字符" in found[0].message


def test_a_sheet_limit_blocks_fill_as_it_fails_validate(tmp_path):
    """XL001 concerns 附件6 (an .xlsx the bureau writes), not the 申报书 fill writes; fill
    checks the record as validate does (issue 24: never an unmarked document for a record
    validate rejects), and both name 附件6 in the same line."""
    data = yaml.safe_load((ROOT / "data" / "examples" / "gansu-longyuan.yaml").read_text(encoding="utf-8"))
    data["factory"]["network"] = "网" * 33000
    rec = tmp_path / "g.yaml"
    rec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    checked = run("validate", rec, "--pack", "gansu")
    (line,) = [x for x in checked.output.splitlines() if "XL001" in x]
    assert checked.exit_code == 1 and "附件6“" in line
    r = run("fill", rec, "--pack", "gansu", "--out", tmp_path / "o")
    assert r.exit_code == 1 and line in r.output.splitlines(), r.output
    assert not (tmp_path / "o").exists()


def test_the_cmmm_score_and_report_are_named_apart(write_record):
    """附件4 第五部分 holds the level, the score and the report in one paragraph; each is
    named by the annexes' own words, so a 整改通知 never lists two lines that look alike."""

    def edit(d):
        d["factory"]["cmmm"]["score"] = None
        d["factory"]["cmmm"]["report"] = "不存在的报告.pdf"

    r = run("validate", write_record(edit), "--pack", "shanghai")
    lines = r.output.splitlines()
    (score,) = [ln for ln in lines if "factory.cmmm.score" in ln]
    (report,) = [ln for ln in lines if "factory.cmmm.report" in ln]
    assert "「智能制造能力成熟度评估分数得分」" in score
    assert "「L3级及以上自评估报告」" in report
