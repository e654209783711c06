"""Write list rows to CSV and XLSX for people: streamed, and safe to open in a spreadsheet.

CSV is UTF-8 with a byte order mark, because Excel reads a CSV without one in the
system's legacy code page (cp1251 in Russia) and garbles Cyrillic. The separator follows
the user's language: ";" for Russian, where Excel's list separator is ";" because the
comma is the decimal separator, and "," for English. Importing accepts both.

A text cell starting with "=", "+", "-", "@", a tab or a carriage return gets a leading
apostrophe in both formats, so that a spreadsheet shows it as text and never runs it as a
formula (CSV injection). The importer removes that apostrophe again.
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from markupsafe import Markup

# Rows fetched from the database at a time while exporting.
EXPORT_BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_ROWS = 500
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's own number formats for dates and times, per language of the user.
XLSX_FORMATS = {
    "ru": {"date": "DD.MM.YYYY", "datetime": "DD.MM.YYYY HH:MM", "money": "#,##0.00"},
    "en": {"date": "M/D/YYYY", "datetime": "M/D/YYYY h:mm AM/PM", "money": "#,##0.00"},
}


def neutralise(text: str) -> str:
    """Return the text with a leading apostrophe if a spreadsheet could take it for a formula."""
    if text and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_separator(language: str) -> str:
    """Return the field separator a spreadsheet in this language expects."""
    return ";" if language == "ru" else ","


def display_text(value, formatter: Callable | None = None) -> str:
    """Return a value as the list screen shows it: through its formatter, never "None"."""
    if formatter is not None:
        value = formatter(value)
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value.striptags()  # a mark the screen shows (overdue) is not data
    return str(value)


def rows_in_own_session(query, open_session: Callable, make_row: Callable) -> Iterator:
    """Yield make_row(record) for the query's records, read in batches from a new session.

    A streamed body is read after the request's session was closed: a query left on
    that session would open a transaction nobody ends ("idle in transaction" on
    PostgreSQL, one pooled connection lost per export). The new session is closed
    however the stream ends: read to the end, cut off by the client, or failing.
    """
    session = open_session()
    try:
        for record in query.with_session(session).yield_per(EXPORT_BATCH):
            yield make_row(record)
    finally:
        session.close()


def iter_csv(headers: list[str], rows: Iterable[list[str]], separator: str) -> Iterator[bytes]:
    """Yield the CSV file in chunks: a byte order mark, the header line, then the rows.

    Only one chunk of rows is held at a time, so memory stays flat however long the list.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow([neutralise(header) for header in headers])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow([neutralise(text) for text in row])
        pending += 1
        if pending >= CSV_CHUNK_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


def xlsx_cell_value(value):
    """Return what an XLSX cell holds: numbers and dates as such, text neutralised."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime | date | int | float | Decimal):
        return value
    return neutralise(str(value))


def write_xlsx(headers: list[str], rows: Iterable[list], title: str, language: str):
    """Write the rows to a temporary XLSX file and return it, rewound, for sending.

    The workbook is write-only: openpyxl streams rows to disk, so memory stays flat.
    Dates, times and amounts stay real values, shown in the user's language's format.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    formats = XLSX_FORMATS.get(language, XLSX_FORMATS["en"])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=neutralise(str(header)))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            cell_value = xlsx_cell_value(value)
            if isinstance(cell_value, datetime | date | Decimal):
                cell = WriteOnlyCell(sheet, value=cell_value)
                cell.number_format = _number_format(cell_value, formats)
                cells.append(cell)
            else:
                cells.append(cell_value)
        sheet.append(cells)
    output = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(output)
    output.seek(0)
    return output


def _number_format(value, formats: dict) -> str:
    if isinstance(value, datetime):
        return formats["datetime"]
    if isinstance(value, date):
        return formats["date"]
    return formats["money"]


def _sheet_title(title: str) -> str:
    """Return a sheet title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in str(title)).strip()
    return (cleaned or "Sheet")[:31]
