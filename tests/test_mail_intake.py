"""Letters to the sales mailbox reach the inbox or their client's feed, each exactly once."""

from email.message import EmailMessage

import pytest
from sqlalchemy import select, text

from app.models import InboxItem, Task
from app.models.inbox_item import week_number
from app.services.io import mail_intake
from app.services.io.mail_intake import pull_mail
from tests.helpers import ON_POSTGRESQL, count
from tests.helpers_imap import letter as any_letter


def letter(body="Добрый день! Пришлите прайс на стулья.", **fields) -> EmailMessage:
    """A letter from Irina of «Весна», a client (or not yet) of the CRM."""
    fields = {"sender": "Ирина Соколова", "address": "irina@vesna.example",
              "subject": "Прайс", "message_id": "<m1@vesna.example>", **fields}
    return any_letter(body, **fields)


@pytest.fixture
def anna(make_user):
    return make_user("Manager", "anna")


def pull(session, mailbox):
    return pull_mail(session, mailbox, answer_minutes=15)


def test_an_unknown_sender_becomes_a_new_lead_with_an_answer_task(
        session, imap_server, mailbox, anna):
    imap_server.deliver(letter())
    assert pull(session, mailbox) == 1
    item = session.scalars(select(InboxItem)).one()
    assert (item.source, item.state, item.owner_id) == ("email", "new", anna.id)
    assert (item.name, item.email) == ("Ирина Соколова", "irina@vesna.example")
    assert item.message == "Добрый день! Пришлите прайс на стулья."
    assert item.details["subject"] == "Прайс"
    # The week it arrived in, kept for the speed-to-lead report.
    assert (item.received_week, item.answer_seconds) == (
        week_number(item.received_at.date()), None)
    task = session.scalars(select(Task).where(Task.inbox_item_id == item.id)).one()
    assert (task.type, task.state, task.owner_id) == ("email", "planned", anna.id)
    assert "Ирина Соколова" in task.subject and "Прайс" in task.subject


def test_a_letter_from_a_known_contact_joins_its_client(
        session, imap_server, mailbox, anna, make_user, make_company, make_contact):
    boris = make_user("Manager", "boris")
    company = make_company(boris, "ООО Весна")
    make_contact(boris, "Соколова", company=company, email="Irina@Vesna.example")
    imap_server.deliver(letter())
    pull(session, mailbox)
    item = session.scalars(select(InboxItem)).one()
    assert (item.state, item.owner_id, item.company_id) == ("linked", boris.id, company.id)
    task = session.scalars(select(Task)).one()
    assert (task.owner_id, task.company_id) == (boris.id, company.id)
    assert task.notes == "Добрый день! Пришлите прайс на стулья."


def test_the_same_letter_twice_is_stored_once(session, imap_server, mailbox, anna):
    imap_server.deliver(letter())
    imap_server.deliver(letter(body="Та же копия"))
    assert pull(session, mailbox) == 2
    assert count(session, InboxItem) == 1 and count(session, Task) == 1
    assert pull(session, mailbox) == 0


def test_a_script_in_an_html_letter_never_reaches_the_page(
        session, client, login, imap_server, mailbox, make_user):
    html = ("<p>Нужна <b>консультация</b></p><script>alert('x')</script>"
            "<a href=\"javascript:alert(1)\">ссылка</a>")
    imap_server.deliver(letter(None, html=html))
    login("Manager", "anna")
    pull(session, mailbox)
    item = session.scalars(select(InboxItem)).one()
    assert "консультация" in item.message and "alert" not in item.message
    page = client.get(f"/inbox/{item.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "консультация" in body and "alert(" not in body


def test_a_cp1251_letter_is_read_in_cyrillic(session, imap_server, mailbox, anna):
    imap_server.deliver(letter("Нужна доставка в Тверь", charset="cp1251"))
    pull(session, mailbox)
    assert session.scalars(select(InboxItem)).one().message == "Нужна доставка в Тверь"


def test_an_attachment_is_counted_never_stored(session, imap_server, mailbox, anna):
    message = letter()
    message.add_attachment(b"MZ\x90\x00 not a program", maintype="application",
                           subtype="octet-stream", filename="invoice.exe")
    imap_server.deliver(message)
    pull(session, mailbox)
    item = session.scalars(select(InboxItem)).one()
    assert item.details["attachments"] == 1 and "MZ" not in (item.message or "")


def test_the_command_reads_the_mailbox_once(app, session, imap_server, mailbox, anna,
                                           monkeypatch):
    for key, value in {"CRM_IMAP_HOST": mailbox.host, "CRM_IMAP_PORT": str(mailbox.port),
                       "CRM_IMAP_USER": mailbox.user, "CRM_IMAP_PASSWORD": mailbox.password,
                       "CRM_IMAP_SSL": "false"}.items():
        monkeypatch.setitem(app.config, key, value)
    imap_server.deliver(letter())
    result = app.test_cli_runner().invoke(args=["crm", "intake"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    assert count(session, InboxItem) == 1


def test_the_command_without_a_mailbox_says_what_to_set(app, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_IMAP_HOST", "")
    result = app.test_cli_runner().invoke(args=["crm", "intake"])
    assert result.exit_code != 0 and "CRM_IMAP_HOST" in result.output


def test_an_unreachable_mailbox_is_a_clear_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_IMAP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "CRM_IMAP_PORT", "9")  # discard: nothing listens
    monkeypatch.setitem(app.config, "CRM_IMAP_SSL", "false")
    result = app.test_cli_runner().invoke(args=["crm", "intake"])
    assert result.exit_code != 0 and "CRM_IMAP" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.postgresql_only(reason="the reader's lock is PostgreSQL's advisory lock")
def test_a_second_reader_waits_its_turn(app, session, imap_server, mailbox, anna):
    imap_server.deliver(letter())
    engine = session.get_bind()
    with engine.connect() as other:
        assert other.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                            {"key": mail_intake.READER_LOCK})
        assert pull(session, mailbox) is None
        other.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": mail_intake.READER_LOCK})
        other.rollback()
    assert imap_server.count(criteria="UNSEEN") == 1
    assert pull(session, mailbox) == 1
    assert ON_POSTGRESQL
