"""Reading a Word .docx someone else wrote: bounded, safe, and resolved the way Word
resolves it. The OOXML knowledge ``formgen check`` needs lives here (writing documents
is ``render/ooxml.py``'s).

Safety. A draft is an untrusted file, refused with one line of Chinese
(:class:`DraftError`) before anything large is read:

- what it is comes from its first bytes, not its name: an OLE compound file is an old
  binary .doc or a password-protected document (its directory says which), a PDF, RTF,
  web page or text file is named as such, a zip that is not a Word document (ODT, Excel)
  too;
- the zip's central directory is checked before any entry is decompressed: entry count,
  declared sizes and compression ratios (a zip bomb is refused, not inflated), encrypted
  entries;
- XML parts are read through a cap (``XML_CAPS``) and parsed by lxml with entities never
  resolved, no network and no DTD; a part that declares a DTD or entities (Word never
  writes one) is refused;
- images are measured from their headers, read from the zip as a stream (a few KB, at
  most ``IMAGE_HEADER_CAP``): nothing is decoded, so a 300 MB draft stays small in memory.

Resolution. A run's East Asian font and size and a paragraph's line spacing are resolved
as Word does: direct formatting, then the character style and its ``basedOn`` chain, the
paragraph style (or the default paragraph style) and its chain, the table style, the
document defaults, and for a theme font (``w:eastAsiaTheme``) the theme's font for the
language ``w:themeFontLang`` names (zh-CN: the ``Hans`` script font).

Text. Paragraph text is what Word's 字数统计 counts: ``w:t`` (field results included,
field codes, deleted text and the fallback copy of a text box excluded), tabs and breaks
as white space; text boxes are separate blocks; headers and footers are not read.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

# -- limits ---------------------------------------------------------------------------------

MAX_DOCX_BYTES = 1 << 30  # 1 GiB: a draft with many print-quality figures is 100-300 MB
MAX_ENTRIES = 5000
MAX_TOTAL_UNCOMPRESSED = 4 << 30  # declared, over all entries
MAX_ENTRY_UNCOMPRESSED = 1 << 30
BOMB_RATIO = 200  # deflate reaches ~1030:1 on crafted data; Word's XML is 5-30:1
BOMB_MIN_BYTES = 8 << 20  # the ratio is only checked on entries that large
XML_CAPS = {"document": 32 << 20, "styles": 16 << 20, "default": 8 << 20}
IMAGE_HEADER_CAP = 16 << 20  # bytes read (and skipped) to reach an image's size

# -- namespaces -----------------------------------------------------------------------------

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "w14": "http://schemas.microsoft.com/office/word/2010/wordml",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
}
STRICT_W = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def q(name: str) -> str:
    """'w:p' -> '{namespace}p'."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


W_P, W_R, W_T, W_TBL, W_TR, W_TC = (q(x) for x in ("w:p", "w:r", "w:t", "w:tbl", "w:tr", "w:tc"))
W_PPR, W_RPR = q("w:pPr"), q("w:rPr")
W_VAL = q("w:val")


class DraftError(Exception):
    """A draft that cannot be checked; the message is one line of Chinese naming the
    problem and what to do. ``code`` is the rule code a finding for it carries."""

    def __init__(self, message: str, code: str = "DR001"):
        super().__init__(message)
        self.code = code

    def finding(self, source: str = ""):
        """The same as a finding (for ``--format json``)."""
        from ..record.findings import ERROR, Finding

        return Finding(self.code, ERROR, "", "Word 文档", str(self), source)


# -- what the file is ---------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole_streams(f, size: int) -> set[str]:
    """Names in an OLE compound file's directory (a few sectors read, never the streams)."""
    f.seek(0)
    head = f.read(512)
    if len(head) < 512:
        return set()
    shift = struct.unpack_from("<H", head, 0x1E)[0]
    if shift not in (9, 12):
        return set()
    ss = 1 << shift
    first_dir = struct.unpack_from("<I", head, 0x30)[0]
    difat = list(struct.unpack_from("<109I", head, 0x4C))
    per_fat = ss // 4

    def sector(n: int) -> bytes:
        off = (n + 1) * ss
        if n >= 0xFFFFFFFA or off + ss > size:
            raise ValueError
        f.seek(off)
        return f.read(ss)

    def next_sector(n: int) -> int:
        i = n // per_fat
        if i >= len(difat):
            raise ValueError
        return struct.unpack_from("<I", sector(difat[i]), (n % per_fat) * 4)[0]

    names: set[str] = set()
    s, seen = first_dir, 0
    while s < 0xFFFFFFFA and seen < 64:
        data = sector(s)
        for off in range(0, ss, 128):
            n = struct.unpack_from("<H", data, off + 0x40)[0]
            if 2 <= n <= 64:
                names.add(data[off : off + n - 2].decode("utf-16-le", "replace"))
        s, seen = next_sector(s), seen + 1
    return names


