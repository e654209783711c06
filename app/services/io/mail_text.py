"""What a client wrote in an e-mail: plain text, without the quoted letter and signature.

HTML bodies become plain text (scripts, styles and markup dropped), so nothing a sender
writes can ever run on a page; the text is then cut at the quoted earlier letter and at
the signature by mail-parser-reply, taught Russian mail clients' header lines here.
"""

import re

from inscriptis import get_text
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

# What a stored message may hold at most: a letter, not an attached book.
MAX_TEXT = 10_000

# mail-parser-reply keeps its languages in this table and reads them on every parse.
MAIL_LANGUAGES.setdefault("ru", {
    # "6 дек. 2026 г., в 10:00, Иван Петров <ivan@example.ru> написал(а):"
    "wrote_header": r"^(" + QUOTED_MATCH_INCLUDE + r".{0,200}?\sнаписал(?:а|\(а\))?:)$",
    # Outlook in Russian: "От: ... / Отправлено: ... / Кому: ... / Тема: ..."
    "from_header": r"((?:(?:^|\n|\n" + QUOTED_MATCH_INCLUDE
                   + r")[* ]*(?:От|Отправлено|Кому|Тема|Дата|Копия):[ *]*(?:\s{,2}).*){2,}"
                   r"(?:\n.*){,1})",
    "disclaimers": [r"Конфиденциально:", r"Внимание:"],
    "signatures": [r"С уважением", r"С наилучшими пожеланиями", r"Всего доброго",
                   r"Спасибо,"],
    "sent_from": r"Отправлено с|Отправлено из",
})

_PARSER = EmailReplyParser(languages=["ru", "en"])
_TRAILING_QUOTE = re.compile(r"(?:\n[ \t]*>.*)+\s*\Z")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML body, without any markup or script."""
    return get_text(html or "")


def clean(text: str) -> str:
    """Return text fit to store: no NUL or lone surrogates, tidy lines, at most MAX_TEXT."""
    text = _UNSTORABLE.sub("", text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in text.split("\n")))
    return text.strip()[:MAX_TEXT]


def latest_reply(text: str) -> str:
    """Return what the sender wrote this time: no quoted letter below it, no signature."""
    text = clean(text)
    if not text:
        return ""
    message = _PARSER.read(text=text)
    reply = message.replies[0].body if message.replies else text
    # A bare quoted block with no header line before it ("> ...") is the earlier letter too.
    reply = _TRAILING_QUOTE.sub("", "\n" + reply).strip()
    return reply or text


def body_text(plain: str | None, html: str | None) -> str:
    """Return the message's own text from its plain or (failing that) its HTML body."""
    text = plain if (plain or "").strip() else html_to_text(html or "")
    return latest_reply(text)
