"""Benchmark: how long the import takes to read or refuse hostile files.

    python -m bench.import_hostile

Each file is the one tests/test_import_hostile.py checks for its answer and its memory
(a sheet declared as wide as Excel, a row a million lines down, a DTD, a zip bomb, half a
million blank CSV lines, a CSV past the row limit). Here each is timed (the median of a
few runs) against the time a user can wait for an upload's answer; it exits with an error
when one takes longer.
"""

import statistics
import sys
import time

from app.services.io import importer
from tests.helpers_xlsx import BILLION_LAUGHS, ROWS, row, sheet, xlsx

RUNS = 3
LIMIT_SECONDS = 1.0
# Half a million lines are read one by one before the one row is found.
LIMITS = {"500,000 blank CSV lines": 2.0}


def files() -> dict[str, tuple[bytes, str]]:
    """Return {what: (file content, file name)} of the hostile files."""
    padding = " " * (8 * 1024 * 1024)
    return {
        "dimension A1:XFD1048576": (xlsx(sheet(ROWS, dimension="A1:XFD1048576")),
                                    "clients.xlsx"),
        "a row 1,048,576 lines down": (
            xlsx(sheet(ROWS + row(1_048_576, [("A", "ООО Последняя")]))), "clients.xlsx"),
        "a DTD (billion laughs)": (xlsx(sheet(ROWS, prolog=BILLION_LAUGHS)), "clients.xlsx"),
        "a zip bomb": (xlsx(sheet(ROWS).replace("<sheetData>", padding + "<sheetData>")),
                       "clients.xlsx"),
        "500,000 blank CSV lines": (("Название\n" + "\n" * 500_000 + "ООО Альфа\n").encode(),
                                    "clients.csv"),
        "300,000 CSV rows (limit 1,000)": (
            ("Название\n" + "".join(f"ООО {n}\n" for n in range(300_000))).encode(),
            "clients.csv"),
    }


def seconds_to_read(data: bytes, filename: str) -> float:
    """Return the seconds one reading (or refusal) of the file takes."""
    started = time.perf_counter()
    try:
        importer.read_table(data, filename)
    except importer.ImportFileError:
        pass  # a refusal is the expected answer for most of them
    return time.perf_counter() - started


def main() -> None:
    original_limit = importer.MAX_ROWS
    importer.MAX_ROWS = 1000  # as the test of the row limit sets it
    slow = []
    try:
        for what, (data, filename) in files().items():
            median = statistics.median(seconds_to_read(data, filename) for _ in range(RUNS))
            print(f"{what:40} {median:6.3f} s")
            if median > LIMITS.get(what, LIMIT_SECONDS):
                slow.append(what)
    finally:
        importer.MAX_ROWS = original_limit
    if slow:
        sys.exit(f"slower than allowed: {', '.join(slow)}")


if __name__ == "__main__":
    main()
