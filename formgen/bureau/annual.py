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

import io
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
TEXT_KEYS = {"measures": ("推进举措", "measures"), "next_steps": ("下一步工作考虑", "next_steps")}
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
CHART_DPI = 300
TEXT_WIDTH_CM = 15.4  # A4 less 2.8 cm margins


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

    @property
    def coverage(self) -> Decimal:
        return percent(self.assessed_above_scale, self.above_scale_total)

    @property
    def penetration(self) -> Decimal:
        return percent(self.level2_above_scale, self.above_scale_total)


def percent(num: int, den: int) -> Decimal:
    return (Decimal(100) * num / den).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def counties_of(province: str, region: str) -> list[str]:
    from ..rules.region import _divisions

    return list(_divisions(province).get(region, []))


def _all_divisions(province: str) -> dict[str, list[str]]:
    from ..rules.region import _divisions

    return _divisions(province)


def compute(reg: Registry, region: str, year: int, above_scale_total: int, province: str = "甘肃省") -> Figures:
    if above_scale_total < 1:
        raise AnnualError("规模以上工业企业总数须为正整数")
    counties = counties_of(province, region)
    if not counties and not any(region in ds for ds in _all_divisions(province).values()):
        raise AnnualError(f"“{region}”不是{province}的市（州）或县（市、区）")
    rows = [r for r in reg.list(round_=str(year)) if region in (r.city, r.district)]
    if counties and region not in counties:
        # a city: every county shown, those with nothing as 0; rows elsewhere in the city by name
        extra = sorted({r.district for r in rows if r.district and r.district not in counties})
        counties = counties + extra + (["未填区县"] if any(not r.district for r in rows) else [])
    else:
        counties = []
    fig = Figures(region, year, above_scale_total, counties)

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
        fig.by_county[c] = tally([r for r in rows if (r.district or "未填区县") == c])
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
    """The bureau's parts 二/三: a YAML mapping (推进举措 / 下一步工作考虑), or a plain text file
    whose lines are part 二 up to a line ``三、下一步工作考虑``."""
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
            raise AnnualError(f"{path}：不认识的项“{unknown[0]}”，应为 推进举措、下一步工作考虑")
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


def _set_font(run, size=None, bold=False, font="仿宋_GB2312"):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def _para(doc, text, size=14, bold=False, center=False, font="仿宋_GB2312", indent=True):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    _set_font(p.add_run(text), size, bold, font)
    return p


def _table(doc, header: list[str], rows: list[list[str]], first_cm: float | None = None):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    t = doc.add_table(rows=1 + len(rows), cols=len(header))
    t.style = "Table Grid"
    t.autofit = False
    widths = None
    if first_cm:
        rest = (TEXT_WIDTH_CM - first_cm) / (len(header) - 1)
        widths = [first_cm] + [rest] * (len(header) - 1)
        for col, w in zip(t.columns, widths, strict=True):
            col.width = Cm(w)  # the grid, which LibreOffice follows
    for r, values in enumerate([header, *rows]):
        for c, v in enumerate(values):
            cell = t.cell(r, c)
            if widths:
                cell.width = Cm(widths[c])
            cell.text = ""
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_font(p.add_run(str(v)), 10.5, bold=r == 0)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)  # a line between a table and what follows
    return t


def _image(doc, png: bytes, caption: str):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc.add_picture(io.BytesIO(png), width=Cm(15))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, caption, 10.5, center=True)


