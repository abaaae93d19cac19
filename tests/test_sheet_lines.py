"""The .xlsx renderer counts a cell's wrapped lines (its row height) with shortcuts for
what most cells hold; Hypothesis checks each against the wrapping rule itself (tokens
filled into lines). The seed is fixed (derandomize), so CI runs the same cases."""

from __future__ import annotations

import re

import pytest

from formgen.render import xlsx as xlsx_render

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@hypothesis.settings(max_examples=400, deadline=None, derandomize=True)
@hypothesis.given(
    text=st.text(
        alphabet="上海市浦东新区有限公司智能工厂0123456789ABCxyz （）()《》“”，。、；：,.;:!?% \t\u3000〔〕-/·",
        max_size=50,
    ),
    width=st.floats(4, 60),
    size=st.sampled_from([9, 10.5, 11, 12, 14]),
)
def test_line_count_shortcuts_agree_with_the_wrapping_rule(text, width, size):
    """What fits, ideographs only and ideographs with digits are counted by shortcuts; each
    gives what breaking the paragraph into tokens and filling the lines gives."""
    usable = max((xlsx_render.column_pt(width) - xlsx_render.H_PAD_PT) * 0.97, size)
    for paragraph in (text, text.replace(" ", "").replace("\t", ""), re.sub(r"[^\u4e00-\u9fff0-9A-Za-z]", "", text)):
        by_rule = xlsx_render._greedy_lines(xlsx_render._tokens(paragraph), usable, size)
        assert xlsx_render._paragraph_lines(paragraph, usable, size) == by_rule
