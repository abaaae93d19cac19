"""The canonical record: one enterprise and one factory application.

It holds the union of what every pack needs. Every field is optional at load time so
that a half-written record still loads; which fields a document requires is decided
by the pack (its layouts mark the optional ones) and reported as findings.

Each field's ``title`` is its usual Chinese label and its ``description`` says which
forms use it and what limits apply: ``formgen init`` writes both as YAML comments.
"""

from __future__ import annotations

import contextvars
import stat
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from .levels import LEVELS
from .types import (
    Amount,
    Bool,
    Count,
    Date,
    Grade,
    Headcount,
    Int,
    Percent,
    Score,
    Text,
    Year,
    YearMonth,
    YuanPerPersonDay,
    _text,
    read_level,
    read_score,
)
from .unitkinds import UnitKind, read_unit_kind

Nature = Literal["中央企业", "地方国企", "民营企业", "三资企业"]
Size = Literal["大型", "中型", "小型", "微型"]
Sector = Literal["原材料", "电子信息", "装备制造", "消费品"]
Level = Literal[LEVELS]
Mode = Literal["离散型智能制造", "流程型智能制造", "网络协同制造", "大规模个性化定制", "远程运维服务"]
EquipmentKind = Literal[
    "高档数控机床与工业机器人",
    "增材制造装备",
    "智能传感与控制装备",
    "智能检测与装配装备",
    "智能物流与仓储装备",
    "行业成套装备",
]
SoftwareKind = Literal["研发设计类", "生产制造类", "经营管理类", "控制执行类", "行业专用类", "新型软件"]
Attribute = Literal["省属", "中央在甘", "其他"]
# 江苏 附件3 表2: the level chosen for a question (1-6), or 不涉及此环节 where offered.
DxLevel = Literal["1", "2", "3", "4", "5", "6", "不涉及"]
Designation = Literal["创新型中小企业", "省级专精特新中小企业", "国家专精特新“小巨人”企业"]

DxScore = Annotated[Decimal, BeforeValidator(read_score), Field(ge=0, le=100)]

# ``--allow-outside``: figures and reports may be taken from outside the record's folder.
ALLOW_OUTSIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("allow_outside", default=False)


class UserFileError(ValueError):
    """A file the user gave cannot be read as what it should be (one line, Chinese)."""


TEXT_LIMIT = 5 * 1024 * 1024  # a text file the user gives (an order list, a text to count)