def _ole_problem(f, size: int, name: str) -> str:
    try:
        streams = _ole_streams(f, size)
    except (ValueError, struct.error, OSError):
        streams = set()
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        return (
            f"{name} 设有打开密码（加密的 Word 文档），无法读取：请在 Word 中打开，"
            "文件→信息→保护文档→用密码进行加密，清除密码后保存，再检查"
        )
    if "WordDocument" in streams:
        return f"{name} 是旧版 Word 97-2003 文档（.doc），请在 Word 或 WPS 中另存为 .docx 后再检查"
    if "Workbook" in streams or "Book" in streams:
        return f"{name} 是旧版 Excel 工作簿（.xls），不是 Word 文档"
    return (
        f"{name} 是 OLE 复合文件（旧版 .doc 或设有密码的文档），不是 .docx：请取消密码，"
        "并在 Word 或 WPS 中另存为 .docx 后再检查"
    )


_NOT_ZIP = (
    (lambda b: b[:5] == b"%PDF-", "是 PDF 文件；请检查 Word 原稿（.docx）"),
    (lambda b: b[:5] == b"{\\rtf", "是 RTF 文件；请在 Word 中另存为 .docx 后再检查"),
    (
        lambda b: b.lstrip(b"\xef\xbb\xbf \t\r\n")[:14].lower().startswith((b"<!doctype html", b"<html")),
        "是网页（HTML）文件；请在 Word 中另存为 .docx 后再检查",
    ),
    (lambda b: b[:13] == b"MIME-Version:", "是单个文件网页（.mht）；请在 Word 中另存为 .docx 后再检查"),
    (lambda b: b"<w:wordDocument" in b or b"<?mso-application" in b, "是 Word 2003 XML 文档；请另存为 .docx"),
)


def _sniff_problem(head: bytes, name: str) -> str:
    for match, what in _NOT_ZIP:
        if match(head):
            return f"{name} {what}"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return f"{name} 是纯文本文件，不是 Word 文档（.docx）"
        except UnicodeDecodeError:
            pass
    return f"{name} 不是 Word 文档（.docx）"


# -- the package ------------------------------------------------------------------------


def _parser(keep_all: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=not keep_all,
        remove_pis=not keep_all,
    )


def parse_xml(data: bytes, what: str, keep_all: bool = False) -> etree._Element:
    """Parse untrusted XML: entities never resolved, no network, no DTD; a part declaring
    a DTD (Word never writes one) is refused. ``keep_all`` keeps comments and processing
    instructions (for a part written back)."""
    try:
        root = etree.fromstring(data, _parser(keep_all))
    except etree.XMLSyntaxError as e:
        raise DraftError(f"{what} 的 XML 已损坏，无法读取（{e.msg}）") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DraftError(f"{what} 含有 DTD 或实体声明（Word 保存的文件不会有），可能是恶意构造的文件，已拒绝读取")
    return root


@dataclass
class Rels:
    """A part's relationships: id -> (type suffix, target part name or URL, external)."""

    items: dict[str, tuple[str, str, bool]] = field(default_factory=dict)

    def by_type(self, suffix: str) -> list[str]:
        return [t for kind, t, ext in self.items.values() if kind == suffix and not ext]


def _resolve_target(base_part: str, target: str) -> str:
    """A relationship target relative to its part's folder, as a zip entry name."""
    if target.startswith("/"):
        path = PurePosixPath(target.lstrip("/"))
    else:
        path = PurePosixPath(base_part).parent / target
    parts: list[str] = []
    for p in path.parts:
        if p == "..":
            if parts:
                parts.pop()
        elif p not in (".", ""):
            parts.append(p)
    return "/".join(parts)


