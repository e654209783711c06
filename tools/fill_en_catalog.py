"""Fill the English catalogue: every msgstr becomes its msgid, and nothing stays fuzzy.

Our msgids are English already, so the English catalogue repeats them; filling it keeps
the "no empty translation" check of the tests green after `make catalog` adds new msgids.
Run it after `make catalog`:

    .venv/bin/python tools/fill_en_catalog.py
"""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def fill(path: Path = CATALOG) -> int:
    """Copy each msgid into its msgstr and drop fuzzy flags; return how many changed."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    changed = 0
    for message in catalog:
        if not message.id:
            continue
        # A plural entry (ngettext) takes its singular and plural msgids as its two forms.
        wanted = tuple(message.id) if message.pluralizable else message.id
        if message.string != wanted or message.fuzzy:
            message.string = wanted
            message.flags.discard("fuzzy")
            changed += 1
    catalog.fuzzy = False
    with path.open("wb") as handle:
        write_po(handle, catalog, width=76)
    return changed


if __name__ == "__main__":
    count = fill(Path(sys.argv[1]) if len(sys.argv) > 1 else CATALOG)
    print(f"{count} English entries filled")
