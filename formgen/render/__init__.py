"""Rendering: layouts (data) -> .docx / .xlsx bytes. The OOXML specifics live in
``ooxml``; ``docx`` and ``xlsx`` interpret the layout description.

The limit of an .xlsx cell is stated here, once, so that the rule that checks records
(``XL001``) can ask for it without loading XlsxWriter; :mod:`formgen.render.xlsx` is the
writing layer that enforces it on every cell."""

XLSX_CELL_MAX = 32_767  # characters an .xlsx cell holds (Excel's limit, counted in UTF-16 units)


def cell_len(text: str) -> int:
    """The length of ``text`` as Excel counts it against :data:`XLSX_CELL_MAX`: UTF-16
    units, so a character outside the Basic Multilingual Plane (𠀀, an emoji) counts two.

    >>> cell_len("智能工厂"), cell_len("𠀀")
    (4, 2)
    """
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


# Chinese font sizes (字号) in points: what a layout's ``size`` may name (checked by
# formgen.packs.layout, printed by ooxml). Here, not in ooxml, so that checking a pack does not
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