class Docx:
    """An opened .docx: a checked zip and the parts read on demand (each once)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = self.path.name
        self._file = None
        self.zip: zipfile.ZipFile | None = None
        self._xml: dict[str, etree._Element] = {}
        self._open()

    # context manager, so a check never leaves the file open
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.zip is not None:
            self.zip.close()
        if self._file is not None:
            self._file.close()
        self.zip = self._file = None

    def _open(self) -> None:
        name = self.name
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise DraftError(f"{name} 不存在") from None
        except OSError as e:
            raise DraftError(f"{name} 无法读取（{e.strerror or e.__class__.__name__}）") from None
        if stat.S_ISDIR(st.st_mode):
            raise DraftError(f"{name} 是文件夹，不是 Word 文档")
        if not stat.S_ISREG(st.st_mode):
            raise DraftError(f"{name} 不是普通文件")
        if st.st_size == 0:
            raise DraftError(f"{name} 是空文件")
        if st.st_size > MAX_DOCX_BYTES:
            raise DraftError(
                f"{name} 有 {st.st_size / 1e6:,.0f} MB，超过 {MAX_DOCX_BYTES >> 30} GB 的上限，请压缩图片后再检查"
            )
        try:
            self._file = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as e:
            raise DraftError(f"{name} 无法读取（{e.strerror or e.__class__.__name__}）") from None
        head = self._file.read(4096)
        if head[:8] == _OLE:
            problem = _ole_problem(self._file, st.st_size, name)
            self.close()
            raise DraftError(problem)
        if head[:4] != b"PK\x03\x04":
            self.close()
            if head[:4] in (b"PK\x05\x06", b"PK\x07\x08"):
                raise DraftError(f"{name} 已损坏（zip 结构不完整），请重新保存或从原处重新拷贝")
            raise DraftError(_sniff_problem(head, name))
        try:
            self._file.seek(0)
            self.zip = zipfile.ZipFile(self._file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
            self.close()
            raise DraftError(f"{name} 已损坏（zip 结构不完整，可能没有保存或拷贝完），请重新保存后再检查") from None
        try:
            self._check_zip(st.st_size)
            self.main = self._main_part()
        except BaseException:
            self.close()
            raise

    def _check_zip(self, size: int) -> None:
        infos = self.zip.infolist()
        name = self.name
        if len(infos) > MAX_ENTRIES:
            raise DraftError(
                f"{name} 含 {len(infos)} 个内部文件，超过 {MAX_ENTRIES} 个的上限，不像 Word 文档，已拒绝读取"
            )
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise DraftError(f"{name} 的内容已加密（zip 密码），无法读取：请取消密码后另存为 .docx")
            if info.file_size > MAX_ENTRY_UNCOMPRESSED:
                raise DraftError(
                    f"{name} 中的 {info.filename} 解压后声称有 {info.file_size / 1e9:.1f} GB，"
                    "超过上限（可能是“压缩炸弹”），已拒绝读取"
                )
            if info.file_size > BOMB_MIN_BYTES and info.file_size > BOMB_RATIO * max(info.compress_size, 1):
                raise DraftError(
                    f"{name} 中的 {info.filename} 压缩比异常（{info.compress_size:,} 字节解压为 "
                    f"{info.file_size:,} 字节），可能是“压缩炸弹”，已拒绝读取"
                )
            total += info.file_size
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise DraftError(
                f"{name} 解压后共 {total / 1e9:.1f} GB，超过 {MAX_TOTAL_UNCOMPRESSED >> 30} GB 的上限"
                "（可能是“压缩炸弹”），已拒绝读取"
            )

    def _main_part(self) -> str:
        names = set(self.zip.namelist())
        if "_rels/.rels" in names:
            rels = self.rels("")
            for kind, target, ext in rels.items.values():
                if kind == "officeDocument" and not ext and target in names:
                    root = self.xml(target, "document")
                    if root.tag == f"{{{STRICT_W}}}document":
                        raise DraftError(
                            f"{self.name} 是“Strict Open XML”格式，请在 Word 中另存为普通的 Word 文档（*.docx）"
                        )
                    if root.tag != q("w:document"):
                        break
                    return target
        if "mimetype" in names or "content.xml" in names:
            raise DraftError(
                f"{self.name} 是 OpenDocument（.odt）文档，请在 WPS 或 LibreOffice 中另存为 .docx 后再检查"
            )
        if any(n.startswith("xl/") for n in names):
            raise DraftError(f"{self.name} 是 Excel 工作簿，不是 Word 文档")
        if any(n.startswith("ppt/") for n in names):
            raise DraftError(f"{self.name} 是 PowerPoint 演示文稿，不是 Word 文档")
        raise DraftError(f"{self.name} 是 zip 压缩包，但不是 Word 文档（.docx）")

    # -- parts --------------------------------------------------------------------------

    def read(self, part: str, cap: int) -> bytes:
        """An entry's bytes, refusing (without reading on) one longer than ``cap``."""
        try:
            info = self.zip.getinfo(part)
        except KeyError:
            raise DraftError(f"{self.name} 缺少 {part}，文件不完整") from None
        if info.file_size > cap:
            raise DraftError(
                f"{self.name} 中的 {part} 有 {info.file_size / 1e6:.0f} MB，超过 {cap >> 20} MB 的上限，已拒绝读取"
            )
        try:
            with self.zip.open(info) as f:
                data = f.read(cap + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
            raise DraftError(f"{self.name} 已损坏（{part} 无法解压），请重新保存后再检查") from None
        if len(data) > cap:
            raise DraftError(f"{self.name} 中的 {part} 超过 {cap >> 20} MB 的上限，已拒绝读取")
        return data

    def xml(self, part: str, kind: str = "default") -> etree._Element:
        if part not in self._xml:
            self._xml[part] = parse_xml(
                self.read(part, XML_CAPS.get(kind, XML_CAPS["default"])), f"{self.name} 的 {part}"
            )
        return self._xml[part]

    def has(self, part: str) -> bool:
        try:
            self.zip.getinfo(part)
            return True
        except KeyError:
            return False

    def rels(self, part: str) -> Rels:
        folder, _, base = part.rpartition("/")
        rels_name = f"{folder + '/' if folder else ''}_rels/{base}.rels"
        out = Rels()
        if not self.has(rels_name):
            return out
        for el in self.xml(rels_name).findall(q("pr:Relationship")):
            rid, kind, target = el.get("Id"), el.get("Type", ""), el.get("Target", "")
            external = el.get("TargetMode") == "External"
            kind = kind.rsplit("/", 1)[-1]
            out.items[rid] = (kind, target if external else _resolve_target(part, target), external)
        return out

    def related(self, kind: str) -> etree._Element | None:
        """The main document's related part of ``kind`` (styles, theme, settings...)."""
        for target in self.rels(self.main).by_type(kind):
            if self.has(target):
                return self.xml(target, "styles" if kind == "styles" else "default")
        return None

    @property
    def document(self) -> etree._Element:
        return self.xml(self.main, "document")

    @property
    def body(self) -> etree._Element:
        body = self.document.find(q("w:body"))
        if body is None:
            raise DraftError(f"{self.name} 没有正文（word/document.xml 中缺少 w:body）")
        return body


# -- styles and their resolution ----------------------------------------------------------

THEME_SCRIPT = {"zh-cn": "Hans", "zh-sg": "Hans", "zh-tw": "Hant", "zh-hk": "Hant", "zh-mo": "Hant"}
THEME_SCRIPT.update({"ja-jp": "Jpan", "ko-kr": "Hang"})


def _attr(el, name: str) -> str | None:
    return el.get(q(name)) if el is not None else None


def rpr_props(rpr) -> dict:
    """What a w:rPr sets: 'ea' -> ('font'|'theme', name), 'sz' -> half points."""
    out: dict = {}
    if rpr is None:
        return out
    fonts = rpr.find(q("w:rFonts"))
    if fonts is not None:
        if _attr(fonts, "w:eastAsiaTheme"):
            out["ea"] = ("theme", _attr(fonts, "w:eastAsiaTheme"))
        elif _attr(fonts, "w:eastAsia"):
            out["ea"] = ("font", _attr(fonts, "w:eastAsia"))
    sz = rpr.find(q("w:sz"))
    if sz is not None and _attr(sz, "w:val"):
        try:
            out["sz"] = float(_attr(sz, "w:val"))
        except ValueError:
            pass
    return out


def ppr_props(ppr) -> dict:
    """What a w:pPr sets: 'line' -> (twips or 240ths, rule)."""
    out: dict = {}
    if ppr is None:
        return out
    sp = ppr.find(q("w:spacing"))
    if sp is not None and _attr(sp, "w:line"):
        try:
            out["line"] = (int(float(_attr(sp, "w:line"))), _attr(sp, "w:lineRule") or "auto")
        except ValueError:
            pass
    return out


@dataclass
class Style:
    id: str
    type: str
    name: str
    based_on: str | None
    rpr: dict
    ppr: dict
    outline: int | None  # w:outlineLvl in the style's pPr (0 = level 1)


@dataclass
class Resolved:
    """A resolved property and where it came from (for messages)."""

    value: object
    source: str


class Styles:
    """The document's styles, defaults and theme fonts, for resolving formatting."""

    def __init__(self, docx: Docx):
        root = docx.related("styles")
        self.styles: dict[str, Style] = {}
        self.default_para: str | None = None
        self.default_char: str | None = None
        self.default_rpr: dict = {}
        self.default_ppr: dict = {}
        self.default_lang: str | None = None
        if root is not None:
            defaults = root.find(q("w:docDefaults"))
            if defaults is not None:
                self.default_rpr = rpr_props(defaults.find(f"{q('w:rPrDefault')}/{q('w:rPr')}"))
                self.default_ppr = ppr_props(defaults.find(f"{q('w:pPrDefault')}/{q('w:pPr')}"))
                lang = defaults.find(f"{q('w:rPrDefault')}/{q('w:rPr')}/{q('w:lang')}")
                self.default_lang = _attr(lang, "w:eastAsia")
            for el in root.findall(q("w:style")):
                sid = _attr(el, "w:styleId") or ""
                ppr = el.find(W_PPR)
                outline = ppr.find(q("w:outlineLvl")) if ppr is not None else None
                st = Style(
                    sid,
                    _attr(el, "w:type") or "paragraph",
                    _attr(el.find(q("w:name")), "w:val") or sid,
                    _attr(el.find(q("w:basedOn")), "w:val"),
                    rpr_props(el.find(W_RPR)),
                    ppr_props(ppr),
                    _int(_attr(outline, "w:val")),
                )
                self.styles.setdefault(sid, st)
                if _attr(el, "w:default") in ("1", "true", "on"):
                    if st.type == "paragraph" and self.default_para is None:
                        self.default_para = sid
                    elif st.type == "character" and self.default_char is None:
                        self.default_char = sid
        self.theme = _theme_fonts(docx.related("theme"))
        settings = docx.related("settings")
        tfl = settings.find(q("w:themeFontLang")) if settings is not None else None
        self.theme_lang = _attr(tfl, "w:eastAsia") or self.default_lang

    def chain(self, sid: str | None) -> list[Style]:
        """A style and the styles it is based on, nearest first (cycles cut)."""
        out: list[Style] = []
        seen: set[str] = set()
        while sid and sid in self.styles and sid not in seen and len(out) < 32:
            seen.add(sid)
            out.append(self.styles[sid])
            sid = self.styles[sid].based_on
        return out

    def display(self, sid: str | None) -> str:
        st = self.styles.get(sid or "")
        return STYLE_NAMES_ZH.get(st.name, st.name) if st else str(sid)

    def para_style(self, p) -> str | None:
        ppr = p.find(W_PPR)
        return _attr(ppr.find(q("w:pStyle")) if ppr is not None else None, "w:val") or self.default_para

    def _levels(self, p, r, table_style: str | None, key: str):
        """(props, source) from the most specific level down, for run (``r`` given) or
        paragraph properties."""
        if r is not None:
            yield rpr_props(r.find(W_RPR)), "直接格式（字符）"
            rpr = r.find(W_RPR)
            rstyle = _attr(rpr.find(q("w:rStyle")) if rpr is not None else None, "w:val") or self.default_char
            for st in self.chain(rstyle):
                yield st.rpr, f"字符样式“{self.display(st.id)}”"
        else:
            yield ppr_props(p.find(W_PPR)), "直接格式（段落）"
        for st in self.chain(self.para_style(p)):
            yield (st.rpr if key == "r" else st.ppr), f"段落样式“{self.display(st.id)}”"
        for st in self.chain(table_style):
            yield (st.rpr if key == "r" else st.ppr), f"表格样式“{self.display(st.id)}”"
        yield (self.default_rpr if key == "r" else self.default_ppr), "文档默认格式"

    def run_prop(self, p, r, prop: str, table_style: str | None = None) -> Resolved | None:
        for props, source in self._levels(p, r, table_style, "r"):
            if prop in props:
                return Resolved(props[prop], source)
        return None

    def east_asia_font(self, p, r, table_style: str | None = None) -> Resolved:
        """The font Word uses for a run's Chinese characters (None: none named anywhere;
        Word then uses the system's default Chinese font)."""
        got = self.run_prop(p, r, "ea", table_style)
        if got is None:
            return Resolved(None, "未指定")
        kind, name = got.value
        if kind == "font":
            return Resolved(name, got.source)
        font = self.theme_font(name)
        return Resolved(font, f"{got.source}→主题字体 {name}（{self.theme_lang or '未指定语言'}）")

    def size_pt(self, p, r, table_style: str | None = None) -> Resolved:
        got = self.run_prop(p, r, "sz", table_style)
        if got is None:
            return Resolved(10.0, "Word 默认（10 磅）")
        return Resolved(got.value / 2, got.source)

    def line_spacing(self, p, table_style: str | None = None) -> Resolved:
        """(value, rule): rule 'exact' / 'atLeast' with value in points, or 'auto' with
        value in lines (1.0 single)."""
        for props, source in self._levels(p, None, table_style, "p"):
            if "line" in props:
                value, rule = props["line"]
                if rule in ("exact", "atLeast"):
                    return Resolved((value / 20, rule), source)
                return Resolved((value / 240, "auto"), source)
        return Resolved((1.0, "auto"), "Word 默认（单倍行距）")

    def theme_font(self, theme_name: str) -> str | None:
        group = "major" if theme_name.startswith("major") else "minor"
        fonts = self.theme.get(group, {})
        if theme_name.endswith(("Ascii", "HAnsi")):
            return fonts.get("latin") or None
        if theme_name.endswith("Bidi"):
            return fonts.get("cs") or None
        if fonts.get("ea"):
            return fonts["ea"]
        script = THEME_SCRIPT.get((self.theme_lang or "").casefold())
        return fonts.get("scripts", {}).get(script) if script else None

    def outline_level(self, p) -> int | None:
        """A paragraph's outline level (0 = 标题 1), from its own pPr or its style chain."""
        got = self.heading_level(p)
        return got.value if got is not None else None

    def heading_level(self, p) -> Resolved | None:
        """A paragraph's outline level (0 = 标题 1) and where it comes from: the paragraph's
        own w:outlineLvl (大纲级别), or its style's, or a style named Heading N / 标题 N, the
        style itself or one it is based on. None for body text (level 9 or none)."""
        ppr = p.find(W_PPR)
        own = ppr.find(q("w:outlineLvl")) if ppr is not None else None
        if own is not None:
            level = _int(_attr(own, "w:val"))
            return Resolved(level, f"大纲级别 {level + 1}") if level is not None and 0 <= level < 9 else None
        sid = self.para_style(p)
        for st in self.chain(sid):
            if st.outline is not None:
                return Resolved(st.outline, f"样式“{self.display(sid)}”") if 0 <= st.outline < 9 else None
            m = _HEADING_NAME.fullmatch(st.name or "")
            if m:
                return Resolved(int(m.group(1)) - 1, f"样式“{self.display(sid)}”")
        return None


# Word's built-in heading styles (w:name "heading 1"), and the same named in Chinese (WPS,
# styles copied from another document).
_HEADING_NAME = re.compile(r"(?i)(?:heading|标题)\s*([1-9])")


STYLE_NAMES_ZH = {"Normal": "正文", "Default Paragraph Font": "默认段落字体", "Title": "标题", "Caption": "题注"}
STYLE_NAMES_ZH.update({f"heading {i}": f"标题 {i}" for i in range(1, 10)})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _theme_fonts(theme) -> dict:
    out: dict = {}
    if theme is None:
        return out
    scheme = theme.find(f".//{q('a:fontScheme')}")
    if scheme is None:
        return out
    for group in ("major", "minor"):
        el = scheme.find(q(f"a:{group}Font"))
        if el is None:
            continue
        fonts = {
            "latin": _a_typeface(el.find(q("a:latin"))),
            "ea": _a_typeface(el.find(q("a:ea"))),
            "cs": _a_typeface(el.find(q("a:cs"))),
            "scripts": {f.get("script"): f.get("typeface") for f in el.findall(q("a:font"))},
        }
        out[group] = fonts
    return out


def _a_typeface(el) -> str:
    return (el.get("typeface") or "") if el is not None else ""


# -- the body as Word's reader sees it -----------------------------------------------------


@dataclass
class Picture:
    rid: str | None  # relationship id of an embedded image
    linked: bool = False  # r:link / external target: the image is not in the file


@dataclass
class Para:
    el: etree._Element
    index: int  # position among all paragraphs, document order
    text: str
    runs: list  # (w:r element, its text)
    pictures: list[Picture]
    table: int | None = None  # index of the table it stands in
    cell: tuple[int, int] | None = None  # (row, grid column) in that table
    table_style: str | None = None
    textbox: bool = False


@dataclass
class Cell:
    row: int
    col: int
    span: int
    paras: list[Para]
    continued: bool = False  # a vertically merged cell's continuation (w:vMerge without restart)
    ticked: bool = False  # holds a ticked check box

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paras)


