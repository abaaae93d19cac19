"""Shared fixtures: the bundled example record with its figures generated once."""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest
import yaml

from formgen.demo import make_figure
from formgen.doors.opener import load
from formgen.packs.pack import get_pack

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "shanghai-chengchuan.yaml"
BAD = ROOT / "data" / "examples" / "shanghai-bad.yaml"
REPORT = ROOT / "data" / "examples" / "澄川精密_CMMM自评估报告_L3.pdf"  # 附件4 第五部分
# 卓越级智能工厂项目推荐汇总表 (002 附件4), shared by national, Hebei and Gansu 附件13
ZHUOYUE_HEADERS = [
    "序号",
    "申报单位名称",
    "卓越级智能工厂项目名称",
    "涉及典型场景实例（罗列）",
    "联系人",
    "联系方式（手机号）",
]


@pytest.fixture(scope="session")
def figures_dir(tmp_path_factory) -> Path:
    """Ten figures that meet the Shanghai rule (8.25 MP, > 5 MB), made once."""
    d = tmp_path_factory.mktemp("figs") / "figures"
    for i in range(1, 11):
        make_figure(d / f"fig{i:02d}.jpg", i)
    return d


def link_figures(source: Path, target: Path) -> None:
    """Put the figures inside the record's folder, as hard links (cheap): a figure must
    resolve inside the record's folder, so a symlink to elsewhere would be refused."""
    if target.exists():
        return
    target.mkdir(parents=True)
    for f in source.iterdir():
        try:
            os.link(f, target / f.name)
        except OSError:
            shutil.copy(f, target / f.name)


@pytest.fixture(scope="session")
def example_data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def write_record(tmp_path, figures_dir, example_data):
    """Write the example record (optionally changed by ``edit(data)``) beside the figures."""

    def _write(edit=None, name: str = "record.yaml") -> Path:
        data = copy.deepcopy(example_data)
        if edit:
            edit(data)
        folder = tmp_path / "rec"
        folder.mkdir(exist_ok=True)
        link_figures(figures_dir, folder / "figures")
        if not (folder / REPORT.name).exists():
            shutil.copy(REPORT, folder / REPORT.name)
        path = folder / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def shanghai():
    return get_pack("shanghai")


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def validate_with(path: Path, pack):
    from formgen.app import validate

    return validate(load(path), pack)


@pytest.fixture
def copy_example(tmp_path, figures_dir):
    def _copy() -> Path:
        folder = tmp_path / "ex"
        folder.mkdir(exist_ok=True)
        shutil.copy(EXAMPLE, folder / EXAMPLE.name)
        shutil.copy(REPORT, folder / REPORT.name)
        link_figures(figures_dir, folder / "figures")
        return folder / EXAMPLE.name

    return _copy


def to_pdf(files, outdir) -> list[Path]:
    """Convert ``files`` with LibreOffice, one output folder each (an .xlsx and a .docx
    may share a name), or skip the test, saying why, where LibreOffice is missing."""
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) 未安装：跳过用办公软件打开文件的检查")
    for i, f in enumerate(files):
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{outdir / 'profile'}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outdir / str(i)),
                str(f),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    pdfs = [next((outdir / str(i)).glob("*.pdf")) for i in range(len(files))]  # in the order given
    assert all(p.read_bytes()[:5] == b"%PDF-" and p.stat().st_size > 1000 for p in pdfs)
    return pdfs


@pytest.fixture
def cli():
    """Run a formgen command in-process (click's CliRunner); exceptions propagate."""
    from click.testing import CliRunner

    from formgen.cli import main

    runner = CliRunner()

    def _run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return _run