def read_user_text(path: Path, what: str = "文件", limit: int = TEXT_LIMIT) -> str:
    """Text of a small file the user gave (an order list, a text to count): a regular
    file of at most ``limit`` bytes, decoded by :func:`decode_user_text`."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as e:
        raise UserFileError(f"{path}：无法读取{what}（{e.strerror}）") from e
    if not stat.S_ISREG(st.st_mode):
        raise UserFileError(f"{path}：{what}不是普通文件")
    if st.st_size > limit:
        raise UserFileError(f"{path}：{what}超过 {limit // 1048576} MB 的上限")
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError as e:
        raise UserFileError(f"{path}：无法读取{what}（{e.strerror}）") from e
    return decode_user_text(raw, str(path), what, limit)


def decode_user_text(raw: bytes, where: str, what: str = "文件", limit: int = TEXT_LIMIT) -> str:
    """``raw`` as text: UTF-8 (with or without BOM) or GB18030/GBK, which Notepad on
    Chinese Windows writes by default; at most ``limit`` bytes, no control characters."""
    if len(raw) > limit:
        raise UserFileError(f"{where}：{what}超过 {limit // 1048576} MB 的上限")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        bad = [c for c in text if ord(c) < 32 and c not in "\t\r\n"]
        if bad:
            raise UserFileError(f"{where}：{what}含有不允许的控制字符 U+{ord(bad[0]):04X}")
        return text
    raise UserFileError(f"{where}：{what}既不是 UTF-8 也不是 GBK 编码的文本，请另存为 UTF-8")


def record_file(base_dir: Path, name: str, allow_outside: bool | None = None) -> tuple[Path | None, str]:
    """A file the record names (a figure, a report), relative to the record's folder.

    Returns (resolved path, "") or (None, the problem in Chinese). The file must be a
    non-empty regular file inside ``base_dir`` (symlinks resolved first), unless
    ``allow_outside``: a record from someone else must not pull arbitrary files of this
    machine into a document.
    """
    name = (name or "").strip()
    if not name:
        return None, "未填写文件名"
    root = Path(base_dir).resolve()
    try:
        path = (root / name).resolve()
    except (OSError, RuntimeError) as e:  # a symlink loop
        return None, f"路径无法解析（{e.__class__.__name__}）"
    if allow_outside is None:
        allow_outside = ALLOW_OUTSIDE.get()
    if not allow_outside and not path.is_relative_to(root):
        return None, "文件须位于记录所在的文件夹内（含子文件夹）；请复制过来，或确需引用别处时加 --allow-outside"
    try:
        st = path.stat()
    except OSError:
        return None, "文件不存在"
    if not stat.S_ISREG(st.st_mode):
        return None, "不是普通文件"
    if st.st_size == 0:
        return None, "文件为空"
    return path, ""


def F(title: str, description: str = "", **kw):
    """A field that may be left empty, with its Chinese label and note."""
    return Field(None, title=title, description=description or None, **kw)


def L(title: str, description: str = "", **kw):
    """A list field, empty by default."""
    return Field(default_factory=list, title=title, description=description or None, **kw)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Person(Model):
    name: Text | None = F("姓名")
    title: Text | None = F("职务", "职务或职称，如 总经理、高级工程师")
    mobile: Text | None = F("手机", "11位大陆手机号，如 13812345678")
    phone: Text | None = F("电话", "座机带区号（0311-87800803）或手机号")
    email: Text | None = F("邮箱")
    fax: Text | None = F("传真", "带区号，如 021-12345678")


class Region(Model):
    province: Text | None = F("省", "如 上海市、甘肃省")
    city: Text | None = F("市（州）", "直辖市不填")
    district: Text | None = F("区/县", "行政区或县（市、区），如 浦东新区、秦州区")


class Industry(Model):
    gbt4754: Text | None = F(
        "国民经济行业代码",
        "GB/T 4754-2017 国民经济行业分类的代码；表格中的门类、大类、中类、小类由此推出",
    )
    shanghai: Text | None = F(
        "所属行业（上海）", "上海附件3/5：电子信息、汽车、高端装备、生命健康、先进材料、时尚消费品 六选一"
    )
    sector: Sector | None = F("所属行业（甘肃附件1）", "原材料、电子信息、装备制造、消费品 四选一")
    segment: Text | None = F("细分行业", "甘肃附件6 细分行业")


class YearFinancials(Model):
    year: Year | None = F("年度", "如 2024；近三年须连续")
    total_assets: Amount | None = F("资产总额（万元）")
    total_liabilities: Amount | None = F("总负债（万元）")
    debt_ratio: Percent | None = F("资产负债率（%）", "须等于 总负债/资产总额")
    revenue: Amount | None = F("主营业务收入（万元）")
    profit: Amount | None = F("利润（万元）")
    profit_margin: Percent | None = F("利润率（%）", "须等于 利润/主营业务收入")
    tax: Amount | None = F("税金（万元）")


AccidentSeverity = Literal["一般", "较大", "重大", "特别重大"]


class Accident(Model):
    occurred: Bool | None = F("近三年是否发生过重大安全生产事故、重大环境事故", "甘肃附件2")
    name: Text | None = F("事故名称", "发生过事故时必填")
    severity: AccidentSeverity | None = F(
        "事故等级",
        "一般、较大、重大、特别重大 四选一（按事故认定）；要素条件要求近三年无较大及以上安全、环保等事故",
    )


class Enterprise(Model):
    name: Text | None = F("企业名称", "全称，与营业执照一致；所有表格使用")
    credit_code: Text | None = F("统一社会信用代码", "18位，GB 32100-2015 校验位")
    org_code: Text | None = F("组织机构代码", "9位，GB 11714 校验位（甘肃附件3/4）")
    founded: Date | None = F("成立时间", "YYYY-MM-DD")
    nature: Nature | None = F("企业性质", "中央企业、地方国企、民营企业、三资企业 四选一")
    size: Size | None = F("企业类型", "大型、中型、小型、微型；须与从业人数和营业收入相符")
    employees: Headcount | None = F("从业人员（人）", "用于核对企业类型")
    revenue: Amount | None = F("营业收入（万元）", "上年度，用于核对企业类型")
    group: Text | None = F("所属集团", "上海附件3 第5项（如有）")
    address: Text | None = F("详细地址", "企业注册或经营地址")
    region: Region = Field(default_factory=Region, title="所属区域")
    industry: Industry = Field(default_factory=Industry, title="所属行业")
    credit_rating: Text | None = F("信用等级", "甘肃附件2/3")
    intro: Text | None = F("企业简介", "甘肃附件2 不超过500字；附件3 限400字；附件4 400字左右")
    intro_short: Text | None = F("企业简介（100字以内）", "甘肃附件6")
    products: Text | None = F("主要产品及产能", "甘肃附件6")
    honors: Text | None = F("所获荣誉", "上海附件3 第8项")
    accident: Accident = Field(default_factory=Accident, title="重大事故情况")
    designation: Designation | None = F(
        "企业认定（江苏）",
        "江苏附件2 基础要求1：创新型中小企业、省级专精特新中小企业、国家专精特新“小巨人”企业 可参照规模以上工业企业执行",
    )
    attribute: Attribute | None = F("企业属性", "甘肃附件7：省属、中央在甘、其他 三选一")
    financials: list[YearFinancials] = L("近三年主要经济指标", "按年度由远及近列出三年")


class People(Model):
    legal_rep: Person = Field(default_factory=Person, title="法定代表人")
    head: Person = Field(default_factory=Person, title="企业负责人")
    contact: Person = Field(default_factory=Person, title="企业联系人")
    filler: Person = Field(default_factory=Person, title="企业填表人")


# GB/T 39116-2020: the levels' names, and the score band of each (0.8<=S<1.8 一级 … 4.8<=S<=5 五级)
CMMM_LEVEL_ZH = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}
CMMM_BANDS = ((Decimal("0.8"), 1), (Decimal("1.8"), 2), (Decimal("2.8"), 3), (Decimal("3.8"), 4), (Decimal("4.8"), 5))


def cmmm_level_for(score: Decimal) -> int | None:
    """The level a CMMM score stands for; None below 0.8.

    >>> [cmmm_level_for(Decimal(x)) for x in ("0.79", "0.8", "1.79", "4.8", "5")]
    [None, 1, 1, 5, 5]
    """
    level = None
    for low, lv in CMMM_BANDS:
        if score >= low:
            level = lv
    return level


class CMMM(Model):
    score: Score | None = F("智能制造能力成熟度评估分数", "GB/T 39116-2020 自评估得分，0-5")
    level: Grade | None = F(
        "成熟度等级（自评估）", "1-5级，须与分数相符：0.8-1.8一级…4.8-5五级；上海只受理L3-L5", ge=1, le=5
    )
    certified_level: Grade | None = F("CMMM等级认证", "已取得认证的等级，1-5；无认证不填", ge=1, le=5)
    report: Text | None = F("自评估报告文件", "上海申报书第五部分：L3级及以上自评估报告（不计入字数）")
    submitted: Date | None = F("自评估提交时间", "甘肃附件1 提交时间，YYYY-MM-DD")


class LinePrompts(Model):
    """Answers to the "请简要说明" prompts of Gansu 附件3's 代表产线 block."""

    equipment_monitoring: Text | None = F("生产设备运行状态实时监控、故障自动报警和诊断分析的情况")
    auto_repair: Text | None = F("关键设备自动调试修复的情况")
    plan_generation: Text | None = F("基础级智能工厂作业计划生成情况")
    material_data: Text | None = F("生产制造过程中物料投放、产品产出数据采集、传送情况")
    plan_adjustment: Text | None = F("生产制造过程根据产品生产计划实时调整的情况")
    auto_identification: Text | None = F("生产过程采用自动识别技术设施的情况")
    logistics: Text | None = F("车间物流自动挑选、实时配送和自动输送情况")
    quality_inspection: Text | None = F("产品质量在线自动检测、报警情况")
    quality_diagnosis: Text | None = F("产品质量自动诊断分析和处理情况")
    product_records: Text | None = F("采用智能化技术设备实时记录产品信息的情况")
    batch_management: Text | None = F("产品采用批号/批次/序列号管理的情况")


