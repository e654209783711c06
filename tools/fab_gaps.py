"""List Flask-AppBuilder's screen texts that its catalogue leaves without a translation.

FAB's own msgids are extracted from its installed sources and templates and looked up in
its catalogue for the language; the gaps it prints (missing, empty or fuzzy) belong in
app/fab_strings.py so that our catalogue translates them. Run it after upgrading FAB:

    .venv/bin/python tools/fab_gaps.py [language]   (ru by default)
"""

import sys
from pathlib import Path

import flask_appbuilder
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_python
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
FAB_DIR = Path(flask_appbuilder.__file__).resolve().parent
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "__": None}
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def fab_msgids() -> dict[str, list[str]]:
    """Return every msgid FAB's code and templates use, with where they use it."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(FAB_DIR), METHOD_MAP, keywords=KEYWORDS
    ):
        message_id = message if isinstance(message, str) else message[0]
        if message_id:
            found.setdefault(message_id, []).append(f"{filename}:{lineno}")
    return found


def gaps(language: str = "ru") -> list[tuple[str, str, str]]:
    """Return (msgid, problem, first use) for each FAB msgid its catalogue does not cover."""
    path = FAB_DIR / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    result = []
    for message_id, where in sorted(fab_msgids().items()):
        message = catalog.get(message_id)
        if message is None:
            problem = "missing"
        elif message.fuzzy:
            problem = "fuzzy"
        elif not message.string or (
            isinstance(message.string, (list, tuple)) and not all(message.string)
        ):
            problem = "empty"
        else:
            continue
        result.append((message_id, problem, where[0]))
    return result


def listed_in_fab_strings() -> set[str]:
    """Return the msgids app/fab_strings.py already lists."""
    path = ROOT / "app" / "fab_strings.py"
    with path.open("rb") as handle:
        return {
            message if isinstance(message, str) else message[0]
            for _lineno, _function, message, _comments in extract_python(
                handle, {"lazy_gettext": None}, [], {}
            )
        }


def main(language: str = "ru") -> int:
    listed = listed_in_fab_strings()
    found = gaps(language)
    for message_id, problem, where in found:
        mark = "listed" if message_id in listed else "TO ADD"
        print(f"{mark:7} {problem:8} {message_id!r}  ({where})")
    to_add = sum(message_id not in listed for message_id, _problem, _where in found)
    print(f"{len(found)} gaps in FAB's {language} catalogue, {to_add} not in app/fab_strings.py")
    return 1 if to_add else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
