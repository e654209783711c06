"""Hostile files given to the import: refused clearly and in little memory.

Each file is built small, with zipfile (tests/helpers_xlsx.py): an XLSX is a zip of XML
parts, and the attacks are in the parts (a declared dimension, millions of rows, a DTD, a
zip bomb). That they are also refused quickly is measured by bench/import_hostile.py.
"""

import io
import os
import random
import tracemalloc
import zipfile

import openpyxl
import pytest
from flask_babel import force_locale

from app.services.io import importer, spreadsheet
from tests.helpers_xlsx import (
    BILLION_LAUGHS,
    CONTENT_TYPES,
    EXTERNAL_ENTITY,
    MAIN,
    ROWS,
    WORKBOOK,
    row,
    sheet,
    xlsx,
)


def _refusal(app, data: bytes, filename: str = "clients.xlsx") -> str:
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(importer.ImportFileError) as caught:
            importer.read_table(data, filename)
        return str(caught.value)


def _measured(function):
    """Run `function`; return its result (or exception) and the peak of new memory.

    How long it takes is measured by bench/import_hostile.py, not asserted here.
    """
    tracemalloc.start()
    try:
        result = function()
    except Exception as error:  # the caller looks at what was raised
        result = error
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, peak


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.DEFUSEDXML is True, "defusedxml must be installed (requirements.txt)"


def test_a_plain_sheet_reads_its_rows(app):
    table = importer.read_table(xlsx(sheet(ROWS)), "clients.xlsx")
    assert table.headers == ["Название", "ИНН"]
    assert table.rows == [["ООО Альфа", 7707083893], ["ООО Бета", 7736207543]]


@pytest.mark.parametrize("dimension", ["A1:XFD5", "A1:XFD1048576"])
def test_a_declared_dimension_is_ignored(app, dimension):
    data = xlsx(sheet(ROWS, dimension=dimension))
    assert len(data) < 2000
    table, peak = _measured(lambda: importer.read_table(data, "clients.xlsx"))
    assert table.headers == ["Название", "ИНН"]
    assert [len(row) for row in table.rows] == [2, 2]  # not padded to 16,384 columns
    assert peak < 5 * 1024 * 1024


def test_thousands_of_rows_declared_as_wide_as_excel_stay_small(app):
    rows = "".join(row(number, [("A", f"ООО {number}"), ("B", number)])
                   for number in range(2, 4002))
    data = xlsx(sheet(row(1, [("A", "Название"), ("B", "ИНН")]) + rows,
                        dimension="A1:XFD1048576"))
    table, peak = _measured(lambda: importer.read_table(data, "clients.xlsx"))
    assert len(table.rows) == 4000 and {len(row) for row in table.rows} == {2}
    assert peak < 20 * 1024 * 1024, f"{peak / 1e6:.0f} MB"


def test_a_cell_in_the_last_column_does_not_widen_the_rows(app):
    rows = ROWS + row(4, [("A", "ООО Гамма"), ("XFD", "far away")])
    table = importer.read_table(xlsx(sheet(rows)), "clients.xlsx")
    assert max(len(row) for row in table.rows) == 2
    assert table.rows[-1] == ["ООО Гамма"]


def test_reading_stops_at_the_row_limit(app, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 1000)
    rows = "".join(row(number, [("A", f"ООО {number}"), ("B", number)])
                   for number in range(2, 30_002))
    data = xlsx(sheet(row(1, [("A", "Название")]) + rows))
    read = {"cells": 0}
    original = spreadsheet._cell_value

    def counting(parser, element):
        read["cells"] += 1
        return original(parser, element)

    monkeypatch.setattr(spreadsheet, "_cell_value", counting)
    message = _refusal(app, data)
    assert "too many rows: at most 1000" in message
    assert read["cells"] <= 2 * 1002 + 1  # stopped at the limit, not after 30,000 rows


def test_a_row_far_below_is_not_reached_through_empty_rows(app):
    rows = ROWS + row(1_048_576, [("A", "ООО Последняя")])
    table = importer.read_table(xlsx(sheet(rows)), "clients.xlsx")
    assert [row[0] for row in table.rows][-1] == "ООО Последняя"


@pytest.mark.parametrize("part, prolog", [
    ("xl/worksheets/sheet1.xml", BILLION_LAUGHS),
    ("xl/worksheets/sheet1.xml", EXTERNAL_ENTITY),
    ("xl/workbook.xml", BILLION_LAUGHS),
    ("[Content_Types].xml", EXTERNAL_ENTITY),
])
def test_a_dtd_in_any_part_is_refused(app, part, prolog):
    parts = {"xl/worksheets/sheet1.xml": sheet(ROWS), "xl/workbook.xml": WORKBOOK,
             "[Content_Types].xml": CONTENT_TYPES}
    text = parts[part]
    declaration_end = text.index("?>") + 2
    parts[part] = text[:declaration_end] + prolog + text[declaration_end:]
    data = xlsx(parts.pop("xl/worksheets/sheet1.xml"),
                 **{name.replace("/", "__"): value for name, value in parts.items()})
    message = _refusal(app, data)
    assert "DTD" in message


def test_the_entity_guard_holds_without_our_scan(app, monkeypatch):
    """defusedxml refuses entities even where our DTD scan would miss them."""
    monkeypatch.setattr(spreadsheet, "DTD_MARKS", (b"no such mark",))
    laughs = sheet(ROWS, prolog=BILLION_LAUGHS).replace("ООО Альфа", "&lol9;")
    assert "DTD" in _refusal(app, xlsx(laughs))