class LineFacts(Model):
    """Gansu 附件3 代表产线有关信息."""

    name: Text | None = F("产线名称")
    investment: Amount | None = F("智能化改造完成投资（万元）")
    start: YearMonth | None = F("建设开始时间", "YYYY-MM")
    end: YearMonth | None = F("建设完成时间", "YYYY-MM")
    products: Text | None = F("生产产品及产量")
    output: Amount | None = F("上年度产出（万元）")
    equipment_total: Count | None = F("全部设备台套（产线）数")
    robots: Count | None = F("其中工业机器人数量")
    overview: Text | None = F("总体描述", "不超过500字")
    automated: Count | None = F("自动化、智能化设备台套（产线）数")
    automated_share: Percent | None = F("自动化、智能化设备占全部设备比重（%）", "须与台套数相符")
    networked: Count | None = F("自动化、智能化设备联网数")
    networked_share: Percent | None = F("自动化、智能化设备联网数占比（%）", "须与联网数相符")
    prompts: LinePrompts = Field(default_factory=LinePrompts, title="请简要说明")


class Benefits(Model):
    """Gansu 附件3 产线建设前后经济社会效益情况."""

    summary: Text | None = F("建设前后经济、社会效益情况总体描述")
    sales_before: Amount | None = F("建设完成前的企业年销售（万元）")
    sales_after: Amount | None = F("建设完成后的企业年销售（万元）")
    profit_before: Amount | None = F("建设完成前的企业年利润（万元）")
    profit_after: Amount | None = F("建设完成后的企业年利润（万元）")
    tax_before: Amount | None = F("建设完成前的企业年税金（万元）")
    tax_after: Amount | None = F("建设完成后的企业年税金（万元）")
    staff_before: Count | None = F("建设完成前产线/车间人数")
    staff_after: Count | None = F("建设完成后产线/车间人数")
    output_per_person_before: YuanPerPersonDay | None = F("建设完成前每人每天产出水平（元/人/天）")
    output_per_person_after: YuanPerPersonDay | None = F("建设完成后每人每天产出水平（元/人/天）")
    pass_rate_before: Percent | None = F("建设完成前产品合格率（%）")
    pass_rate_after: Percent | None = F("建设完成后产品合格率（%）")
    good_rate_before: Percent | None = F("建设完成前优良品率（%）")
    good_rate_after: Percent | None = F("建设完成后优良品率（%）")


