"""Bad input: one clear line per problem, with file, line and field."""

import pytest

from formgen.doors.opener import load
from formgen.record.loader import LoadError


def _load_text(tmp_path, text, name="r.yaml"):
    """The findings of a file that cannot be read at all."""
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as e:
        load(p)
    return e.value.findings


def _notes(tmp_path, text, name="r.yaml"):
    """The findings of a file that is read, each bad value left out of the record."""
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return load(p).notes


def test_malformed_yaml_gives_file_line_column(tmp_path):
    # PyYAML notices the open bracket at the end of the file; the line to edit is 3
    (f,) = _load_text(tmp_path, "enterprise:\n  name: 甲\n  size: [大型\n")
    assert f.code == "IN003" and f.source.endswith("r.yaml") and f.line == 3
    assert "第 3 行第 9 列" in f.message and "“[”没有配对的“]”" in f.message
    assert f.text().count("\n") == 0


# Each YAML mistake: (text, the line to edit, the explanation's marker). The markers
# are distinct, so a test also shows that no other hint fires on the same mistake.
HINTS = {
    "fullwidth": "用了全角冒号（：）",
    "tab": "用了制表符（Tab）缩进，请改用空格",
    "quote": "含有“: ”的文字须加引号",
    "indent": "的缩进（",
    "list": "列表项（- ）",
    "colon": "缺少冒号",
    "unclosed": "没有闭合",
    "bracket": "没有配对",
}
MISTAKES = {
    "fullwidth_colon": ("enterprise:\n  name：甲公司\n  size: 大型\n", 2, "fullwidth"),
    "fullwidth_colon_last_key": ("enterprise:\n  name: 甲公司\n  size：大型\n", 3, "fullwidth"),
    "fullwidth_colon_in_list": ("scenarios:\n  - name：甲\n    stage: 乙\n", 2, "fullwidth"),
    "fullwidth_colon_top": ("enterprise：\n  name: 甲公司\n", 1, "fullwidth"),
    "tab_indent": ("enterprise:\n\tname: 甲公司\n", 2, "tab"),
    "tab_indent_later": ("enterprise:\n  name: 甲公司\n\tsize: 大型\n", 3, "tab"),
    "colon_in_text": ("factory:\n  remarks: 说明: 见附件\n", 2, "quote"),
    "more_indented_key": ("enterprise:\n  name: 甲公司\n   size: 大型\n", 3, "indent"),
    "less_indented_key": ("enterprise:\n  name: 甲公司\n size: 大型\n", 3, "indent"),
    "list_item_among_keys": ("enterprise:\n  name: 甲公司\n  - 大型\n", 3, "list"),
    "key_among_list_items": ("scenarios:\n  - name: 甲\n  stage: 乙\n", 3, "list"),
    "missing_colon": ("enterprise:\n  name 甲公司\n  size: 大型\n", 2, "colon"),
    "missing_colon_last_key": ("enterprise:\n  name: 甲公司\n  size 大型\n", 3, "colon"),
    "unclosed_quote": ('enterprise:\n  name: "甲公司\n  size: 大型\n', 2, "unclosed"),
    "unclosed_bracket": ("enterprise:\n  name: 甲公司\nfactory:\n  integrators: [甲, 乙\n", 4, "bracket"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_yaml_mistake_explained_in_chinese_at_the_line_to_edit(tmp_path, name):
    text, line, hint = MISTAKES[name]
    (f,) = _load_text(tmp_path, text)
    assert f.code == "IN003" and f.line == line and f.source.endswith("r.yaml")
    assert f.message.startswith(f"YAML 格式错误（第 {line} 行") and f.text().count("\n") == 0
    assert HINTS[hint] in f.message
    assert [h for h, marker in HINTS.items() if marker in f.message] == [hint]
    for english in ("mapping values", "expected", "found", "while scanning", "while parsing"):
        assert english not in f.message


def test_yaml_hints_show_the_fix(tmp_path):
    (f,) = _load_text(tmp_path, MISTAKES["fullwidth_colon"][0])
    assert f.message.endswith("请改为半角冒号加空格：name: 甲公司")
    (f,) = _load_text(tmp_path, MISTAKES["colon_in_text"][0])
    assert f.message.endswith('如 remarks: "说明: 见附件"')
    (f,) = _load_text(tmp_path, MISTAKES["tab_indent"][0])
    assert "第 2 行用了制表符（Tab）缩进，请改用空格" in f.message
    (f,) = _load_text(tmp_path, MISTAKES["less_indented_key"][0])
    assert "（1 个空格）" in f.message and "0、2 个空格" in f.message
    (f,) = _load_text(tmp_path, MISTAKES["missing_colon"][0])
    assert f.message.endswith("如 name: 甲公司")


CORRECT = (
    "enterprise:\n  name: 甲公司\n  size: 大型\n  intro: 说明：见附件（全角冒号在值里无妨）\n"
    'factory:\n  remarks: "说明: 见附件"\n  integrators: [甲, 乙]\n'
    "scenarios:\n  - name: 甲\n    stage: 乙\n"
)


def test_yaml_hints_do_not_fire_on_a_correct_file(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(CORRECT, encoding="utf-8")
    r = load(p).record
    assert r.factory.remarks == "说明: 见附件" and r.enterprise.intro.startswith("说明：见附件")


def test_fullwidth_colon_that_yaml_accepts_is_explained_too(tmp_path):
    # `name：甲` alone under a section is valid YAML (the section becomes that text)
    (f,) = _notes(tmp_path, "enterprise:\n  name：甲公司\n")
    assert f.code == "IN007" and f.path == "enterprise" and "不能用全角冒号（：）" in f.message


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("a: &x 1\nb: &x 2\n", 2, "锚点 &x 重复定义（第 1 行已定义）"),
        ("enterprise:\n  name: *x\n", 2, "别名 *x 没有对应的锚点 &x"),
        ("enterprise:\n  name: 甲\n---\nfactory: {}\n", 3, "一个文件只能有一份记录"),
        ("enterprise:\n  name: !!python/object:os.system x\n", 2, "不支持 YAML 标签 !!python/object:os.system"),
        ("enterprise:\n  employees: !!int 很多\n", 2, "不符合标签 !!int"),
        ('enterprise:\n  name: "甲\\q"\n', 2, "无效的转义"),
        ("enterprise:\n  name: @甲\n", 2, "“@”不能用在值的开头"),
        ('enterprise:\n  name: "甲" 公司\n', 2, "整段文字须放在同一对引号里"),
    ],
)
def test_other_yaml_problems_in_chinese(tmp_path, text, line, words):
    (f,) = _load_text(tmp_path, text)
    assert f.code == "IN003" and f.line == line and words in f.message


def test_wrong_types_name_path_and_expectation(tmp_path):
    found = _notes(tmp_path, "enterprise:\n  employees: 很多\n  founded: 2024-13-01\nfactory:\n  level: 中级\n")
    by_path = {f.path: f for f in found}
    assert by_path["enterprise.employees"].message.startswith("应为整数")
    assert by_path["enterprise.employees"].line == 2
    assert by_path["enterprise.employees"].label == "企业基本信息·从业人员（人）"
    assert "先进级" in by_path["factory.level"].message
    assert "enterprise.founded" in by_path


def test_unknown_key_suggests_nearest(tmp_path):
    (f,) = _notes(tmp_path, "enterprise:\n  credit_cod: 91310115MA1FL8TQ6C\n")
    assert f.code == "IN006" and f.path == "enterprise.credit_cod" and "是否想写 credit_code" in f.message


def test_duplicate_key_is_not_silently_dropped(tmp_path):
    (f,) = _notes(tmp_path, "factory:\n  name: 甲智能工厂\n  name: 乙智能工厂\n")
    assert f.code == "IN005" and f.line == 3 and "第 2 行" in f.message


@pytest.mark.parametrize("text", ['enterprise:\n  name: "甲\\x01乙"\n', "enterprise:\n  name: 甲\x01乙\n"])
def test_xml_illegal_control_characters_refused_naming_field(tmp_path, text):
    # written as an escape, the value is read and refused (left out); raw, YAML cannot read the file
    (f,) = _notes(tmp_path, text) if "\\x01" in text else _load_text(tmp_path, text)
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
    from formgen.doors.blank import blank_record

    p = tmp_path / "blank.yaml"
    p.write_text(blank_record(), encoding="utf-8")
    assert load(p).record.enterprise.name is None
