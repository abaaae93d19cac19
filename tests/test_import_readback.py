"""formgen import reads back every field a form prints (issue 24): the command with a
relative --out, the level a form's title states, 所属地区 split into city and district,
Gansu's 9-character 组织机构代码 as a field of its own."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner

from formgen.cli import main
from formgen.loader import load
from formgen.packs import get_pack
from formgen.render import docx as docx_render

ROOT = Path(__file__).resolve().parent.parent
GANSU = ROOT / "data" / "examples" / "gansu-longyuan.yaml"


@pytest.fixture(scope="module")
def gansu():
    return get_pack("gansu")


def _a3(tmp_path: Path, edit=None, name: str = "附件3.docx") -> Path:
    """Gansu 附件3 rendered from the example record (changed by ``edit(data)``)."""
    data = yaml.safe_load(GANSU.read_text(encoding="utf-8"))
    if edit:
        edit(data)
    record = tmp_path / "record.yaml"
    record.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    loaded = load(record)
    doc = next(d for d in get_pack("gansu").documents if d.id == "a3")
    form = tmp_path / name
    form.write_bytes(docx_render.render_single(doc.layout, loaded.record, loaded.base_dir, False, {}))
    return form


def _set_cell(form: Path, label: str, text: str) -> None:
    """The value cell right of the cell labelled ``label`` set to ``text`` (as typed by hand)."""
    d = docx.Document(str(form))
    for t in d.tables:
        for row in t.rows:
            cells = list(dict.fromkeys(row.cells))  # a merged cell once
            for i, c in enumerate(cells[:-1]):
                if c.text.strip() == label:
                    cells[i + 1].text = text
                    d.save(str(form))
                    return
    raise AssertionError(label)


# -- the command with a relative --out --------------------------------------------------------


@pytest.mark.parametrize("out", [None, "imported", "sub/records"])
def test_import_into_a_relative_folder_reports_what_it_read(tmp_path, monkeypatch, out):
    _a3(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ["import", "附件3.docx", "--pack", "gansu", "--report", "问题清单.xlsx"]
    result = CliRunner().invoke(main, args + (["--out", out] if out else []))
    assert "请报告此问题" not in result.output, result.output
    assert result.exit_code in (0, 1), result.output
    folder = tmp_path / (out or "imported")
    record = folder / "甘肃陇原精工机械有限公司.yaml"
    assert record.exists()
    assert f"已读入：附件3.docx → {record}（甘肃陇原精工机械有限公司）" in result.output
    assert (tmp_path / "问题清单.xlsx").exists()
