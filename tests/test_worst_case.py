"""The worst-case print corpus (issue 26): every document of every pack, rendered from the
records that are hardest to fit, printed by LibreOffice and checked page by page.

For every pack and level (``formgen.synth.cases``) two records are synthesised from the field
catalogue: ``widest`` (credit codes of M and W wherever the check digits allow, four-character
names, landlines with eight digits after the area code, every text at its limit, lists at their
largest plausible count) and ``sparse`` (every part its documents do not require left empty).
Each record's own documents are made as a user makes them (``formgen fill``, ``formgen
checklist``, ``formgen selfeval``; a sparse record has errors, so as a draft), and the sheets a
recommender makes (``formgen summary``) from eight such records with a recommender profile
written from ``formgen init --recommender``. Everything is converted in ONE LibreOffice run
(formgen.render.pdf.convert) and each PDF is checked as a reader would look at it:

- ``codes``: every credit code, org code, mobile, landline, e-mail and four-character name of
  the records that the document prints stands whole on one line of ``pdftotext -layout``;
- ``size``: nothing printed under 8 pt;
- ``blank``: no page without text or picture;
- ``stray``: no page holding only the lines most pages repeat (header, footer, the table's
  repeated header) and a stray label: at most two lines more, and no picture;
- ``numbers``: each page of a document of several pages carries its page number.

A (document, check) that fails on today's code is listed in KNOWN with what is wrong and runs as
a strict xfail: when it is fixed, the xfail fails, and its line here is to be removed.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import hashlib
import os
import re
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from formgen import catalogue as F
from formgen import synth
from formgen.cli import main
from formgen.doors.blank import record_yaml
from formgen.packs.pack import get_pack
from formgen.record.loader import build

from .test_print_sheets import _font_sizes, _page_contents, _pdf_text_pages, _poppler

TODAY = dt.date(2025, 9, 1)
VARIANTS = ("widest", "sparse")
ENTERPRISES = 8  # records on every recommender's sheet (issue 26: eight Shanghai enterprises)
MIN_PT = 8.0
STRAY_LINES = 2  # a page of no more lines than this, besides its repeated ones and no picture, is stray
CHECKS = ("codes", "size", "blank", "stray", "numbers")
# what formgen selfeval writes (Jiangsu has no pack documents); test_corpus_is_complete keeps it true
SELFEVAL = ("江苏省企业数字化转型自评价表.xlsx", "江苏省企业数字化转型自评价表.docx", "典型场景自评价表.xlsx")
# record fields printed as one unbreakable token: codes, numbers, e-mails, people's names
TOKENS = re.compile(r"(credit_code|org_code|mobile|phone|fax|email)$|^people\.\w+\.name$|^scenarios\[\d+\]\.contact$")

# --- known defects: (document pattern, check) -> what is wrong; fnmatch patterns ------------

KNOWN: dict[tuple[str, str], str] = {}  # every defect the corpus found is fixed (issue 26)


def _known(doc: str, check: str) -> str | None:
    for (pattern, c), reason in KNOWN.items():
        if c == check and fnmatch.fnmatchcase(doc, pattern):
            return reason
    return None


# --- which documents the corpus holds (known when tests are collected) ----------------------


@functools.cache
def _synth(pack: str, level: str | None, variant: str, seed: int = 0) -> synth.Synth:
    return synth.synthesise(pack, level, variant, seed=seed, today=TODAY)


def _case(pack: str, level: str | None, variant: str) -> str:
    return f"{pack}-{level or '无层级'}-{variant}"


def _own_documents(pack: str, level: str | None, variant: str) -> list[str]:
    """Names of the documents one record makes itself: 'case/附件3.docx', a split document
    once per key ('case/附件2·场景.docx'), a checklist's 自查表 beside it."""
    case = _case(pack, level, variant)
    p = get_pack(pack)
    if not p.documents:
        return [f"{case}/{name}" for name in SELFEVAL]
    record = build(None, _synth(pack, level, variant).data, {}).record
    out = []
    for doc in p.documents_for(record):
        if doc.kind == "single":
            keys = doc.split_keys(record) if doc.split else [None]
            out += [f"{case}/{doc.short_title}{'·' + k if k else ''}.{fmt}" for k in keys for fmt in doc.formats]
        elif doc.kind == "checklist":
            from formgen.bureau.checklist import documents

            out += [f"{case}/{name.split('_')[0]}.docx" for name, _ in documents(doc, "企业", [])]
    return out


