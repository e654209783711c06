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

    Accepted: one leading "/", no backslash, whitespace or control character anywhere as
    written; the path (before "?" or "#") keeps to that after each round of
    percent-decoding too (browsers read `/%09/evil.com` as `//evil.com`). The query may
    hold encoded spaces: a list searched for «ООО Ромашка» is a place to come back to.
    """
    if not isinstance(target, str) or not target or not _is_local_path(target):
        return default
    path = target.split("#", 1)[0].split("?", 1)[0]
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(path)
        if decoded == path:
            return target
        if not _is_local_path(decoded):
            return default
        path = decoded
    return target if unquote(path) == path else default