@dataclass
class Table:
    index: int
    rows: list[list[Cell]]
    first_para: int  # index of its first paragraph


@dataclass
class Body:
    paras: list[Para]
    tables: list[Table]


_TICKS = set("☑☒✓✔√■▣✅")


class _Walker:
    def __init__(self):
        self.paras: list[Para] = []
        self.tables: list[Table] = []

    def blocks(self, parent, table=None, cell=None, table_style=None, textbox=False):
        for child in parent:
            tag = child.tag
            if tag == W_P:
                self.paragraph(child, table, cell, table_style, textbox)
            elif tag == W_TBL:
                self.table(child, textbox)
            elif tag in (q("w:sdt"),):
                content = child.find(q("w:sdtContent"))
                if content is not None:
                    self.blocks(content, table, cell, table_style, textbox)
            elif tag in (q("w:customXml"), q("w:ins"), q("w:moveTo")):
                self.blocks(child, table, cell, table_style, textbox)
            elif tag == q("mc:AlternateContent"):
                choice = child.find(q("mc:Choice"))
                if choice is not None:
                    self.blocks(choice, table, cell, table_style, textbox)

    def table(self, tbl, textbox):
        tpr = tbl.find(q("w:tblPr"))
        style = _attr(tpr.find(q("w:tblStyle")) if tpr is not None else None, "w:val")
        t = Table(len(self.tables), [], len(self.paras))
        self.tables.append(t)
        for r, tr in enumerate(self._rows(tbl)):
            row: list[Cell] = []
            col = 0
            trpr = tr.find(q("w:trPr"))
            before = trpr.find(q("w:gridBefore")) if trpr is not None else None
            col += _int(_attr(before, "w:val")) or 0
            for tc in self._cells(tr):
                tcpr = tc.find(q("w:tcPr"))
                span = _int(_attr(tcpr.find(q("w:gridSpan")) if tcpr is not None else None, "w:val")) or 1
                vmerge = tcpr.find(q("w:vMerge")) if tcpr is not None else None
                continued = vmerge is not None and _attr(vmerge, "w:val") not in ("restart",)
                start = len(self.paras)
                self.blocks(tc, t.index, (r, col), style, textbox)
                cell = Cell(r, col, max(span, 1), self.paras[start:], continued)
                cell.ticked = any(ch in _TICKS for p in cell.paras for ch in p.text) or _checked_box(tc)
                row.append(cell)
                col += max(span, 1)
            t.rows.append(row)

    @staticmethod
    def _rows(tbl):
        for child in tbl:
            if child.tag == W_TR:
                yield child
            elif child.tag in (q("w:sdt"), q("w:customXml")):
                content = child.find(q("w:sdtContent")) if child.tag == q("w:sdt") else child
                if content is not None:
                    yield from (x for x in content if x.tag == W_TR)

    @staticmethod
    def _cells(tr):
        for child in tr:
            if child.tag == W_TC:
                yield child
            elif child.tag in (q("w:sdt"), q("w:customXml")):
                content = child.find(q("w:sdtContent")) if child.tag == q("w:sdt") else child
                if content is not None:
                    yield from (x for x in content if x.tag == W_TC)

    def paragraph(self, p, table, cell, table_style, textbox):
        runs: list = []
        pictures: list[Picture] = []
        boxes: list = []
        _collect(p, runs, pictures, boxes)
        text = "".join(t for _, t in runs)
        self.paras.append(Para(p, len(self.paras), text, runs, pictures, table, cell, table_style, textbox))
        for box in boxes:  # a text box's paragraphs follow the paragraph that anchors it
            self.blocks(box, table, cell, table_style, True)