def _sheet_documents(pack: str, variant: str) -> list[str]:
    """Names of the recommender's documents made from the pack's records: 'pack-variant/附件5.xlsx'
    (a sheet is made when it applies to a record of one of the levels, as _sheet_records takes them)."""
    p = get_pack(pack)
    records = [build(None, _synth(pack, level, variant).data, {}).record for level in F.levels(p) or [None]]
    return [
        f"{pack}-{variant}/{doc.short_title}.{fmt}"
        for doc in p.documents
        if doc.kind == "bureau" or (doc.kind == "multi" and any(doc in p.documents_for(r) for r in records))
        for fmt in doc.formats
    ]


@functools.cache
def _sheet_records(pack: str, variant: str) -> tuple[synth.Synth, ...]:
    """ENTERPRISES records of the pack, its levels in turn, each another enterprise (credit code,
    or name where a sparse record has none): a summary lists an enterprise once."""
    levels = F.levels(get_pack(pack)) or [None]
    out, codes, seed = [], set(), 0
    while len(out) < ENTERPRISES and seed < 8 * ENTERPRISES:  # a sparse record may name few enterprises
        level = levels[len(out) % len(levels)]
        s = _synth(pack, level, variant, seed)
        seed += 1
        enterprise = s.data.get("enterprise") or {}
        code = enterprise.get("credit_code") or enterprise.get("name") or seed
        if code not in codes:
            codes.add(code)
            out.append(s)
    return tuple(out)


def _packs() -> list[str]:
    return sorted({pack for pack, _ in synth.cases()})


@functools.cache
def documents() -> list[str]:
    out = []
    for variant in VARIANTS:
        for pack, level in synth.cases():
            out += _own_documents(pack, level, variant)
        for pack in _packs():
            if get_pack(pack).documents:
                out += _sheet_documents(pack, variant)
    return out


def _params():
    out = []
    for doc in documents():
        for check in CHECKS:
            reason = _known(doc, check)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(doc, check, id=f"{doc}-{check}", marks=marks))
    return out


# --- making the corpus ----------------------------------------------------------------------


def _cli(*args) -> tuple[str, int, str]:
    """(the command, its exit code, its output)."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return " ".join(str(a) for a in args[:1]), result.exit_code, result.output


_LINKED: dict[str, Path] = {}


def _write_record(s: synth.Synth, folder: Path) -> Path:
    """The record's YAML beside its figures and files (each distinct file written once and
    hard-linked: eight Shanghai records hold ten 5 MB figures each)."""
    folder.mkdir(parents=True)
    for rel, data in s.files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256(data).hexdigest()
        try:
            os.link(_LINKED[key], target)
        except (KeyError, OSError):
            target.write_bytes(data)
            _LINKED[key] = target
    path = folder / "record.yaml"
    path.write_text(record_yaml(build(path, s.data, {}).record), "utf-8")
    return path


def _named(case: str, files: list[Path], enterprise: str) -> dict[str, Path]:
    """'case/附件2·场景.docx' -> file, from names like 附件2_…_企业_场景.docx."""
    out = {}
    for f in files:
        head, _, rest = f.stem.partition("_")
        key = rest.partition(f"_{enterprise}_")[2] if f"_{enterprise}_" in rest else ""
        out[f"{case}/{head}{'·' + key if key else ''}{f.suffix}"] = f
    return out


def _own(root: Path, pack: str, level: str | None, variant: str) -> tuple[dict[str, Path], list]:
    """The record's own documents, and the outputs of the commands that made them."""
    s = _synth(pack, level, variant)
    case = _case(pack, level, variant)
    path = _write_record(s, root / case)
    out = root / case / "out"
    draft = ["--draft"] if variant == "sparse" else []
    p = get_pack(pack)
    logs = []
    if not p.documents:
        logs.append(_cli("selfeval", path, "--out", out))
    if any(d.kind == "single" for d in p.documents_for(build(path, s.data, {}).record)):
        logs.append(_cli("fill", path, "--out", out, "--jobs", "1", *draft))
    if any(d.kind == "checklist" for d in p.documents_for(build(path, s.data, {}).record)):
        logs.append(_cli("checklist", path, "--out", out))
    made = sorted(out.glob("*.docx")) + sorted(out.glob("*.xlsx")) if out.exists() else []
    made += sorted(out.glob("*/*.docx")) if out.exists() else []
    return _named(case, made, (s.data.get("enterprise") or {}).get("name") or "企业"), logs