class Factory(Model):
    name: Text | None = F("工厂名称", "以“智能工厂”结尾，不能以车间、项目结尾；不超过14个汉字，英文字符每3个计1个")
    level: Level | None = F("申报层级", "、".join(LEVELS))

    _level = field_validator("level", mode="before")(staticmethod(read_level))
    address: Text | None = F("工厂地址", "上海附件3：行政区、街镇、路、门牌号")
    region: Region = Field(default_factory=Region, title="工厂所属区域")
    project_name: Text | None = F("项目名称", "卓越级：卓越级智能工厂项目名称；甘肃附件4 项目名称")
    project_address: Text | None = F("项目地址")
    start: YearMonth | None = F("建设开始时间", "YYYY-MM")
    end: YearMonth | None = F("建设完成时间", "YYYY-MM")
    investment: Amount | None = F("项目总投资（万元）")
    integrators: list[Text] = L("系统集成商")
    summary: Text | None = F("项目简述", "对项目的智能化特征进行简要描述，400字左右（甘肃附件4）")
    modes: list[Mode] = L(
        "智能制造模式", "甘肃附件4/5：离散型智能制造、流程型智能制造、网络协同制造、大规模个性化定制、远程运维服务"
    )
    production_mode: Literal["离散型", "流程型"] | None = F("生产模式", "甘肃附件6")
    remarks: Text | None = F("其他说明事项", "上海附件3 末行，选填")
    excellent_scenarios: list[Text] = L(
        "申报优秀场景",
        "甘肃附件2：申报为智能制造优秀场景的场景名称（每个生成一份附件2，含该场景的全部实例）",
    )
    summary_short: Text | None = F("申报项目简介（100字以内）", "甘肃附件6")
    network: Text | None = F("网络系统及子系统建设及使用情况", "甘肃附件6")
    cnc_robots: Text | None = F("数控设备及机器人数量及使用情况", "甘肃附件6")
    it_investment: Amount | None = F("近三年软硬件投资（万元）", "甘肃附件6")
    secure_equipment: Text | None = F("安全可控的核心智能制造装备（含软件及网络设备）应用情况", "甘肃附件6")
    domestic_equipment: Text | None = F("国产化智能制造装备（含软件及网络设备）应用情况", "甘肃附件6")
    cmmm: CMMM = Field(default_factory=CMMM, title="智能制造能力成熟度")
    line: LineFacts = Field(default_factory=LineFacts, title="代表产线有关信息")
    benefits: Benefits = Field(default_factory=Benefits, title="建设前后效益")