_SKIP = {q("w:pPr"), q("w:rPr"), q("w:del"), q("w:moveFrom"), q("mc:Fallback"), q("w:instrText"), q("w:delText")}


def _collect(el, runs, pictures, boxes):
    for child in el:
        tag = child.tag
        if tag in _SKIP:
            continue
        if tag == W_R:
            runs.append((child, _run_text(child, pictures, boxes)))
        elif tag == q("mc:AlternateContent"):
            choice = child.find(q("mc:Choice"))
            if choice is not None:
                _collect(choice, runs, pictures, boxes)
        elif tag not in (W_P, W_TBL):
            _collect(child, runs, pictures, boxes)  # hyperlinks, fields, ins, smartTag, sdt...


def _run_text(r, pictures, boxes) -> str:
    out = []
    for child in r:
        tag = child.tag
        if tag == W_T:
            out.append(child.text or "")
        elif tag == q("w:tab") or tag == q("w:ptab"):
            out.append("\t")
        elif tag in (q("w:br"), q("w:cr")):
            out.append("\n")
        elif tag == q("w:noBreakHyphen"):
            out.append("-")
        elif tag == q("w:sym"):
            out.append("□")
        elif tag in (q("w:drawing"), q("w:pict"), q("mc:AlternateContent"), q("w:object")):
            _graphics(child, pictures, boxes)
    return "".join(out)


