"""Reading the translation catalogues and the text a user sees on a page."""

import io
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ("ru", "en")


def po_path(language: str) -> Path:
    """Return the path of the language's .po catalogue."""
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def read_catalog(language: str):
    """Read the language's .po catalogue."""
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def compile_catalogues() -> list[Path]:
    """Compile each .po into its .mo when the .mo is missing or older; return those written.

    The same job as `make translations`, so that a test run never reads stale catalogues.
    """
    written = []
    for language in LANGUAGES:
        source = po_path(language)
        mo_path = source.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= source.stat().st_mtime:
            continue
        catalog = read_catalog(language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        mo_path.write_bytes(buffer.getvalue())
        written.append(mo_path)
    return written


class _VisibleText(HTMLParser):
    """Collect what a user can read: text, tooltips, placeholders; script strings aside."""

    ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "data-original-title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.scripts: list[str] = []
        self._skip: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style"):
            self._skip = tag
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.parts.append(value)
            if (
                tag == "input"
                and name == "value"
                and value
                and (("type", "submit") in attrs or ("type", "button") in attrs)
            ):
                self.parts.append(value)

    def handle_endtag(self, tag) -> None:
        if tag == self._skip:
            self._skip = None

    def handle_data(self, data) -> None:
        if self._skip == "script":
            self.scripts.append(data)
        elif self._skip is None:
            self.parts.append(data)


def visible_text(html: str) -> tuple[str, str]:
    """Return the page's readable text, and its scripts' source, as one line each."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    text = " | ".join(" ".join(part.split()) for part in parser.parts if part.strip())
    return text, "\n".join(parser.scripts)
