"""Bad input: one clear line per problem, with file, line and field."""

import pytest

from formgen.loader import LoadError, load


def _load_text(tmp_path, text, name="r.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as e:
        load(p)
    return e.value.findings


def test_malformed_yaml_gives_file_line_column(tmp_path):
    (f,) = _load_text(tmp_path, "enterprise:\n  name: 甲\n  size: [大型\n")
    assert f.code == "IN003" and f.source.endswith("r.yaml") and f.line == 4
    assert "第 4 行第 1 列" in f.message
    assert f.text().count("\n") == 0


def test_wrong_types_name_path_and_expectation(tmp_path):
    found = _load_text(tmp_path, "enterprise:\n  employees: 很多\n  founded: 2024-13-01\nfactory:\n  level: 先进\n")
    by_path = {f.path: f for f in found}
    assert by_path["enterprise.employees"].message.startswith("应为整数")
    assert by_path["enterprise.employees"].line == 2
    assert by_path["enterprise.employees"].label == "企业基本信息·从业人员（人）"
    assert "先进级" in by_path["factory.level"].message
    assert "enterprise.founded" in by_path


def test_unknown_key_suggests_nearest(tmp_path):
    (f,) = _load_text(tmp_path, "enterprise:\n  credit_cod: 91310115MA1FL8TQ6C\n")
    assert f.code == "IN006" and f.path == "enterprise.credit_cod" and "是否想写 credit_code" in f.message


def test_duplicate_key_is_not_silently_dropped(tmp_path):
    (f,) = _load_text(tmp_path, "factory:\n  name: 甲智能工厂\n  name: 乙智能工厂\n")
    assert f.code == "IN005" and f.line == 3 and "第 2 行" in f.message


@pytest.mark.parametrize("text", ['enterprise:\n  name: "甲\\x01乙"\n', "enterprise:\n  name: 甲\x01乙\n"])
def test_xml_illegal_control_characters_refused_naming_field(tmp_path, text):
    (f,) = _load_text(tmp_path, text)
    assert f.path == "enterprise.name" and "U+0001" in f.message and f.label.endswith("企业名称")


def test_not_utf8(tmp_path):
    p = tmp_path / "gbk.yaml"
    p.write_bytes("enterprise:\n  name: 甲公司\n".encode("gbk"))
    with pytest.raises(LoadError) as e:
        load(p)
    assert e.value.findings[0].code == "IN002" and "UTF-8" in e.value.findings[0].message


def test_top_level_must_be_mapping(tmp_path):
    (f,) = _load_text(tmp_path, "- a\n- b\n")
    assert f.code == "IN004"


def test_unquoted_numbers_become_text_and_amounts_parse(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(
        "people:\n  head: {mobile: 13901762288}\nfactory:\n  investment: '1,234.5'\n  start: 2024年3月\n",
        encoding="utf-8",
    )
    r = load(p).record
    assert r.people.head.mobile == "13901762288"
    assert str(r.factory.investment) == "1234.5"
    assert r.factory.start == "2024-03"


def test_blank_record_from_init_loads(tmp_path):
    from formgen.blank import blank_record

    p = tmp_path / "blank.yaml"
    p.write_text(blank_record(), encoding="utf-8")
    assert load(p).record.enterprise.name is None
