"""The one check every `?next=` goes through before the CRM redirects to it."""

import unicodedata
from urllib.parse import unquote, urlsplit

# Percent-decoding repeated this many times uncovers any double-encoded trick.
_DECODE_ROUNDS = 3


def _is_hidden(char: str) -> bool:
    """Tell whether a character is whitespace or a control, format or unassigned one."""
    return char.isspace() or unicodedata.category(char)[0] in ("C", "Z")


def _is_local_path(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return False
    if any(_is_hidden(char) for char in text):
        return False
    parts = urlsplit(text)
    return not (parts.scheme or parts.netloc)


def safe_next(target, default: str) -> str:
    """Return `target` if it is a path of this site, else `default`.

    Accepted: one leading "/", then no backslash, whitespace or control character and no
    scheme or host, as written and after each round of percent-decoding (browsers read
    `/%09/evil.com` as `//evil.com`).
    """
    if not isinstance(target, str) or not target:
        return default
    text = target
    for _ in range(_DECODE_ROUNDS):
        if not _is_local_path(text):
            return default
        decoded = unquote(text)
        if decoded == text:
            return target
        text = decoded
    return target if _is_local_path(text) and unquote(text) == text else default
