"""Which of two files is newer: the date a Word document or workbook carries, else its
modification time."""

import datetime as dt
import io
import os
import re
import zipfile

import docx
import openpyxl

from formgen.doors.filedate import made_at, own_date


def _docx(path, modified):
    d = docx.Document()
    d.add_paragraph("x")
    d.core_properties.modified = modified
    d.save(path)


def test_a_word_document_is_dated_by_its_properties_not_its_copy_time(tmp_path):
    p = tmp_path / "附件3.docx"
    _docx(p, dt.datetime(2026, 3, 2, 8, 30))
    os.utime(p, (2_000_000_000, 2_000_000_000))  # copied in 2033
    assert made_at(p) == dt.datetime(2026, 3, 2, 8, 30)


def test_a_workbook_is_dated_by_its_properties(tmp_path):
    p = tmp_path / "记录.xlsx"
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)  # openpyxl stamps the time of saving: set the one Excel would have left
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(p, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"<dcterms:modified([^>]*)>[^<]*<", rb"<dcterms:modified\1>2025-12-01T09:00:00Z<", data)
            out.writestr(item, data)
    assert own_date(p) == dt.datetime(2025, 12, 1, 9, 0)


def test_a_yaml_record_is_dated_by_its_modification_time(tmp_path):
    p = tmp_path / "记录.yaml"
    p.write_text("enterprise: {}\n", encoding="utf-8")
    os.utime(p, (1_700_000_000, 1_700_000_000))
    assert made_at(p) == dt.datetime(2023, 11, 14, 22, 13, 20)


def test_a_broken_zip_falls_back_to_its_modification_time(tmp_path):
    p = tmp_path / "坏.docx"
    p.write_bytes(b"PK\x03\x04not a zip")
    os.utime(p, (1_700_000_000, 1_700_000_000))
    assert own_date(p) is None
    assert made_at(p).year == 2023