def _graphics(el, pictures, boxes):
    """Pictures and text boxes inside a run's drawing (one copy: mc:Choice, not Fallback)."""
    stack = [el]
    while stack:
        node = stack.pop()
        tag = node.tag
        if tag == q("mc:Fallback"):
            continue
        if tag == q("w:txbxContent"):
            boxes.append(node)
            continue
        if tag == q("a:blip"):
            embed, link = node.get(q("r:embed")), node.get(q("r:link"))
            pictures.append(Picture(embed, linked=not embed and bool(link)))
        elif tag == q("v:imagedata") and node.getparent() is not None and node.getparent().tag != q("w:object"):
            rid = node.get(q("r:id"))
            if rid:
                pictures.append(Picture(rid))
        stack.extend(reversed(list(node)))
    return pictures


def _checked_box(tc) -> bool:
    for el in tc.iter(q("w14:checked")):
        if el.get(q("w14:val")) in ("1", "true"):
            return True
    for box in tc.iter(q("w:checkBox")):
        for tag in ("w:checked", "w:default"):
            got = box.find(q(tag))
            if got is not None and _attr(got, "w:val") not in ("0", "false", "off"):
                if tag == "w:checked" or box.find(q("w:checked")) is None:
                    return True
    return False


def read_body(docx: Docx) -> Body:
    w = _Walker()
    w.blocks(docx.body)
    return Body(w.paras, w.tables)