def _profile(root: Path, pack: str, variant: str, records: tuple[synth.Synth, ...]) -> Path:
    """The recommender's profile: the keys ``formgen init --recommender`` lists for the pack,
    filled with a district's bureau of the first record's province, its contact and date (widest),
    or a short unit alone (sparse)."""
    blank = root / f"{pack}-{variant}-blank.yaml"
    _cli("init", blank, "--recommender", "--pack", pack)
    keys = yaml.safe_load(blank.read_text("utf-8")) or {}
    first = records[0].data
    region = (first.get("enterprise") or {}).get("region") or {}
    place = f"{region.get('province', '')}{region.get('district', '')}"
    values = {
        "unit": f"{place}工业和信息化局" if variant == "widest" else "工业和信息化局",
        "unit_kind": "province",
        "contact": ((first.get("people") or {}).get("contact") or {}).get("name"),
        "phone": ((first.get("people") or {}).get("contact") or {}).get("phone"),
        "date": TODAY,
    }
    wanted = ("unit", "unit_kind") if variant == "sparse" else tuple(values)
    path = root / f"{pack}-{variant}-recommender.yaml"
    path.write_text(yaml.safe_dump({k: values[k] for k in keys if k in wanted}, allow_unicode=True), "utf-8")
    return path


def _sheets(root: Path, pack: str, variant: str) -> tuple[dict[str, Path], list]:
    records = _sheet_records(pack, variant)
    paths = [_write_record(s, root / f"{pack}-{variant}-sheet" / str(i)) for i, s in enumerate(records)]
    out = root / f"{pack}-{variant}-sheet" / "out"
    extra = ["--draft"] if variant == "sparse" else []
    quota = get_pack(pack).quota or {}
    if quota.get("soft"):
        extra.append("--allow-over-quota")
    elif quota.get("required") and not quota.get("by_unit_kind"):
        extra += ["--quota", str(ENTERPRISES)]
    profile = _profile(root, pack, variant, records)
    log = _cli("summary", *paths, "--pack", pack, "--recommender", profile, "--out", out, "--jobs", "1", *extra)
    made = sorted(out.glob("*.docx")) + sorted(out.glob("*.xlsx")) if out.exists() else []
    return {f"{pack}-{variant}/{f.stem.split('_')[0]}{f.suffix}": f for f in made}, [log]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    """document name -> (the .docx/.xlsx, its PDF, the records it was made from), and the
    commands' output (for the completeness check)."""
    from formgen.render import pdf

    try:
        pdf.find_soffice()
    except pdf.SofficeNotFound:
        pytest.skip("LibreOffice (soffice) 未安装：跳过最坏情况记录的打印检查")
    _poppler("pdftotext")
    root = tmp_path_factory.mktemp("worst")
    files, records, logs = {}, {}, []
    for variant in VARIANTS:
        for pack, level in synth.cases():
            made, log = _own(root, pack, level, variant)
            files.update(made)
            records.update(dict.fromkeys(made, (_synth(pack, level, variant),)))
            logs += [(variant, *x) for x in log]
        for pack in _packs():
            if get_pack(pack).documents:
                made, log = _sheets(root, pack, variant)
                files.update(made)
                records.update(dict.fromkeys(made, _sheet_records(pack, variant)))
                logs += [(variant, *x) for x in log]
    names = sorted(files)
    pdfs = pdf.convert([files[n] for n in names])
    out = {}
    for i, (name, data) in enumerate(zip(names, pdfs, strict=True)):
        target = root / "pdf" / f"{i:03d}.pdf"
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(data)
        out[name] = (files[name], target, records[name])
    return {"docs": out, "logs": logs}


