"""Read the first sheet of an uploaded XLSX file within fixed bounds, whatever it claims.

An XLSX file is a zip of XML parts, and any of them can be hostile: a declared dimension
of A1:XFD1048576 (openpyxl's reader pads every row to 16,384 cells), millions of rows, a
part that inflates a thousandfold, a DTD with entities (billion laughs, external files).
So, before anything is parsed, the zip's members are counted, their uncompressed sizes
and compression ratios checked, and every XML part is scanned for a DTD, which no
spreadsheet needs. Then the sheet is read by a streaming loop of our own: the declared
dimension is never read, cells past MAX_COLUMNS are skipped, every element is dropped
once read, and reading stops as soon as the row limit is passed. openpyxl still converts
each cell (shared strings, dates by number format) and reads the workbook's small parts,
through defusedxml (openpyxl switches to it when it is installed).

openpyxl pieces used beyond load_workbook (openpyxl is pinned): ExcelReader's
read_manifest, read_strings, read_workbook and parser.find_sheets, apply_stylesheet, and
WorkSheetParser.parse_cell.
"""

import io
import zipfile
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from flask_babel import lazy_gettext as _l

from app.services.errors import DomainError

MB = 1024 * 1024
MAX_MEMBERS = 1000
# The sheet is streamed; other parts are parsed whole, the shared strings into a list of
# Python strings (about four times their XML), so theirs is the tighter limit.
MAX_PART_BYTES = 100 * MB
MAX_STRINGS_BYTES = 40 * MB
MAX_TOTAL_BYTES = 150 * MB
# XML of real sheets packs 5-20 times; a part inflating more than this is a zip bomb.
MAX_RATIO = 100
RATIO_FROM = 1 * MB
MAX_COLUMNS = 200
SCAN_CHUNK = 1 * MB
DTD_MARKS = tuple(mark.encode(encoding) for mark in ("<!DOCTYPE", "<!ENTITY")
                  for encoding in ("utf-8", "utf-16-le", "utf-16-be"))
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW, CELL = MAIN + "row", MAIN + "c"


class ImportFileError(DomainError):
    """The file cannot be read as a table, or the mapping of its columns is not usable."""


def read_first_sheet(data: bytes, max_rows: int) -> list[list]:
    """Return the rows with content of the workbook's first sheet, header row first.

    :raise ImportFileError: if the file is not a workbook, is hostile, or has more than
        `max_rows` rows below its header.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        check_archive(archive)
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        path = _first_sheet_path(reader)
        with reader.archive.open(path) as source:
            return _read_rows(source, reader, max_rows)
    except DefusedXmlException as error:
        raise _dtd_refused() from error
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, KeyError, ValueError,
            OSError, EOFError, IndexError, TypeError, AttributeError, RuntimeError,
            NotImplementedError) as error:
        raise ImportFileError(_l("The file could not be read as an XLSX workbook.")) from error


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip with too many parts, parts too big once unpacked, or a DTD in any part.

    Declared sizes bound what is read: zipfile stops at the declared size and then fails
    the checksum of a part that claims less than it holds.

    :raise ImportFileError: naming what is wrong.
    """
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ImportFileError(_l("The XLSX file has too many parts (%(count)s) for a "
                                 "spreadsheet.", count=len(members)))
    total = 0
    for member in members:
        total += member.file_size
        limit = (MAX_STRINGS_BYTES if member.filename.lower().endswith("sharedstrings.xml")
                 else MAX_PART_BYTES)
        if member.file_size > limit:
            raise ImportFileError(_l("A part of the XLSX file unpacks to more than %(size)s MB:"
                                     " split it into smaller files.", size=limit // MB))
        if total > MAX_TOTAL_BYTES:
            raise ImportFileError(_l("The XLSX file unpacks to more than %(size)s MB: split "
                                     "it into smaller files.", size=MAX_TOTAL_BYTES // MB))
        if (member.file_size > RATIO_FROM
                and member.file_size > MAX_RATIO * max(member.compress_size, 1)):
            raise ImportFileError(_l("The XLSX file unpacks %(ratio)s times its size, as a zip "
                                     "bomb does: it is refused.",
                                     ratio=member.file_size // max(member.compress_size, 1)))
    for member in members:
        if member.filename.lower().endswith((".xml", ".rels")):
            _refuse_dtd(archive, member)


def _refuse_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Scan a part for a DTD or an entity declaration, chunk by chunk."""
    tail = b""
    with archive.open(member) as part:
        while chunk := part.read(SCAN_CHUNK):
            window = tail + chunk
            if any(mark in window for mark in DTD_MARKS):
                raise _dtd_refused()
            tail = window[-32:]


def _dtd_refused() -> ImportFileError:
    return ImportFileError(_l("The XLSX file carries a DTD (document type declaration), "
                              "which spreadsheets never need and attacks use: it is refused."))


def _first_sheet_path(reader) -> str:
    for _sheet, relation in reader.parser.find_sheets():
        if relation.target in reader.valid_files and "chartsheet" not in relation.Type:
            return relation.target
    raise ImportFileError(_l("The file is empty."))


def _read_rows(source, reader, max_rows: int) -> list[list]:
    """Stream the sheet's XML: keep the rows with content, drop every element once read."""
    from openpyxl.worksheet._reader import WorkSheetParser

    wb = reader.wb
    parser = WorkSheetParser(None, reader.shared_strings, data_only=True, epoch=wb.epoch,
                             date_formats=wb._date_formats,
                             timedelta_formats=wb._timedelta_formats)
    rows: list[list] = []
    values: dict[int, object] = {}
    stack: list = []
    cell_depth = 0  # > 0 inside a cell, whose value elements parse_cell still needs
    for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
        if event == "start":
            stack.append(element)
            if element.tag == CELL:
                cell_depth += 1
            elif element.tag == ROW:
                parser.row_counter = _row_number(element.get("r"), parser.row_counter)
                parser.col_counter = 0
                values = {}
            continue
        stack.pop()
        if element.tag == CELL:
            cell_depth -= 1
            column, value = _cell_value(parser, element)
            if value is not None and value != "":
                values[column] = value
        elif element.tag == ROW and values:
            row = [None] * max(values)
            for column, value in values.items():
                row[column - 1] = value
            rows.append(row)
            if len(rows) > max_rows + 1:
                raise ImportFileError(_l("The file has too many rows: at most %(count)s.",
                                         count=max_rows))
        if cell_depth == 0 and stack:
            stack[-1].remove(element)
            element.clear()
    return rows


def _cell_value(parser, element) -> tuple[int, object]:
    """Return a cell's column and value; past MAX_COLUMNS the value is not even read."""
    from openpyxl.utils.cell import coordinate_to_tuple

    coordinate = element.get("r")
    column = coordinate_to_tuple(coordinate)[1] if coordinate else parser.col_counter + 1
    parser.col_counter = column
    if column > MAX_COLUMNS:
        return column, None
    return column, parser.parse_cell(element)["value"]


def _row_number(text: str | None, previous: int) -> int:
    """Return a row's number from its r attribute, or the next one when it has none."""
    if not text:
        return previous + 1
    number = int(text)
    if not 1 <= number <= 1_048_576:
        raise ValueError(text)
    return number
