"""Rendering: layouts (data) -> .docx / .xlsx bytes. The OOXML specifics live in
``ooxml``; ``docx`` and ``xlsx`` interpret the layout description."""

# Chinese font sizes (字号) in points: what a layout's ``size`` may name (checked by
# formgen.layout, printed by ooxml). Here, not in ooxml, so that checking a pack does not
# import python-docx.
ZIHAO = {
    "初号": 42,
    "小初": 36,
    "一号": 26,
    "小一": 24,
    "二号": 22,
    "小二": 18,
    "三号": 16,
    "小三": 15,
    "四号": 14,
    "小四": 12,
    "五号": 10.5,
    "小五": 9,
}