class Narrative(Model):
    """Long texts. Shanghai 附件4 parts 一-四; the Gansu parts are added by their pack."""

    development: Text | None = F("发展历程、行业属性、行业地位", "上海申报书 第一部分 1")
    business: Text | None = F("品牌品质、专业资质、生产经营、财务状况", "上海申报书 第一部分 2（必填项）")
    build_history: Text | None = F("智能工厂建设历程", "上海申报书 第二部分 1")
    architecture: Text | None = F("智能工厂整体架构", "上海申报书 第二部分 2（必填项）")
    elements: Text | None = F("智能工厂建设要素（人员、资源、技术、制造）", "上海申报书 第二部分 3")
    tech_innovation: Text | None = F("技术创新等", "上海申报书 第三部分 1")
    new_tech: Text | None = F("新技术应用等（如AI+、5G+、工业互联网+、IoT+等）", "上海申报书 第三部分 2")
    supply_chain: Text | None = F("智慧供应链建设等", "上海申报书 第三部分 3")
    green: Text | None = F("绿色、低碳、安全、环保、节能等方面", "上海申报书 第四部分 1")
    efficiency: Text | None = F("生产效率、运营成本、综合能效等方面", "上海申报书 第四部分 2")
    leadership: Text | None = F("行业的引领性及产业链带动性等方面", "上海申报书 第四部分 3")
    # Gansu 附件3 基础级智能工厂申报书, parts 一 to 三
    company_overview: Text | None = F(
        "申报单位概况", "甘肃附件3 一（一）：成立时间、发展历程、资本性质、组织结构、财务状况、经营情况等"
    )
    tech_level: Text | None = F(
        "技术水平", "甘肃附件3 一（二）：研发队伍、科研成果、知识产权、提供技术支持和服务的能力和条件等"
    )
    industry_advantage: Text | None = F("行业优势", "甘肃附件3 一（三）")
    line_purpose: Text | None = F("建设代表产线目的和意义", "甘肃附件3 二（一）")
    line_goals: Text | None = F("建设代表产线目标和任务", "甘肃附件3 二（二）")
    line_comparison: Text | None = F("当前国内外同行业代表产线对比情况", "甘肃附件3 二（三）")
    line_benefits: Text | None = F("代表产线智能化改造实施前后效益对比情况", "甘肃附件3 二（四）")
    line_demonstration: Text | None = F("代表产线对引领行业转型升级的示范点", "甘肃附件3 二（五）")
    line_equipment: Text | None = F("智能装备应用情况", "甘肃附件3 三（一）")
    line_network: Text | None = F("设备联网情况", "甘肃附件3 三（二）")
    line_scheduling: Text | None = F("生产过程实时调度情况", "甘肃附件3 三（三）")
    line_logistics: Text | None = F("物料配送自动化情况", "甘肃附件3 三（四）")
    line_traceability: Text | None = F("产品信息可追溯情况", "甘肃附件3 三（五）")
    # Gansu 附件4 先进级智能工厂申报书, parts 二 to 四
    project_overview: Text | None = F("项目概述", "甘肃附件4 二（一）")
    advancement: Text | None = F(
        "项目实施的先进性", "甘肃附件4 二（二）：与项目实施前的效果比较，与国内外先进水平的比较，目标产品市场前景分析"
    )
    mode_items: dict[str, dict[int, Text | None]] = Field(
        default_factory=dict,
        title="项目实施现状（按智能制造模式）",
        description="甘肃附件4 三：所选每个模式下，附件5 每一项的内容；键为模式名和项目序号，如 离散型智能制造: {1: …, 2: …}",
    )
    demonstration: Text | None = F("示范作用", "甘肃附件4 四：对典型行业和区域内开展同类业务的可复制性和示范价值")
    # 卓越级 申报材料清单 (Hebei 附件3, Gansu 附件12)
    key_stages: Text | None = F("重点环节建设情况", "卓越级申报材料清单（甘肃附件12）第3项")
    integration: Text | None = F("系统集成情况", "卓越级申报材料清单第3项")
    results: Text | None = F("实施成效", "卓越级申报材料清单第4项")
    # Gansu 附件2 智能制造优秀场景申报书, part 三
    improvement_plan: Text | None = F("提升计划", "甘肃附件2 三（一）")
    promotion_plan: Text | None = F("推广应用计划", "甘肃附件2 三（二）")
    sections: dict[str, Text] = Field(
        default_factory=dict,
        title="其他章节",
        description="其他省份申报书的章节正文，键为该省表格定义的章节编号（见各省 pack 的说明）",
    )


