"""Gansu 附件14 ``YYYY年度智能工厂梯度培育情况报告``: part 一 computed from the registry,
parts 二 and 三 from the bureau's own text (the template's prompt, marked 草稿, where it wrote none).

What is counted (one application per enterprise and round: its newest version):
- 申报: every application of the year at that level; 推荐: status 推荐 or 认定 (a recognised
  factory was recommended first); 认定: status 认定.
- CMMM 自评估: enterprises whose record has a self-assessed level (or score); coverage = 规上
  enterprises that self-assessed ÷ N (the bureau's count of 规上 manufacturing enterprises);
  普及率 = 规上 enterprises at level 2 or above ÷ N.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml

from ..record.levels import LEVELS
from ..record.model import read_user_text
from .registry import Registry

CMMM_LEVELS = (1, 2, 3, 4, 5)
LEVEL_ZH = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}
PROMPTS = {
    "measures": ("二、推进举措", "说明本地区为推进智能工厂梯度培育所采取的具体措施。"),
    "next_steps": ("三、下一步工作考虑", "提出本地区下一步推进智能工厂梯度培育的工作考虑。"),
}
TEXT_KEYS = {
    "measures": ("推进举措", "measures"),
    "next_steps": ("下一步工作考虑", "next_steps"),
    "unit": ("报告单位", "unit"),
}
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
CHART_DPI = 300
TEXT_WIDTH_CM = 15.6  # A4 less the 公文 margins (2.8 cm left, 2.6 cm right)


class AnnualError(ValueError):
    pass


@dataclass
class Figures:
    region: str
    year: int
    above_scale_total: int
    counties: list[str]
    # level -> (applied, recommended, recognised)
    by_level: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # county -> level -> (applied, recommended, recognised)
    by_county: dict[str, dict[str, tuple[int, int, int]]] = field(default_factory=dict)
    assessed: int = 0  # enterprises with a CMMM self-assessment
    assessed_above_scale: int = 0
    distribution: dict[int, int] = field(default_factory=dict)  # CMMM level -> enterprises
    level2_above_scale: int = 0  # 普及率 numerator
    # applications counted in by_level that no county holds, and their tally
    unplaced: list[Unplaced] = field(default_factory=list)
    by_unplaced: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    no_level: list[str] = field(default_factory=list)  # applications with no 申报层级: in no table

    @property
    def coverage(self) -> Decimal:
        return percent(self.assessed_above_scale, self.above_scale_total)

    @property
    def penetration(self) -> Decimal:
        return percent(self.level2_above_scale, self.above_scale_total)


def percent(num: int, den: int) -> Decimal:
    return (Decimal(100) * num / den).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _all_divisions(province: str) -> dict[str, list[str]]:
    from ..rules.region import _divisions

    return _divisions(province)


# what a division's name may be written without ("秦州" for 秦州区, "张家川县" for 张家川回族自治县)
SUFFIXES = ("自治州", "自治县", "地区", "市", "州", "盟", "区", "县", "旗")
NO_REGION, NO_COUNTY, NOT_THIS_CITY, UNKNOWN = "未填写所属地区", "未填写所属区县", "区县不属于本市", "所属地区无法识别"


@dataclass(frozen=True)
class Unplaced:
    """An application of the year the report counts but cannot put in a county."""

    enterprise: str
    level: str | None
    status: str
    reason: str
    written: str  # the region as registered, for the clerk (never printed in the report)


def _stem(name: str) -> str:
    """A division's name without its kind.

    >>> _stem("秦州区"), _stem("临夏回族自治州"), _stem("环县")
    ('秦州', '临夏回族', '环')
    """
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _city_spellings(city: str) -> list[str]:
    """How a city is written, longest first: 天水市, 天水; 临夏回族自治州, 临夏州, 临夏."""
    short = re.split("回族|藏族|自治", _stem(city))[0] or _stem(city)
    out = [city, short + "州" if city.endswith("州") else "", short]
    return sorted({s for s in out if len(s) >= 2}, key=len, reverse=True)


def _county_in(text: str, counties: list[str]) -> str | None:
    """The county of ``counties`` that ``text`` names: its full name, the full name followed
    by more of an address, or the name without its kind when that names one county only.

    >>> ds = ["秦州区", "麦积区", "秦安县", "张家川回族自治县"]
    >>> [_county_in(t, ds) for t in ("秦州区", "秦州", "麦积区中滩镇", "张家川县", "秦", "甘谷县")]
    ['秦州区', '秦州区', '麦积区', '张家川回族自治县', None, None]
    >>> _county_in("环", ["环县", "宁县"]), _county_in("临夏", ["临夏市", "临夏县"])
    ('环县', None)
    """
    if text in counties:
        return text
    prefixed = [d for d in counties if text.startswith(d)]
    if prefixed:
        return max(prefixed, key=len)
    for key in dict.fromkeys((text, _stem(text))):  # "秦州" as written, "张家川县" less its 县
        if len(key) >= 2:
            hits = [d for d in counties if d.startswith(key)]
        else:  # one character: only a county of that one character ("环" for 环县)
            hits = [d for d in counties if _stem(d) == key]
        if len(hits) == 1:
            return hits[0]
    return None


def _readings(province: str, text: str) -> set[tuple[str, str | None]]:
    """Every (city, county or None) a region text can be read as: "天水市秦州区", "天水秦州",
    "天水市", "秦州区" (the county alone: in whichever city has it)."""
    divisions = _all_divisions(province)
    out: set[tuple[str, str | None]] = set()
    for city, counties in divisions.items():
        for spelt in _city_spellings(city):
            if text.startswith(spelt):
                rest = text[len(spelt) :]
                county = _county_in(rest, counties) if rest else None
                if not rest or county:
                    out.add((city, county))
                break
    if not any(c for _, c in out):
        for city, counties in divisions.items():
            county = _county_in(text, counties)
            if county:
                out.add((city, county))
    return out


def _clean(province: str, text: str | None) -> str:
    text = "".join((text or "").split())
    for spelt in (province, _stem(province)):
        if len(spelt) >= 2 and text.startswith(spelt):
            return text[len(spelt) :]
    return text


def locate(province: str, city: str | None, district: str | None) -> tuple[str | None, str | None, str | None]:
    """Where a registered application is, from its region as written: ``(city, county,
    None)``, or ``(city or None, None, reason)`` when its county cannot be told.

    >>> locate("甘肃省", "天水", "秦州")
    ('天水市', '秦州区', None)
    >>> locate("甘肃省", None, "甘肃省天水市麦积区")
    ('天水市', '麦积区', None)
    >>> locate("甘肃省", "天水市", "安定区")
    ('天水市', None, '区县不属于本市')
    >>> locate("甘肃省", "", None)
    (None, None, '未填写所属地区')
    """
    city_text, district_text = _clean(province, city), _clean(province, district)
    if not city_text and not district_text:
        return None, None, NO_REGION
    city_read = _readings(province, city_text) if city_text else set()
    cities = {c for c, _ in city_read}
    the_city = next(iter(cities)) if len(cities) == 1 else None
    if district_text:
        found = _readings(province, district_text)
        if the_city:
            # the district read inside the city ("秦州") or after it ("天水市秦州区")
            found |= _readings(province, the_city + district_text)
            found = {(c, d) for c, d in found if c == the_city}
    else:
        found = city_read  # the whole place written as the city ("天水市秦州区")
    placed = {(c, d) for c, d in found if d}
    if len(placed) == 1:
        return (*next(iter(placed)), None)
    if the_city:
        return the_city, None, NOT_THIS_CITY if district_text else NO_COUNTY
    return None, None, UNKNOWN


def compute(reg: Registry, region: str, year: int, above_scale_total: int, province: str = "甘肃省") -> Figures:
    if above_scale_total < 1:
        raise AnnualError("规模以上工业企业总数须为正整数")
    divisions = _all_divisions(province)
    if region in divisions:
        city, counties = region, list(divisions[region])
    else:
        city = next((c for c, ds in divisions.items() if region in ds), None)
        if city is None:
            raise AnnualError(f"“{region}”不是{province}的市（州）或县（市、区）")
        counties = []  # a county's report has no table by county
    fig = Figures(region, year, above_scale_total, counties)
    rows, where = [], {}
    for r in reg.list(round_=str(year)):
        at_city, county, reason = locate(province, r.city, r.district)
        if at_city not in (None, city):
            continue  # another city's application
        if county is not None and region != city and county != region:
            continue  # another county's, in a county's report
        rows.append(r)
        if county is None:
            written = "".join(x for x in (r.city, r.district) if x)
            fig.unplaced.append(Unplaced(r.enterprise, r.level, r.status, reason, written))
        else:
            where[id(r)] = county
        if r.level not in LEVELS:
            fig.no_level.append(r.enterprise)

    def tally(subset):
        out = {}
        for level in LEVELS:
            at = [r for r in subset if r.level == level]
            out[level] = (
                len(at),
                sum(r.status in ("推荐", "认定") for r in at),
                sum(r.status == "认定" for r in at),
            )
        return out

    fig.by_level = tally(rows)
    for c in counties:
        fig.by_county[c] = tally([r for r in rows if where.get(id(r)) == c])
    fig.by_unplaced = tally([r for r in rows if id(r) not in where])
    # one enterprise counts once in the self-assessment figures, whatever it applied for
    by_ent = {}
    for r in rows:
        if r.cmmm_level is not None or r.cmmm_score is not None:
            prev = by_ent.get(r.enterprise_key)
            if prev is None or (r.cmmm_level or 0) > (prev.cmmm_level or 0):
                by_ent[r.enterprise_key] = r
    fig.assessed = len(by_ent)
    fig.assessed_above_scale = sum(bool(r.above_scale) for r in by_ent.values())
    fig.distribution = {lv: sum(r.cmmm_level == lv for r in by_ent.values()) for lv in CMMM_LEVELS}
    fig.level2_above_scale = sum(bool(r.above_scale) and (r.cmmm_level or 0) >= 2 for r in by_ent.values())
    return fig


def read_text(path: Path | None) -> dict[str, str]:
    """The bureau's parts 二/三: a YAML mapping (推进举措 / 下一步工作考虑, and the 报告单位 that
    signs the report), or a plain text file whose lines are part 二 up to a line ``三、下一步工作考虑``."""
    if path is None:
        return {}
    raw = read_user_text(Path(path), "报告文字")
    if Path(path).suffix.casefold() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(raw) or {}
        except yaml.YAMLError as e:
            raise AnnualError(f"{path}：不是有效的 YAML（{str(e).splitlines()[0]}）") from e
        if not isinstance(data, dict):
            raise AnnualError(f"{path}：应为“推进举措: …”“下一步工作考虑: …”形式")
        out = {}
        for key, names in TEXT_KEYS.items():
            for n in names:
                if data.get(n):
                    out[key] = str(data[n]).strip()
        unknown = [k for k in data if not any(k in names for names in TEXT_KEYS.values())]
        if unknown:
            raise AnnualError(f"{path}：不认识的项“{unknown[0]}”，应为 推进举措、下一步工作考虑、报告单位")
        return out
    part, buf = "measures", {"measures": [], "next_steps": []}
    for line in raw.splitlines():
        s = line.strip()
        if s.startswith("二、"):
            part = "measures"
            continue
        if s.startswith("三、"):
            part = "next_steps"
            continue
        buf[part].append(line)
    return {k: "\n".join(v).strip() for k, v in buf.items() if "\n".join(v).strip()}


def cjk_font() -> str | None:
    for p in FONT_CANDIDATES:
        if Path(p).exists():
            return p
    return None


def bar_chart(title: str, labels: list[str], values: list[int], ylabel: str = "企业数（家）") -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font = cjk_font()
    if font is None:
        raise AnnualError("未找到中文字体（Noto Sans CJK 或文泉驿），无法绘制图表")
    prop = font_manager.FontProperties(fname=font)
    figure, ax = plt.subplots(figsize=(6.0, 3.0), dpi=CHART_DPI)
    bars = ax.bar(range(len(values)), values, color="#4472C4", width=0.6)
    ax.set_xticks(range(len(values)))
    tilt = len(labels) > 5 or max((len(x) for x in labels), default=0) > 5
    ax.set_xticklabels(
        labels, fontproperties=prop, fontsize=9, rotation=30 if tilt else 0, ha="right" if tilt else "center"
    )
    ax.set_ylabel(ylabel, fontproperties=prop, fontsize=9)
    ax.set_title(title, fontproperties=prop, fontsize=11)
    top = max(values) if values and max(values) > 0 else 1
    ax.set_ylim(0, top * 1.25 + 0.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    for b, v in zip(bars, values, strict=True):
        ax.text(b.get_x() + b.get_width() / 2, b.get_height(), str(v), ha="center", va="bottom", fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    figure.tight_layout()
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=CHART_DPI)
    plt.close(figure)
    return buf.getvalue()


# GB/T 9704 公文: margins (top, right, bottom, left), 仿宋_GB2312 三号 on a 28 pt line
PAGE = {"margins_cm": [3.7, 2.6, 3.5, 2.8]}
BODY = {"east_asia": "仿宋_GB2312", "ascii": "Times New Roman", "size": "三号", "line_exact_pt": 28}
HEADINGS = {1: {"font": "黑体", "size": "三号"}, 2: {"font": "楷体_GB2312", "size": "三号"}}
TITLE_FONT = "方正小标宋简体"
CAPTION_FONT = "黑体"
CELL_SIZE = "五号"
DRAFT = "【草稿：待填写】"
UNIT_MISSING = "报告单位"


def date_text(date: dt.date | None) -> str:
    """The 成文日期 in Chinese, or blanks to write it by hand.

    >>> date_text(dt.date(2026, 12, 7)), date_text(None)
    ('2026年12月7日', '\u3000\u3000年\u3000\u3000月\u3000\u3000日')
    """
    return f"{date.year}年{date.month}月{date.day}日" if date else "\u3000\u3000年\u3000\u3000月\u3000\u3000日"


class _Writer:
    """The report's paragraphs, tables and charts, each run with its fonts declared."""

    def __init__(self):
        from ..render import ooxml

        self.ooxml = ooxml
        self.doc = ooxml.new_document(PAGE, BODY)
        for level, style in HEADINGS.items():
            ooxml.heading_style(self.doc, level, BODY, style)
        ooxml.page_numbers(self.doc.sections[0], "四号")
        self.size = ooxml.size_pt(BODY["size"])

    def para(self, text="", align="left", indent=True, font=None, size=None, style=None):
        ooxml = self.ooxml
        p = self.doc.add_paragraph(style=style)
        p.alignment = ooxml.ALIGN[align]
        ooxml.set_spacing(
            p,
            first_line_chars=2 if indent and align == "left" else None,
            font_size_pt=ooxml.size_pt(size or BODY["size"]),
        )
        if text:
            ooxml.set_run_font(p.add_run(text), font or BODY["east_asia"], BODY["ascii"], size or BODY["size"])
        return p

    def heading(self, text: str, level: int):
        """一、 (黑体) or （一） (楷体_GB2312) as Word's Heading 1/2: the navigation pane and the
        PDF's bookmarks list them."""
        style = HEADINGS[level]
        return self.para(text, font=style["font"], size=style["size"], style=f"Heading {level}")

    def caption(self, text: str, keep=True):
        p = self.para(text, "center", font=CAPTION_FONT, size="小四")
        self.ooxml.keep_with_next(p, keep)
        return p

    def table(self, header: list[str], rows: list[list[str]], first_cm: float | None = None):
        ooxml = self.ooxml
        n = len(header)
        first = first_cm or TEXT_WIDTH_CM / n
        widths = [first] + [(TEXT_WIDTH_CM - first) / (n - 1)] * (n - 1)
        t = ooxml.new_table(self.doc, 1 + len(rows), widths)
        ooxml.repeat_header(t.rows[0])
        for r, values in enumerate([header, *rows]):
            for c, v in enumerate(values):
                p = t.cell(r, c).paragraphs[0]
                p.alignment = ooxml.ALIGN["center"]
                ooxml.set_spacing(p, line_single=True, before_pt=2, after_pt=2)
                ooxml.set_run_font(p.add_run(str(v)), BODY["east_asia"], BODY["ascii"], CELL_SIZE, bold=r == 0)
                ooxml.valign_center(t.cell(r, c))
        if len(rows) < 12:  # a short table stays on one page
            for row in t.rows[:-1]:
                for cell in row.cells:
                    ooxml.keep_with_next(cell.paragraphs[0])
        self.para(indent=False)  # a line between a table and what follows
        return t

    def image(self, png: bytes, caption: str):
        from docx.shared import Cm

        ooxml = self.ooxml
        p = self.para(align="center", indent=False)
        ooxml.set_spacing(p, line_single=True)
        run = p.add_run()
        ooxml.set_run_font(run, BODY["east_asia"], BODY["ascii"], BODY["size"])
        run.add_picture(io.BytesIO(png), width=Cm(15))
        ooxml.keep_with_next(p)  # never a chart on one page and its caption on the next
        self.para(caption, "center", size=CELL_SIZE)

    def signature(self, last, unit: str | None, date: dt.date | None):
        """The 落款: the unit and the date, right-aligned two characters in, kept on the page
        of the last lines of text (never a page of 落款 alone)."""
        from docx.shared import Pt

        ooxml = self.ooxml
        if last is not None:
            ooxml.keep_with_next(last)
        for _ in range(2):  # room for the seal
            ooxml.keep_with_next(self.para(indent=False))
        signed = self.para(unit or DRAFT + UNIT_MISSING, "right", indent=False)
        ooxml.keep_with_next(signed)
        dated = self.para(date_text(date), "right", indent=False)
        for p in (signed, dated):
            p.paragraph_format.right_indent = Pt(self.size * 2)  # 右空二字


