"""The sales mailbox read over IMAP: unread letters as IncomingMail, flagged read once stored.

A letter is flagged read only after the callback stored it, so a failure in between reads
it again next time; storing is idempotent by Message-ID, so reading twice adds nothing.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessageFlags
from imap_tools.message import MailMessage

from app.services.io.mail_text import body_text, clean

# Letters read per run at most: a flood waits for the next run instead of one long one.
BATCH = 200
MAX_SUBJECT = 255


@dataclass(frozen=True)
class MailboxSettings:
    """Where the mailbox is and how to log in (CRM_IMAP_* settings)."""

    host: str
    user: str
    password: str
    port: int = 993
    folder: str = "INBOX"
    ssl: bool = True

    @classmethod
    def from_config(cls, config: Mapping) -> "MailboxSettings | None":
        """Return the settings, or None when no mailbox is configured."""
        host = (config.get("CRM_IMAP_HOST") or "").strip()
        if not host:
            return None
        ssl = str(config.get("CRM_IMAP_SSL", "true")).lower() not in ("0", "false", "no")
        return cls(host=host, user=config.get("CRM_IMAP_USER") or "",
                   password=config.get("CRM_IMAP_PASSWORD") or "",
                   port=int(config.get("CRM_IMAP_PORT") or (993 if ssl else 143)),
                   folder=config.get("CRM_IMAP_FOLDER") or "INBOX", ssl=ssl)


@dataclass(frozen=True)
class IncomingMail:
    """One letter as the inbox stores it: who wrote, about what, and their own words."""

    message_id: str
    sender_name: str
    sender_email: str
    subject: str
    text: str
    received_at: datetime | None
    attachments: int


def _message_id(message: MailMessage) -> str:
    found = " ".join(message.headers.get("message-id", ())).strip()
    if found:
        return found[:255]
    # A letter without Message-ID is still read once: its own bytes name it.
    return "sha256:" + hashlib.sha256(message.obj.as_bytes()).hexdigest()


def _received_at(message: MailMessage) -> datetime | None:
    moment = message.date
    if moment is None or moment.year < 1990:
        return None
    return moment


def to_incoming(message: MailMessage) -> IncomingMail:
    """Return what the inbox keeps of a letter; attachments are counted, never stored."""
    sender = message.from_values
    return IncomingMail(
        message_id=_message_id(message),
        sender_name=clean(sender.name if sender else "")[:255],
        sender_email=clean(sender.email if sender else "").lower()[:255],
        subject=clean(message.subject)[:MAX_SUBJECT],
        text=body_text(message.text, message.html),
        received_at=_received_at(message),
        attachments=len(message.attachments),
    )


def _open(settings: MailboxSettings):
    box = (MailBox(settings.host, settings.port) if settings.ssl
           else MailBoxUnencrypted(settings.host, settings.port))
    return box.login(settings.user, settings.password, initial_folder=settings.folder)


def read_unseen(settings: MailboxSettings, store: Callable[[IncomingMail], None],
                limit: int = BATCH) -> int:
    """Hand each unread letter to `store`, then flag it read; return how many were stored."""
    stored = 0
    with _open(settings) as box:
        for message in box.fetch(AND(seen=False), mark_seen=False, limit=limit):
            store(to_incoming(message))
            box.flag(message.uid, MailMessageFlags.SEEN, True)
            stored += 1
    return stored

