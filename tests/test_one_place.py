"""Each of these rules is written once; a second copy is how two screens come to disagree."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from app.services.rules.validation import clean_amount

APP = Path(__file__).resolve().parent.parent / "app"


def _places(pattern: str) -> list[str]:
    """Return `file:line` of every line of the app's code matching `pattern`."""
    compiled = re.compile(pattern)
    return [
        f"{path.relative_to(APP).as_posix()}:{number}"
        for path in sorted(APP.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if compiled.search(line)
    ]


@pytest.mark.parametrize(("pattern", "where"), [
    # "Is this stage open": Stage.is_open, in Python and in SQL alike.
    (r"\.kind\s*[!=]=\s*StageKind\.OPEN\.value", ["models/stage.py"]),
    # The id bound, and the amount bound, defined once.
    (r"^\s*MAX_ID\s*=", ["services/rules/validation.py"]),
    (r"^\s*MAX_AMOUNT\s*=|1e12", ["services/rules/validation.py"]),
    # Amounts typed with a comma and group spaces: read by one function.
    (r"""replace\(["'],["'],\s*["']\.["']\)""", ["services/rules/validation.py"]),
    # Every redirect to a `next` address goes through one check.
    (r"^\s*def\s+safe_next\b|\bunquote\(", ["redirects.py"]),
])
def test_written_in_one_place(pattern, where):
    places = _places(pattern)
    assert places, f"the pattern no longer finds its one place: {pattern}"
    assert sorted({place.split(":")[0] for place in places}) == where


@pytest.mark.parametrize("typed", ["150 000,50", "150\u00a0000,50", "150\u202f000.50",
                                   "150000.50"])
def test_an_amount_reads_the_same_however_its_groups_are_spaced(typed):
    assert clean_amount(typed) == Decimal("150000.50")
