"""The sales mailbox into the inbox: each unread letter stored once, by one reader at a time.

Several hosts may run `crm intake` at once: on PostgreSQL an advisory lock lets one read
while the others skip their turn; on either database a letter is stored once by its
Message-ID, so a letter read twice (a crash before it was flagged read) adds nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.services.io.mailbox import IncomingMail, MailboxSettings, read_unseen
from app.services.rules import intake
from app.services.rules.visibility import SYSTEM

# The advisory lock's key: any number no other part of the CRM uses ("mail" in ASCII).
READER_LOCK = 0x6D61696C


@contextmanager
def one_reader(session: Session) -> Iterator[bool]:
    """Yield whether this process is the mailbox's only reader now (PostgreSQL's lock)."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        yield True
        return
    # A connection of its own: the session commits letter by letter, the lock stays.
    with engine.connect() as connection:
        mine = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                      {"key": READER_LOCK}))
        try:
            yield mine
        finally:
            if mine:
                connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": READER_LOCK})
            connection.rollback()


def letter_of(mail: IncomingMail) -> intake.Letter:
    """Return what the inbox rules take from a letter read off the mailbox."""
    return intake.Letter(message_id=mail.message_id, sender_name=mail.sender_name or None,
                         sender_email=mail.sender_email or None, subject=mail.subject or None,
                         text=mail.text or None, sent_at=mail.received_at,
                         attachments=mail.attachments)


def pull_mail(session: Session, settings: MailboxSettings, *, answer_minutes: int) -> int | None:
    """Store the mailbox's unread letters; return how many, or None if another reader runs."""
    with one_reader(session) as mine:
        if not mine:
            return None

        def store(mail: IncomingMail) -> None:
            intake.receive_mail(session, SYSTEM, letter_of(mail), answer_minutes=answer_minutes)

        return read_unseen(settings, store)