class Supply(Model):
    """One row of Gansu 附表2 for equipment or software."""

    kind: Text | None = F("种类", "装备：附表2 六种之一；软件：六种之一")
    name: Text | None = F("名称")
    spec: Text | None = F("规格/型号")
    supplier: Text | None = F("供应商")
    note: Text | None = F("备注")


class Practice(Model):
    """One process (工艺) or technology (技术) of Gansu 附表2."""

    name: Text | None = F("名称")
    description: Text | None = F("应用描述")


class Scenario(Model):
    stage: Text | None = F("环节名称", "须为所用版本《智能制造典型场景参考指引》中的环节")
    name: Text | None = F("场景名称", "须为所用版本指引中的场景名称（上海用2025年版）")
    instance: Text | None = F("场景实例名称", "卓越级汇总表写作 环节名—场景名—实例名")
    ai: Bool | None = F("是否应用人工智能技术", "用于计算应用人工智能技术场景比例")
    start: YearMonth | None = F("应用建设起止日期（起）", "YYYY-MM")
    end: YearMonth | None = F("应用建设起止日期（止）", "YYYY-MM")
    investment: Amount | None = F("应用建设投资（万元）")
    suppliers: list[Text] = L("系统解决方案供应商", "可填多个；企业自建填“自建”")
    contact: Text | None = F("联系人")
    phone: Text | None = F("联系电话")
    description: Text | None = F("应用描述", "甘肃附表1，300字以内；亦用作典型场景描述（不超过300字）")
    pain_points: Text | None = F("解决的痛点问题描述", "300字以内")
    solution: Text | None = F("采用的技术方案（包括供应商）", "300字以内")
    enablers: Text | None = F("保障要素", "如人、管理机制、组织标准、培训等，200字以内，选填")
    results: Text | None = F("已实施成效", "最好通过量化指标描述，300字以内")
    other: Text | None = F("其他", "如对于其他车间、工厂的带动效应等，300字以内，选填")
    economics: Text | None = F("经济性和可推广性")
    remarks: Text | None = F("备注")
    level: Level | None = F(
        "场景自评价等级（江苏）",
        f"江苏典型场景自评价参考：企业达到的场景描述等级，{'、'.join(LEVELS)}；表中为“/”的等级不可选",
    )
    _level = field_validator("level", mode="before")(staticmethod(read_level))
    equipment: list[Supply] = L("关键装备")
    software: list[Supply] = L("关键软件")
    processes: list[Practice] = L("工艺")
    technologies: list[Practice] = L("技术")


class Figure(Model):
    file: Text | None = F("图片文件", "相对记录文件的路径；上海：不低于5M、像素不低于800万")
    caption: Text | None = F("说明文字", "图题，生成时自动编号“图1 …”")
    part: Int | None = F("所属部分", "插入申报书第几部分（1-4），默认第二部分", ge=1, le=4)


class Attachment(Model):
    kind: Text | None = F("附件类别", "如 企业法人营业执照、企业财务报表、专利著作权证书、标准、影像资料、其他证明材料")
    file: Text | None = F("文件", "相对记录文件的路径")
    note: Text | None = F("说明")