def test_a_zip_bomb_is_refused_before_it_is_unpacked(app):
    padding = " " * (8 * 1024 * 1024)  # packs about a thousandfold
    data = xlsx(sheet(ROWS).replace("<sheetData>", padding + "<sheetData>"))
    assert len(data) < 64 * 1024
    message, peak = _measured(lambda: _refusal(app, data))
    assert "zip bomb" in message
    assert peak < 5 * 1024 * 1024


@pytest.mark.parametrize("limit, message", [
    ("MAX_PART_BYTES", "A part of the XLSX file unpacks to more than 1 MB"),
    ("MAX_TOTAL_BYTES", "The XLSX file unpacks to more than 1 MB"),
])
def test_a_workbook_unpacking_past_the_size_limits_is_refused(app, monkeypatch, limit,
                                                              message):
    monkeypatch.setattr(spreadsheet, limit, 1024 * 1024)
    noise = random.Random(1)
    rows = "".join(row(number, [("A", noise.getrandbits(60))]) for number in range(2, 40_000))
    assert message in _refusal(app, xlsx(sheet(ROWS + rows)))


def test_shared_strings_have_the_tighter_limit(app, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_STRINGS_BYTES", 1024 * 1024)
    noise = random.Random(2)
    strings = "".join(f"<si><t>{noise.getrandbits(60)}</t></si>" for _ in range(60_000))
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">{strings}</sst>'
    message = _refusal(app, xlsx(sheet(ROWS), **{"xl__sharedStrings.xml": shared}))
    assert "A part of the XLSX file unpacks to more than 1 MB" in message


def test_a_part_holding_more_than_it_declares_is_refused(app):
    data = bytearray(xlsx(sheet(ROWS)))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # Lower the size the central directory declares: zipfile must notice the lie.
    directory = data.rfind(b"PK\x01\x02", 0, data.rfind(b"xl/worksheets/sheet1.xml"))
    data[directory + 24:directory + 28] = (info.file_size // 2).to_bytes(4, "little")
    assert "could not be read as an XLSX" in _refusal(app, bytes(data))


# --- CSV ---------------------------------------------------------------------------------


def test_a_nul_byte_deep_in_a_csv_is_refused_naming_its_line(app):
    lines = ["Название;ИНН"] + [f"ООО {number};" for number in range(5000)]
    lines[3000] = "ООО \x00 Ноль;"
    message = _refusal(app, "\n".join(lines).encode(), "clients.csv")
    assert "Line 3001 holds a NUL byte" in message


def test_a_huge_csv_cell_is_refused_naming_its_line(app):
    text = "Название;ИНН\nООО Альфа;1\n" + "x" * 300_000 + ";2\n"
    message = _refusal(app, text.encode(), "clients.csv")
    assert message.startswith("Line 3 of the CSV file cannot be read")


def test_a_csv_reading_stops_at_the_row_limit(app, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 1000)
    data = ("Название\n" + "".join(f"ООО {number}\n" for number in range(300_000))).encode()
    message, peak = _measured(lambda: _refusal(app, data, "clients.csv"))
    assert "too many rows: at most 1000" in message
    # The text is held once; rows are kept up to the limit, not 300,000 of them (45 MB).
    assert peak < 5 * len(data), f"{peak / 1e6:.1f} MB"


def test_blank_lines_do_not_count_nor_stay(app):
    data = ("Название\n" + "\n" * 500_000 + "ООО Альфа\n").encode()
    table = importer.read_table(data, "clients.csv")
    assert table.rows == [["ООО Альфа"]]


# --- the screen --------------------------------------------------------------------------


def test_a_hostile_upload_answers_400_naming_the_file(app, client, login, tmp_path,
                                                      monkeypatch):
    monkeypatch.setitem(app.config, "CRM_IMPORT_DIR", str(tmp_path / "imports"))
    login("Manager", "anna")
    data = xlsx(sheet(ROWS, prolog=BILLION_LAUGHS))
    response = client.post("/import/?_l_=en", content_type="multipart/form-data",
                           data={"kind": "company", "file": (io.BytesIO(data), "bomb.xlsx")})
    assert response.status_code == 400
    assert "File «bomb.xlsx»" in response.text and "DTD" in response.text
    stored = tmp_path / "imports"
    assert not stored.exists() or not os.listdir(stored)  # nothing kept of a refused file


def test_an_upload_past_the_size_limit_is_refused_before_it_is_read(app, client, login,
                                                                   monkeypatch):
    login("Manager", "anna")
    client.get("/lang/en")
    monkeypatch.setattr(importer, "MAX_BYTES", 1024 * 1024)
    data = b"Name\n" + b"x" * (2 * 1024 * 1024)
    response = client.post("/import/", content_type="multipart/form-data",
                           data={"kind": "company", "file": (io.BytesIO(data), "big.csv")})
    assert response.status_code == 413
    assert "File: too big, at most 1 MB." in response.text
    # The limit is the request's own: another page still takes a normal form.
    assert client.post("/import/", content_type="multipart/form-data", data={
        "kind": "company", "file": (io.BytesIO(b"Name\nAlpha\n"), "ok.csv")}).status_code == 302
