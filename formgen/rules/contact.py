"""Phone numbers and e-mail addresses."""

import re

from ..record.paths import expand
from ..record.refdata import area_codes
from . import ERROR, Hit, rule

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?[1-9]\d{6,7}(-\d{1,6})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")

MOBILE_PATHS = ["people.*.mobile"]
PHONE_PATHS = ["people.*.phone", "scenarios[].phone"]
FAX_PATHS = ["people.*.fax"]
PEOPLE = ("legal_rep", "head", "contact", "filler")


def _values(ctx, patterns):
    for pattern in patterns:
        names = PEOPLE if "*" in pattern else ("",)
        for who in names:
            for path, value in expand(ctx.record, pattern.replace("*", who)):
                if value:
                    yield path, value


def example_landline(province: str | None) -> str:
    """A landline written as the forms want it, with the area code of ``province`` (the
    enterprise's own: a Shanghai letter should not show a Hebei number).

    >>> example_landline("上海市"), example_landline("甘肃省"), example_landline(None)
    ('021-12345678', '0931-1234567', '010-12345678')
    """
    code = area_codes().get(province or "", "010")
    return f"{code}-{'1234567' if len(code) == 4 else '12345678'}"


def _province(ctx) -> str | None:
    """The enterprise's province: its own region, else the one its pack registers in."""
    own = ctx.record.enterprise.region.province
    if own:
        return own
    for name in ("registered_in", "region"):
        cfg = ctx.check(name)
        if isinstance(cfg, dict) and cfg.get("province"):
            return cfg["province"]
    return None


def _clean(value: str) -> str:
    return re.sub(r"[\s（）()]", "", value).replace("—", "-").replace("－", "-")


@rule("PH001", ERROR, "手机号格式错误")
def mobile(ctx):
    for path, value in _values(ctx, MOBILE_PATHS):
        if not MOBILE.match(_clean(value)):
            yield Hit(path, f"{value} 不是11位大陆手机号")


@rule("PH002", ERROR, "电话号码格式错误")
def phone(ctx):
    for path, value in _values(ctx, PHONE_PATHS):
        v = _clean(value)
        if not (MOBILE.match(v) or LANDLINE.match(v)):
            yield Hit(path, f"{value} 不是带区号的座机号（如 {example_landline(_province(ctx))}）或手机号")


@rule("PH003", ERROR, "传真号码格式错误")
def fax(ctx):
    for path, value in _values(ctx, FAX_PATHS):
        if not LANDLINE.match(_clean(value)):
            yield Hit(path, f"{value} 不是带区号的号码（如 {example_landline(_province(ctx))}）")


@rule("PH004", ERROR, "邮箱格式错误")
def email(ctx):
    for who in PEOPLE:
        value = getattr(ctx.record.people, who).email
        if value and not EMAIL.match(value.strip()):
            yield Hit(f"people.{who}.email", f"{value} 不是有效的邮箱地址")