class Project(Model):
    """Gansu 附件7 基础级智能工厂在建项目 (one per row)."""

    name: Text | None = F("项目名称", "必须与可研报告、项目备案文件的名称保持一致")
    content: Text | None = F("主要建设内容", "重点介绍设备和技术投入资金、规模等情况")
    place: Text | None = F("项目建设地", "**市**县")
    period_start: YearMonth | None = F("项目建设期（起）", "YYYY-MM")
    period_end: YearMonth | None = F("项目建设期（止）", "YYYY-MM")
    direction: Text | None = F("申报方向", "如“石油化工产业链”“智改数转网联”“智能化”")
    total: Amount | None = F("总投资")
    fixed_assets: Amount | None = F("固定资产投资")
    equipment: Amount | None = F("其中：设备投资")
    working_capital: Amount | None = F("铺底流动资金")
    bank_loan: Amount | None = F("银行贷款")
    self_raised: Amount | None = F("自筹")
    other_funds: Amount | None = F("其他")
    completed: Text | None = F("截至2025年8月完成投资额及形象进度描述")
    plan_2025: Amount | None = F("2025年9月-12月计划投资")
    plan_2026: Amount | None = F("2026年计划投资")
    new_output: Amount | None = F("新增产值")
    new_sales: Amount | None = F("新增销售收入")
    new_profit: Amount | None = F("新增利润")
    filing_no: Text | None = F("备案（核准）文号")
    eia_no: Text | None = F("环评批复文号")
    eco_benefit: Text | None = F("预计生态效益/乡村振兴工作成效", "乡村振兴项目填写")
    in_park: Bool | None = F("项目是否在园区")


class DxAnswer(Model):
    level: Annotated[DxLevel, BeforeValidator(_text)] | None = F(
        "等级", "1-6 之一（题目中的等级序号）；第1、5、6题可填“不涉及”"
    )
    score: DxScore | None = F("自主打分", "0-100，须在表3该等级的打分分段内；等级1只能为0")


class DxSelfEvaluation(Model):
    """江苏 附件3 表2 江苏省企业数字化转型自评价表."""

    q1: DxAnswer = Field(default_factory=DxAnswer, title="研发设计数字化水平")
    q2: DxAnswer = Field(default_factory=DxAnswer, title="生产作业数字化水平")
    q3: DxAnswer = Field(default_factory=DxAnswer, title="生产管理数字化水平")
    q4: DxAnswer = Field(default_factory=DxAnswer, title="经营管理数字化水平")
    q5: DxAnswer = Field(default_factory=DxAnswer, title="营销服务数字化水平")
    q6: DxAnswer = Field(default_factory=DxAnswer, title="产业链供应链协同数字化水平")
    investment_total: Amount | None = F(
        "数字化投入规模（万元）", "第7题：自2014年以来采购软件系统、解决方案和硬件设备的总金额（不含研发人员费用）"
    )
    investment_latest: Amount | None = F("其中：2024年投入（万元）", "第7题")
    q8: DxAnswer = Field(default_factory=DxAnswer, title="网络与安全")
    q9: DxAnswer = Field(default_factory=DxAnswer, title="数据要素")
    q10: DxAnswer = Field(default_factory=DxAnswer, title="组织战略人才")


class Record(Model):
    """One enterprise's application: the single source every form is filled from."""

    schema_version: Literal[1] = Field(1, title="记录格式版本")
    pack: Text | None = F("表格包", "按哪个省份（表格包）的规则检查和生成，如 shanghai、gansu；命令行 --pack 优先")
    enterprise: Enterprise = Field(default_factory=Enterprise, title="企业基本信息")
    people: People = Field(default_factory=People, title="人员")
    factory: Factory = Field(default_factory=Factory, title="智能工厂")
    narrative: Narrative = Field(default_factory=Narrative, title="申报书正文")
    kpis: dict[str, Percent | None] = Field(
        default_factory=dict,
        title="关键绩效指标",
        description="指标名: 数值；名称取自《智能工厂建设关键绩效指标参考》，单位（%）可省略",
    )
    kpi_others: Text | None = F("其他成效指标", "甘肃附件2 整体建设成效表末行")
    scenarios: list[Scenario] = L("智能制造典型场景")
    figures: list[Figure] = L("配图")
    attachments: list[Attachment] = L("相关附件")
    projects: list[Project] = L("在建项目", "甘肃附件7")
    dx: DxSelfEvaluation = Field(default_factory=DxSelfEvaluation, title="数字化转型自评价（江苏）")


class Recommender(Model):
    """The recommending bureau's profile, for the bureau-side sheets and letters."""

    unit: Text | None = F("推荐单位", "如 上海市浦东新区科技和经济委员会")
    unit_kind: UnitKind | None = F("推荐单位类别", "市、省、计划单列市、兵团 或 中央企业")
    contact: Text | None = F("联系人")
    phone: Text | None = F("联系电话")
    head: Text | None = F("主要负责人")
    date: Date | None = F("日期", "YYYY-MM-DD；不填则留空供手写")

    @field_validator("unit_kind", mode="before")
    @classmethod
    def _unit_kind_by_name(cls, value):
        return read_unit_kind(value)