# --- reading what was made ------------------------------------------------------------------


def _source_text(path: Path) -> str:
    """All the text of a .docx or .xlsx (every XML part, tags removed, entities read)."""
    import html

    with zipfile.ZipFile(path) as z:
        parts = [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
    return html.unescape(re.sub(r"<[^>]+>", "", "".join(parts)))


def tokens_printed(source: Path, records) -> set[str]:
    """The codes, numbers, addresses and names of ``records`` that ``source`` prints on their own (an
    org code counts where it stands apart, not as the middle of the credit code it is part of)."""
    text = _source_text(source)
    values = {str(v) for s in records for path, v in synth.leaves(s.data) if TOKENS.search(path)}
    values = {v for v in values if len(v) >= 4 and v in text}
    out = set()
    for v in values:
        apart = text
        for longer in sorted((w for w in values if v in w and w != v), key=len, reverse=True):
            apart = apart.replace(longer, " ")
        if v in apart:
            out.add(v)
    return out


@functools.cache
def pages(pdf: Path) -> tuple[str, ...]:
    return tuple(_pdf_text_pages(pdf))


PAGE_NUMBER = re.compile(r"第\s*(\d+)\s*页|^[-—–]?\s*(\d+)\s*[-—–]?$|^(\d+)\s*/\s*\d+$")


def page_numbers(text: str) -> set[int]:
    """The page numbers printed in the page's header or footer (its first two and last three
    lines): 第 N 页, — N —, - N -, N, N / M."""
    lines = [re.sub(r"\s+", "", x) for x in text.splitlines() if x.strip()]
    edge = lines[:2] + lines[-3:]
    return {int(next(g for g in m.groups() if g)) for x in edge for m in PAGE_NUMBER.finditer(x)}


def first_page_unnumbered(source: Path) -> bool:
    """Whether a .docx gives its first page (the cover) a header and footer of its own."""
    if source.suffix != ".docx":
        return False
    with zipfile.ZipFile(source) as z:
        return b"<w:titlePg" in z.read("word/document.xml")


PAGE_NUMBER_LINE = re.compile(r"第\d+页(，?共\d+页)?|[-—–]?\d+[-—–]?|\d+/\d+")


def body(all_pages: tuple[str, ...], i: int) -> list[str]:
    """Page ``i``'s lines (blanks squeezed out) without those most pages repeat (header, footer,
    a table's repeated header) and without its page number."""

    def lines(t):
        return {re.sub(r"\s+", "", x) for x in t.splitlines()} - {""}

    seen = [lines(t) for t in all_pages]
    repeated = {x for x in seen[i] if sum(x in s for s in seen) > len(seen) / 2} if len(seen) > 1 else set()
    return sorted(x for x in seen[i] - repeated if not PAGE_NUMBER_LINE.fullmatch(x))


def stray_pages(pdf: Path) -> list[tuple[int, list[str]]]:
    """Pages of a document of several pages that hold, besides what most pages repeat, no
    picture and at most STRAY_LINES lines: a heading parted from its table, notes alone."""
    all_pages = pages(pdf)
    if len(all_pages) < 2:
        return []
    return [
        (i + 1, body(all_pages, i))
        for i, stream in enumerate(_page_contents(pdf))
        if len(body(all_pages, i)) <= STRAY_LINES and b" Do" not in stream
    ]


def broken(pdf: Path, values: set[str]) -> list[str]:
    lines = [re.sub(r"\s+", "", line) for page in pages(pdf) for line in page.splitlines()]
    return sorted(v for v in values if not any(v in line for line in lines))


def blank_pages(pdf: Path) -> list[int]:
    return [
        i + 1
        for i, (text, stream) in enumerate(zip(pages(pdf), _page_contents(pdf), strict=True))
        if not text.strip() and b" Do" not in stream
    ]


# --- the tests ------------------------------------------------------------------------------


def test_corpus_is_complete(corpus):
    """Every document the commands wrote is checked, and every document expected was written;
    the widest records pass (fill and summary write every record, no draft, none left out)."""
    assert sorted(corpus["docs"]) == sorted(documents()), corpus["logs"]
    assert [x for x in corpus["logs"] if x[0] == "widest" and x[2] != 0] == []


@pytest.mark.parametrize("doc,check", _params())
def test_worst_case_prints(corpus, doc, check):
    source, pdf, records = corpus["docs"][doc]
    all_pages = pages(pdf)
    if check == "codes":
        values = tokens_printed(source, records)
        assert broken(pdf, values) == [], f"{doc}: 断开或未印出的代码、号码"
    elif check == "size":
        small = sorted(s for s in _font_sizes(pdf) if s < MIN_PT - 0.05)
        assert small == [], f"{doc}: 小于 {MIN_PT} pt 的字号"
    elif check == "blank":
        assert blank_pages(pdf) == [], f"{doc}: 空白页"
    elif check == "stray":
        assert stray_pages(pdf) == [], f"{doc}: 只有页眉页脚或零星标签的页"
    elif check == "numbers":
        skip = 1 if first_page_unnumbered(source) else 0  # a cover carries no number
        missing = [i + 1 for i, t in enumerate(all_pages) if i >= skip and i + 1 not in page_numbers(t)]
        assert len(all_pages) == 1 or missing == [], f"{doc}: 没有页码的页"


def _pdf(pages_content: list[bytes]) -> bytes:
    """A PDF of A4 pages with the given content streams (Helvetica as /F1), with its xref."""
    import zlib

    n = len(pages_content)
    objs = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[" + b" ".join(b"%d 0 R" % (4 + i) for i in range(n)) + b"]/Count %d>>" % n,
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    objs += [
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents %d 0 R>>"
        % (4 + n + i)
        for i in range(n)
    ]
    for content in pages_content:
        data = zlib.compress(content)
        objs.append(b"<</Length %d/Filter/FlateDecode>>stream\n" % len(data) + data + b"\nendstream")
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj" % (i + 1) + body + b"endobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


def test_the_checks_catch_what_they_look_for(tmp_path):
    """Each check fails on a page that has its defect: a code broken over two lines at 7 pt
    (page 1, numbered), a blank page, a page with a stray label and no number."""
    _poppler("pdftotext")
    pdf = tmp_path / "bad.pdf"
    pdf.write_bytes(
        _pdf(
            [
                b"BT /F1 7 Tf 50 800 Td (91310115MA1FL0162) Tj 0 -12 Td (M) Tj 0 -12 Td (Name) Tj 0 -12 Td (Address) Tj"
                b" ET BT /F1 10 Tf 290 30 Td (1) Tj ET",
                b"",
                b"BT /F1 10 Tf 50 800 Td (Table 2) Tj ET",
            ]
        )
    )
    assert broken(pdf, {"91310115MA1FL0162M", "91310115MA1FL0162"}) == ["91310115MA1FL0162M"]
    assert min(_font_sizes(pdf)) == 7
    assert blank_pages(pdf) == [2]
    assert [n for n, _ in stray_pages(pdf)] == [2, 3]
    assert [page_numbers(t) for t in pages(pdf)] == [{1}, set(), set()]
