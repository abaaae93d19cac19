import pytest

from formgen.record.textcount import name_length, word_count


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", 0),
        ("智能工厂", 4),
        ("智能工厂，很好。", 8),  # full-width punctuation counts 1 each
        ("“数字孪生”", 6),  # Chinese quotation marks are full-width
        ("hello world", 2),  # each half-width run between spaces counts 1
        ("AI+5G赋能", 3),  # "AI+5G" is one run, then two CJK characters
        ("提升1.5倍", 4),  # a number like 1.5 counts 1
        ("  \n\t", 0),  # white space counts 0
        ("MES与ERP集成", 5),
        ("全　角空格", 4),  # the ideographic space counts 0
    ],
)
def test_word_count_like_word(text, expected):
    assert word_count(text) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("智" * 14, 14),
        ("智" * 15, 15),
        ("AI" + "智" * 12, 13),  # 12 + 2/3 = 12.67 -> 13
        ("ABC" + "智" * 13, 14),  # 13 + 1 = 14
        ("ABCD" + "智" * 13, 15),  # 13 + 4/3 = 14.33 -> 15
        ("5G智能工厂", 5),
    ],
)
def test_factory_name_length_counts_ascii_three_to_one(name, expected):
    assert name_length(name) == expected