def paragraph_elements(root) -> dict[int, etree._Element]:
    """The w:p elements of a parsed document.xml by the index :func:`read_body` gives
    them (to change a fresh copy of the paragraphs a check looked at)."""
    w = _Walker()
    body = root.find(q("w:body"))
    if body is not None:
        w.blocks(body)
    return {p.index: p.el for p in w.paras}


def runs_of(p) -> list[etree._Element]:
    """A paragraph's own runs, in the order :class:`Para` lists them."""
    runs: list = []
    _collect(p, runs, [], [])
    return [r for r, _ in runs]


def read_notes(docx: Docx) -> list[Para]:
    """Footnotes and endnotes (Word's 字数统计 counts them by default)."""
    out: list[Para] = []
    for kind in ("footnotes", "endnotes"):
        for target in docx.rels(docx.main).by_type(kind):
            if docx.has(target):
                w = _Walker()
                for note in docx.xml(target):
                    if _int(_attr(note, "w:id")) is not None and _int(_attr(note, "w:id")) > 0:
                        w.blocks(note)
                out += w.paras
    return out


# -- images, from their headers -----------------------------------------------------------


@dataclass(frozen=True)
class ImageFacts:
    part: str
    bytes: int  # the image file's size as stored in the document (uncompressed entry)
    width: int = 0
    height: int = 0
    format: str = ""
    problem: str = ""

    @property
    def pixels(self) -> int:
        return self.width * self.height


class _Stream:
    """Reads an entry forward only, never more than IMAGE_HEADER_CAP bytes in all."""

    def __init__(self, f):
        self.f = f
        self.used = 0

    def read(self, n: int) -> bytes:
        if self.used + n > IMAGE_HEADER_CAP:
            raise ValueError("header too long")
        data = self.f.read(n)
        self.used += len(data)
        if len(data) < n:
            raise EOFError
        return data

    def read_some(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer at the end of the entry)."""
        data = self.f.read(min(n, IMAGE_HEADER_CAP - self.used))
        self.used += len(data)
        return data

    def skip(self, n: int) -> None:
        while n > 0:
            k = min(n, 1 << 16)
            self.read(k)
            n -= k


_SOF = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}


def _jpeg_size(s: _Stream) -> tuple[int, int]:
    s.read(2)
    while True:
        b = s.read(1)
        while b != b"\xff":
            b = s.read(1)  # tolerate garbage between segments, as decoders do
        marker = s.read(1)[0]
        while marker == 0xFF:
            marker = s.read(1)[0]
        if marker in (0x01, *range(0xD0, 0xD9)):
            continue
        (length,) = struct.unpack(">H", s.read(2))
        if length < 2:
            raise ValueError("bad segment")
        if marker in _SOF:
            _, h, w = struct.unpack(">BHH", s.read(5))
            return w, h
        if marker in (0xDA, 0xD9):
            raise ValueError("no frame header")
        s.skip(length - 2)


def _image_size(head: bytes, s: _Stream) -> tuple[str, int, int]:
    if head[:3] == b"\xff\xd8\xff":
        return ("JPEG", *_jpeg_size(s))
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return "PNG", w, h
    if head[:2] == b"BM" and len(head) >= 26:
        size = struct.unpack("<I", head[14:18])[0]
        if size == 12:
            w, h = struct.unpack("<HH", head[18:22])
        else:
            w, h = struct.unpack("<ii", head[18:26])
        return "BMP", abs(w), abs(h)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", head[6:10])
        return "GIF", w, h
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF", *_pillow_size(s.read_some(1 << 20))
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP", *_pillow_size(s.read_some(1 << 20))
    if (
        head[:4] == b"\xd7\xcd\xc6\x9a"
        or head[40:44] == b" EMF"
        or head[:4] in (b"\x01\x00\x09\x00", b"\x02\x00\x09\x00")
    ):
        raise _Vector("EMF/WMF")
    if b"<svg" in head[:1024].lower():
        raise _Vector("SVG")
    raise ValueError("unknown")


class _Vector(Exception):
    pass


def _pillow_size(data: bytes) -> tuple[int, int]:
    import io
    import warnings

    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as im:  # header only: nothing is decoded
            return im.size


def image_facts(docx: Docx, part: str) -> ImageFacts:
    """Pixel size and stored size of an image part, from its header (never decoded)."""
    try:
        info = docx.zip.getinfo(part)
    except KeyError:
        return ImageFacts(part, 0, problem="图片文件在文档中缺失")
    try:
        with docx.zip.open(info) as f:
            head = f.read(min(info.file_size, 4096))
            fmt, w, h = _image_size(head, _Stream(_Prefixed(head, f)))
    except _Vector as e:
        return ImageFacts(
            part, info.file_size, format=str(e), problem=f"为矢量图（{e}），没有像素尺寸，应插入照片类位图（JPEG/PNG）"
        )
    except (ValueError, EOFError, struct.error, zipfile.BadZipFile, zlib.error, OSError, IndexError):
        return ImageFacts(part, info.file_size, problem="图片文件头无法识别或已损坏，无法读取像素")
    except Exception:  # noqa: BLE001 - Pillow's header parsers raise many kinds
        return ImageFacts(part, info.file_size, problem="图片文件头无法识别，无法读取像素")
    return ImageFacts(part, info.file_size, w, h, fmt)


class _Prefixed:
    """A stream that first replays ``head`` (already read) then continues with ``f``."""

    def __init__(self, head: bytes, f):
        self.head, self.pos, self.f = head, 0, f

    def read(self, n: int) -> bytes:
        out = b""
        if self.pos < len(self.head):
            out = self.head[self.pos : self.pos + n]
            self.pos += len(out)
            n -= len(out)
        if n > 0:
            out += self.f.read(n)
        return out


# -- mending: direct formatting on paragraphs and runs -------------------------------------

# ECMA-376 element order inside w:rPr and w:pPr (Word rejects a file whose children are
# out of order).
RPR_ORDER = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
    "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
    "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath rPrChange"
).split()
PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
    "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
    "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
    "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
).split()


def _child(parent, local: str, order: list[str]):
    """``parent``'s child w:local, created in its schema position when missing."""
    el = parent.find(q(f"w:{local}"))
    if el is not None:
        return el
    el = etree.Element(q(f"w:{local}"))
    rank = order.index(local)
    for i, existing in enumerate(parent):
        name = etree.QName(existing).localname
        if existing.tag.startswith(f"{{{NS['w']}}}") and name in order and order.index(name) > rank:
            parent.insert(i, el)
            return el
    parent.append(el)
    return el


