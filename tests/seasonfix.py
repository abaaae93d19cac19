"""A Gansu city bureau's inbox for one season (issue 25), made from the field catalogue.

Six enterprises of 天水市 send their files in the forms they came in:

- 陇秦数控: a workbook first (dated 2026-03-01 in its own properties), then a newer YAML
  record (its file time 2026-04-01) with a corrected 联系电话;
- 麦积精工: a YAML record;
- 甘谷电气: a workbook record;
- 秦安纺织: only its filled 附件3 (Word), the record it was made from not sent;
- 武山食品: a YAML record with a mobile number one digit short;
- 清水建材: a YAML record whose 所属地区 says 「清水」, without 县.

and the inbox also holds a 说明.pdf, which no door reads.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from formgen import synth
from formgen.doors.blank import record_yaml
from formgen.record.loader import build

CITY = "天水市"
ROUND = "2026"


@dataclass
class Applicant:
    short: str
    name: str
    district: str
    level: str
    data: dict = None

    @property
    def code(self) -> str:
        return self.data["enterprise"]["credit_code"]


APPLICANTS = [
    Applicant("陇秦数控", "天水陇秦数控机床有限公司", "秦州区", "先进级"),
    Applicant("麦积精工", "天水麦积精工机械有限公司", "麦积区", "基础级"),
    Applicant("甘谷电气", "甘谷县恒通电气有限公司", "甘谷县", "先进级"),
    Applicant("秦安纺织", "秦安县锦绣纺织有限公司", "秦安县", "基础级"),
    Applicant("武山食品", "武山县陇味食品有限公司", "武山县", "基础级"),
    Applicant("清水建材", "清水县永固建材有限公司", "清水县", "基础级"),
]


def _record(a: Applicant, seed: int) -> dict:
    s = synth.synthesise("gansu", a.level, "valid", seed=seed)
    d = s.data
    d["enterprise"]["name"] = a.name
    district = "清水" if a.short == "清水建材" else a.district
    for key in ("enterprise", "factory"):
        part = d.get(key) or {}
        if part.get("region"):
            part["region"].update(province="甘肃省", city=CITY, district=district)
        if part.get("address"):
            part["address"] = f"甘肃省{CITY}{a.district}工业园区{seed}号"
    a.data = d
    return d


def _yaml(folder: Path, name: str, data: dict) -> Path:
    path = folder / name
    path.write_text(record_yaml(build(path, data, {}).record), "utf-8")
    return path


def _dated(path: Path, when: dt.datetime) -> None:
    """Give an .xlsx/.docx the 修改时间 its own properties carry, as Excel or Word would."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "docProps/core.xml":
                stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*<", rb"\g<1>" + stamp + b"<", data)
            out.writestr(item, data)
    path.write_bytes(buf.getvalue())


def _timed(path: Path, when: dt.datetime) -> None:
    t = when.replace(tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (t, t))


def inbox(root: Path, runner) -> tuple[Path, list[Applicant]]:
    """The inbox folder 收件 under ``root``; ``runner(*args)`` runs formgen (CliRunner)."""
    from formgen.doors.workbook import record_workbook

    folder = root / "收件"
    folder.mkdir()
    made = root / "made"
    made.mkdir()
    for seed, a in enumerate(APPLICANTS, 11):
        _record(a, seed)
    longqin, maiji, gangu, qinan, wushan, qingshui = APPLICANTS

    # 陇秦数控: the old workbook, then the newer YAML with another phone
    from formgen.record.loader import build as _build

    old = folder / "陇秦数控.xlsx"
    old.write_bytes(record_workbook(_build(old, longqin.data, {}).record, "gansu"))
    _dated(old, dt.datetime(2026, 3, 1, 9, 0))
    _timed(old, dt.datetime(2026, 5, 1))  # copied onto the clerk's disk after the newer one
    newer = copy.deepcopy(longqin.data)
    newer["people"]["contact"]["phone"] = "0938-8211234"
    longqin.data = newer
    _timed(_yaml(folder, "陇秦数控_更新版.yaml", newer), dt.datetime(2026, 4, 1))

    _yaml(folder, "麦积精工.yaml", maiji.data)

    book = folder / "甘谷电气.xlsx"
    book.write_bytes(record_workbook(_build(book, gangu.data, {}).record, "gansu"))

    # 秦安纺织 fills its forms from a record it keeps; it sends 附件3 alone
    src = _yaml(made, "秦安纺织.yaml", qinan.data)
    out = made / "out"
    r = runner("fill", str(src), "--pack", "gansu", "--out", str(out))
    assert r.exit_code == 0, r.output
    form = next(p for p in out.iterdir() if p.name.startswith("附件3") and p.suffix == ".docx")
    (folder / "秦安纺织_附件3.docx").write_bytes(form.read_bytes())

    bad = copy.deepcopy(wushan.data)
    bad["people"]["contact"]["mobile"] = bad["people"]["contact"]["mobile"][:-1]
    wushan.data = bad
    _yaml(folder, "武山食品.yaml", bad)

    _yaml(folder, "清水建材.yaml", qingshui.data)
    (folder / "说明.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    return folder, APPLICANTS
