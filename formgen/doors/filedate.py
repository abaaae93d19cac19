"""When a file an enterprise sent was made: the date it carries itself where it has one
(a Word document's or a workbook's 修改时间 in its document properties, as Word, WPS and
Excel write it on every save), else the file's modification time.

Two files of one enterprise are ordered by it: the registry numbers versions by it and
``summary --prefer newer`` keeps the newer by it, so both agree on which file is newer.
A copied or downloaded file keeps the date it carries, where its modification time
becomes the day it was copied.

The properties part is read by :func:`formgen.render.ooxml.read_package_part`, the one
reader of a package's properties, with the bounds of every file from a user.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

ZIPPED = (".docx", ".xlsx", ".docm", ".xlsm")
_W3CDTF = re.compile(
    r"<dcterms:(modified|created)\b[^>]*>\s*(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
    r"\s*(Z|[+-]\d{2}:\d{2})?\s*</dcterms:\1>"
)


def own_date(path: Path) -> dt.datetime | None:
    """The 修改时间 (else 创建时间) a .docx/.xlsx carries in its properties, as naive UTC;
    None for other files, a file without one, or one that cannot be read.

    >>> own_date(Path("记录.yaml")) is None
    True
    """
    if Path(path).suffix.casefold() not in ZIPPED:
        return None
    from ..render.ooxml import CORE_PART, read_package_part  # python-docx's oxml: only for a package

    text = read_package_part(Path(path), CORE_PART)
    if text is None:
        return None
    return parse_core(text)


def parse_core(text: str) -> dt.datetime | None:
    """The modified (else created) time of a docProps/core.xml text, as naive UTC.

    >>> parse_core('<dcterms:modified xsi:type="dcterms:W3CDTF">2026-03-02T08:30:00Z</dcterms:modified>')
    datetime.datetime(2026, 3, 2, 8, 30)
    >>> parse_core('<dcterms:created>2026-03-02T16:30:00+08:00</dcterms:created>')
    datetime.datetime(2026, 3, 2, 8, 30)
    >>> parse_core('<!DOCTYPE x><dcterms:modified>2026-03-02T08:30:00Z</dcterms:modified>') is None
    True
    """
    if "<!DOCTYPE" in text.upper():
        return None
    found = {m.group(1): m for m in _W3CDTF.finditer(text)}
    m = found.get("modified") or found.get("created")
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g or 0) for g in m.group(2, 3, 4, 5, 6, 7))
    try:
        when = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    zone = m.group(8)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        when -= sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    if when.year < 1980:  # a template's placeholder date (1899, 1970) says nothing
        return None
    return when


def made_at(path: Path) -> dt.datetime:
    """When the file was made: :func:`own_date`, else its modification time (naive UTC)."""
    path = Path(path)
    own = own_date(path)
    if own is not None:
        return own
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).replace(tzinfo=None)