def _props(el, tag: str):
    """A paragraph's w:pPr or a run's w:rPr, created as its first child when missing."""
    got = el.find(tag)
    if got is None:
        got = etree.Element(tag)
        el.insert(0, got)
    return got


def set_run_format(r, east_asia: str | None, size_pt: float | None) -> None:
    """Direct formatting on a run (or a paragraph mark's w:rPr): the East Asian font (a
    theme font reference removed) and the size. Text is never touched."""
    rpr = r if r.tag == W_RPR else _props(r, W_RPR)
    if east_asia:
        fonts = _child(rpr, "rFonts", RPR_ORDER)
        fonts.attrib.pop(q("w:eastAsiaTheme"), None)
        fonts.set(q("w:eastAsia"), east_asia)
    if size_pt:
        _child(rpr, "sz", RPR_ORDER).set(W_VAL, str(int(round(size_pt * 2))))


def set_paragraph_format(p, line_exact_pt: float | None, east_asia: str | None, size_pt: float | None) -> None:
    """Exact line spacing on a paragraph (its before/after spacing kept), and the paragraph
    mark's font and size."""
    ppr = _props(p, W_PPR)
    if line_exact_pt:
        sp = _child(ppr, "spacing", PPR_ORDER)
        sp.set(q("w:line"), str(int(round(line_exact_pt * 20))))
        sp.set(q("w:lineRule"), "exact")
    if east_asia or size_pt:
        set_run_format(_child(ppr, "rPr", PPR_ORDER), east_asia, size_pt)


def serialize(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def copy_with(docx: Docx, out, replaced: dict[str, bytes]) -> None:
    """Write the package to the binary file ``out``: every entry as it is (streamed, in
    the same order, same compression) except the parts in ``replaced``."""
    with zipfile.ZipFile(out, "w", allowZip64=True) as zout:
        for info in docx.zip.infolist():
            new = zipfile.ZipInfo(info.filename, info.date_time)
            new.compress_type = info.compress_type if info.compress_type in (0, 8) else zipfile.ZIP_DEFLATED
            if new.compress_type == zipfile.ZIP_DEFLATED and info.compress_size > 0.9 * info.file_size > (1 << 20):
                new.compress_type = zipfile.ZIP_STORED  # already compressed (a JPEG): not deflated again
            new.external_attr = info.external_attr
            if info.filename in replaced:
                new.compress_type = zipfile.ZIP_DEFLATED
                zout.writestr(new, replaced[info.filename])
                continue
            try:
                with docx.zip.open(info) as src, zout.open(new, "w", force_zip64=info.file_size > (1 << 31)) as dst:
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        dst.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                raise DraftError(
                    f"{docx.name} 已损坏（{info.filename} 无法解压：{e.__class__.__name__}），未写入修正稿"
                ) from None