def render(fig: Figures, text: dict[str, str]) -> tuple[bytes, bool]:
    """The report as .docx bytes, and whether it is a draft (a part the bureau left empty)."""
    import docx
    from docx.shared import Cm

    doc = docx.Document()
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    sec.top_margin = sec.bottom_margin = Cm(2.54)
    sec.left_margin = sec.right_margin = Cm(2.8)
    draft = any(not text.get(k) for k in PROMPTS)
    if draft:
        _para(doc, "草稿", 12, bold=True, indent=False, font="黑体")
    _para(doc, f"{fig.year}年度智能工厂梯度培育情况报告", 22, center=True, font="方正小标宋简体")
    _para(doc, f"（{fig.region}）", 16, center=True)
    _para(doc, "一、整体情况", 16, font="黑体")
    _para(doc, "（一）智能工厂梯度培育进展", 14, bold=True, font="楷体_GB2312")
    lv = fig.by_level
    sentence = "；".join(f"{k}申报{a}家、推荐{b}家、认定{c}家" for k, (a, b, c) in lv.items())
    _para(doc, f"{fig.year}年度，{fig.region}{sentence}。")
    _para(doc, "表1  各层级智能工厂申报、推荐、认定情况（家）", 12, center=True, font="黑体")
    _table(
        doc,
        ["层级", "申报", "推荐", "认定"],
        [[k, *map(str, v)] for k, v in lv.items()]
        + [["合计", *(str(sum(v[i] for v in lv.values())) for i in range(3))]],
    )
    n_fig = 0
    if fig.counties:
        _para(doc, "表2  分县（市、区）智能工厂申报、推荐、认定情况（家）", 12, center=True, font="黑体")
        _para(doc, "（各层级均为 申报/推荐/认定 家数）", 10.5, center=True)
        header = ["县（市、区）", *LEVELS]
        rows = [[c, *("/".join(map(str, fig.by_county[c][k])) for k in LEVELS)] for c in fig.counties]
        _table(doc, header, rows, first_cm=4.6)
        n_fig += 1
        _image(
            doc,
            bar_chart(
                "分县（市、区）智能工厂申报数量",
                fig.counties,
                [sum(v[0] for v in fig.by_county[c].values()) for c in fig.counties],
            ),
            f"图{n_fig}  分县（市、区）智能工厂申报数量",
        )
    n_fig += 1
    _image(
        doc,
        bar_chart("各层级智能工厂申报数量", list(LEVELS), [lv[k][0] for k in LEVELS]),
        f"图{n_fig}  各层级智能工厂申报数量",
    )
    _para(doc, "（二）智能制造能力成熟度自评估情况", 14, bold=True, font="楷体_GB2312")
    if fig.assessed:
        dist = "、".join(f"{LEVEL_ZH[k]}{v}家" for k, v in fig.distribution.items())
        _para(
            doc,
            f"{fig.region}共有{fig.assessed}家制造企业参加智能制造能力成熟度自评估，其中规模以上企业"
            f"{fig.assessed_above_scale}家，占规模以上工业企业总数{fig.above_scale_total}家的{fig.coverage}%"
            f"（自评估覆盖度）。成熟度等级分布：{dist}。",
        )
    else:
        _para(doc, f"{fig.region}本年度登记库中没有制造企业的智能制造能力成熟度自评估记录。")
    _para(
        doc,
        f"智能工厂普及率为{fig.penetration}%：达到成熟度二级及以上的规模以上企业{fig.level2_above_scale}家"
        f" ÷ 规模以上工业企业总数{fig.above_scale_total}家。",
    )
    tab = 3 if fig.counties else 2
    _para(doc, f"表{tab}  智能制造能力成熟度自评估情况", 12, center=True, font="黑体")
    _table(
        doc,
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
    )
    n_fig += 1
    _image(
        doc,
        bar_chart(
            "智能制造能力成熟度等级分布", [LEVEL_ZH[k] for k in CMMM_LEVELS], [fig.distribution[k] for k in CMMM_LEVELS]
        ),
        f"图{n_fig}  智能制造能力成熟度等级分布",
    )
    for key, (heading, prompt) in PROMPTS.items():
        _para(doc, heading, 16, font="黑体")
        body = text.get(key)
        if body:
            for line in body.splitlines():
                if line.strip():
                    _para(doc, line.strip())
        else:
            _para(doc, f"【草稿：待填写】{prompt}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue(), draft


def file_name(fig: Figures) -> str:
    return f"{fig.region}_{fig.year}年度智能工厂梯度培育情况报告.docx"
