"""Chinese organisation identifiers.

统一社会信用代码 (GB 32100-2015) uses python-stdnum's check-digit calculation; stdnum's
``validate`` insists on digits in the first two positions, but the registration
authority code (position 1) may also be A (organisations registered by other
authorities), N (agriculture: 农业) or Y (others), so the format check is done here.

组织机构代码 (GB 11714-1997): eight body characters (digits or capital letters) and a
check character 0-9 or X.
"""

from __future__ import annotations

import re

from stdnum.cn import uscc as _uscc

# Position 1: 登记管理部门码; position 2: 机构类别码 (digits, per GB 32100 table 1).
_USCC = re.compile(r"^[1-9ANY][0-9][0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")
_ORG = re.compile(r"^[0-9A-Z]{8}[0-9X]$")


def compact(code: str) -> str:
    return re.sub(r"[\s\-]", "", code or "").upper()


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码, or None if it is."""
    c = compact(code)
    if len(c) != 18:
        return f"应为18位，实际 {len(c)} 位"
    if not _USCC.match(c):
        return "格式不符（第1位登记管理部门码、第2位机构类别码、第3-8位行政区划码须为规定字符，不含 I O Z S V）"
    expected = _uscc.calc_check_digit(c[:17])
    if c[17] != expected:
        return f"校验位错误：第18位应为 {expected}"
    org = org_code_problem(c[8:17])
    if org:
        return f"第9-17位（组织机构代码）{org}"
    return None


def org_check_char(body: str) -> str:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(ch, 36) * w for ch, w in zip(body, weights, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def org_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 组织机构代码, or None if it is."""
    c = compact(code)
    if len(c) != 9:
        return f"应为9位，实际 {len(c)} 位"
    if not _ORG.match(c):
        return "格式不符（前8位为数字或大写字母，第9位为数字或X）"
    expected = org_check_char(c[:8])
    if c[8] != expected:
        return f"校验位错误：第9位应为 {expected}"
    return None


def org_code_of(uscc: str) -> str:
    """The 组织机构代码 embedded in a 统一社会信用代码 (positions 9-17)."""
    return compact(uscc)[8:17]