def title_of(fig: Figures) -> str:
    return f"{fig.year}年度智能工厂梯度培育情况报告"


def _unplaced_sentence(fig: Figures) -> str:
    where = "已计入表1合计、列于表2“未归入县（市、区）”一行" if fig.counties else "已计入表1合计"
    items = "；".join(f"{u.enterprise}（{u.level or '未填申报层级'}，{u.status}：{u.reason}）" for u in fig.unplaced)
    return f"另有{len(fig.unplaced)}家企业的申报未能归入县（市、区），{where}：{items}。"


def render(
    fig: Figures, text: dict[str, str], unit: str | None = None, date: dt.date | None = None
) -> tuple[bytes, bool]:
    """The report as .docx bytes, and whether it is a draft (a part the bureau left empty,
    or no unit to sign it)."""
    w = _Writer()
    draft = any(not text.get(k) for k in PROMPTS) or not unit
    title = w.para(title_of(fig), "center", font=TITLE_FONT, size="二号")
    w.ooxml.set_spacing(title, line_exact_pt=40)
    sub = w.para(f"（{fig.region}）", "center", font="楷体_GB2312")
    w.ooxml.set_spacing(sub, after_pt=14)
    w.heading("一、整体情况", 1)
    w.heading("（一）智能工厂梯度培育进展", 2)
    lv = fig.by_level
    sentence = "；".join(f"{k}申报{a}家、推荐{b}家、认定{c}家" for k, (a, b, c) in lv.items())
    w.para(f"{fig.year}年度，{fig.region}{sentence}。")
    if fig.unplaced:
        w.para(_unplaced_sentence(fig))
    w.caption("表1  各层级智能工厂申报、推荐、认定情况（家）")
    w.table(
        ["层级", "申报", "推荐", "认定"],
        [[k, *map(str, v)] for k, v in lv.items()]
        + [["合计", *(str(sum(v[i] for v in lv.values())) for i in range(3))]],
    )
    n_fig = 0
    if fig.counties:
        w.caption("表2  分县（市、区）智能工厂申报、推荐、认定情况（家）")
        w.ooxml.keep_with_next(w.para("（各层级均为 申报/推荐/认定 家数）", "center", size=CELL_SIZE))
        lines = [(c, fig.by_county[c]) for c in fig.counties]
        if fig.unplaced:
            lines.append(("未归入县（市、区）", fig.by_unplaced))
        lines.append(("合计", lv))
        w.table(
            ["县（市、区）", *LEVELS],
            [[c, *("/".join(map(str, t[k])) for k in LEVELS)] for c, t in lines],
            first_cm=4.6,
        )
        n_fig += 1
        bars = lines[:-1]
        w.image(
            bar_chart(
                "分县（市、区）智能工厂申报数量",
                [c if c in fig.counties else "未归入" for c, _ in bars],
                [sum(v[0] for v in t.values()) for _, t in bars],
            ),
            f"图{n_fig}  分县（市、区）智能工厂申报数量",
        )
    n_fig += 1
    w.image(
        bar_chart("各层级智能工厂申报数量", list(LEVELS), [lv[k][0] for k in LEVELS]),
        f"图{n_fig}  各层级智能工厂申报数量",
    )
    w.heading("（二）智能制造能力成熟度自评估情况", 2)
    if fig.assessed:
        dist = "、".join(f"{LEVEL_ZH[k]}{v}家" for k, v in fig.distribution.items())
        w.para(
            f"{fig.region}共有{fig.assessed}家制造企业参加智能制造能力成熟度自评估，其中规模以上企业"
            f"{fig.assessed_above_scale}家，占规模以上工业企业总数{fig.above_scale_total}家的{fig.coverage}%"
            f"（自评估覆盖度）。成熟度等级分布：{dist}。",
        )
    else:
        w.para(f"{fig.region}本年度登记库中没有制造企业的智能制造能力成熟度自评估记录。")
    w.para(
        f"智能工厂普及率为{fig.penetration}%：达到成熟度二级及以上的规模以上企业{fig.level2_above_scale}家"
        f" ÷ 规模以上工业企业总数{fig.above_scale_total}家。",
    )
    tab = 3 if fig.counties else 2
    w.caption(f"表{tab}  智能制造能力成熟度自评估情况")
    w.table(
        ["项目", "数值"],
        [
            ["参加自评估的制造企业（家）", str(fig.assessed)],
            ["其中：规模以上企业（家）", str(fig.assessed_above_scale)],
            ["规模以上工业企业总数（家）", str(fig.above_scale_total)],
            ["规上企业自评估覆盖度", f"{fig.coverage}%"],
            *[[f"成熟度{LEVEL_ZH[k]}（家）", str(v)] for k, v in fig.distribution.items()],
            ["达到二级及以上的规上企业（家）", str(fig.level2_above_scale)],
            ["智能工厂普及率", f"{fig.penetration}%"],
        ],
        first_cm=9.0,
    )
    n_fig += 1
    w.image(
        bar_chart(
            "智能制造能力成熟度等级分布", [LEVEL_ZH[k] for k in CMMM_LEVELS], [fig.distribution[k] for k in CMMM_LEVELS]
        ),
        f"图{n_fig}  智能制造能力成熟度等级分布",
    )
    last = None
    for key, (heading, prompt) in PROMPTS.items():
        w.heading(heading, 1)
        body = text.get(key)
        lines = [line.strip() for line in body.splitlines() if line.strip()] if body else [DRAFT + prompt]
        for line in lines:
            last = w.para(line)
    w.signature(last, unit, date)
    if draft:
        w.ooxml.mark_draft(w.doc, "草稿")  # a red line above the title, and in every page's header
    return w.ooxml.finish(w.doc, f"{title_of(fig)}（{fig.region}）", unit or ""), draft


def file_name(fig: Figures) -> str:
    return f"{fig.region}_{fig.year}年度智能工厂梯度培育情况报告.docx"
