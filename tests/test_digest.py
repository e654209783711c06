"""The morning digest: what each manager gets by e-mail, in their language, and nothing else."""

import email
import logging
import smtplib
from datetime import datetime, timedelta
from email import policy

import pytest

from app.models import UserProfile
from app.models.mixins import local_now
from app.services.io import digest
from app.services.io.digest import MailSettings

NOW = datetime(2030, 3, 14, 9, 0)
BASE_URL = "http://crm.example.com"
SMTP = MailSettings(
    server="smtp.example.com",
    port=587,
    username="crm",
    password="pw",
    use_tls=True,
    sender="CRM <crm@example.com>",
)


@pytest.fixture
def outbox(monkeypatch):
    """Replace smtplib.SMTP by a fake server; return what it received and how."""
    box = {"connections": [], "messages": [], "refuse": set()}

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float | None = None) -> None:
            self.connection = {"host": host, "port": port, "tls": False, "login": None}
            box["connections"].append(self.connection)

        def __enter__(self):
            return self

        def __exit__(self, *exc_info) -> None:
            self.connection["closed"] = True

        def starttls(self, context=None) -> None:
            self.connection["tls"] = True

        def login(self, username: str, password: str) -> None:
            self.connection["login"] = (username, password)

        def send_message(self, message) -> None:
            address = message["To"].addresses[0].addr_spec
            if address in box["refuse"]:
                raise smtplib.SMTPRecipientsRefused({address: (550, b"No such user")})
            box["messages"].append(message.as_bytes())

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return box


@pytest.fixture
def digest_log(caplog, monkeypatch):
    """Capture the digest's log at INFO level.

    The migrations' logging set-up (run in-process by the `app` fixture) disables the
    loggers that exist by then; switch this one back on for the test.
    """
    monkeypatch.setattr(digest.log, "disabled", False)
    caplog.set_level(logging.INFO, logger=digest.log.name)
    return lambda: [r for r in caplog.records if r.name == digest.log.name]


def _parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def _by_recipient(raw_messages) -> dict:
    parsed = [_parse(raw) for raw in raw_messages]
    return {message["To"].addresses[0].addr_spec: message for message in parsed}


def _send(session, now=NOW, mail=SMTP):
    return digest.send_digests(session, now, mail, base_url=BASE_URL)


def _choose_language(session, user, language: str) -> None:
    session.add(UserProfile(user_id=user.id, locale=language))
    session.commit()


@pytest.fixture
def busy_manager(make_user, make_company, make_contact, make_deal, make_task):
    """A manager with one overdue and one today's task, other tasks, and two forgotten clients."""
    manager = make_user("Manager", "anna")
    vector = make_company(manager, "Вектор")
    deal = make_deal(manager, company=vector, title="Поставка станков")
    overdue = make_task(
        manager,
        company=vector,
        subject="Позвонить в Вектор",
        due_at=NOW - timedelta(days=1, hours=-1),
    )
    today = make_task(
        manager,
        company=vector,
        deal=deal,
        subject="Отправить КП",
        type="email",
        due_at=NOW + timedelta(hours=2),
    )
    make_task(
        manager, company=vector, subject="Встреча через неделю", due_at=NOW + timedelta(days=7)
    )
    make_task(
        manager,
        company=vector,
        subject="Старый звонок",
        state="done",
        result="Поговорили",
        due_at=NOW - timedelta(days=2),
    )
    make_task(
        manager,
        company=vector,
        subject="Отменённый звонок",
        state="cancelled",
        due_at=NOW - timedelta(hours=3),
    )
    make_task(
        manager,
        company=vector,
        subject="Архивный звонок",
        archived=True,
        due_at=NOW - timedelta(hours=4),
    )
    make_company(manager, "Забытая")
    make_contact(manager, "Сидорова")
    return {"user": manager, "overdue": overdue, "today": today}


def test_digest_in_russian_with_tasks_links_and_queue(session, busy_manager, outbox):
    manager = busy_manager["user"]
    report = _send(session)
    assert (report.sent, report.logged, report.failed) == (1, 0, 0)
    assert outbox["connections"] == [
        {
            "host": "smtp.example.com",
            "port": 587,
            "tls": True,
            "login": ("crm", "pw"),
            "closed": True,
        }
    ]
    message = _by_recipient(outbox["messages"])[manager.email]
    assert message["From"] == "CRM <crm@example.com>"
    assert message["Subject"] == "Ваш день в CRM, 14.03.2030"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert body.startswith("Здравствуйте, Anna!")
    overdue, today = busy_manager["overdue"], busy_manager["today"]
    assert "1 просроченная задача:\n• 13.03.2030 10:00 — Звонок: Позвонить в Вектор\n" in body
    assert f"  Компания: Вектор\n  {BASE_URL}/taskview/show/{overdue.id}\n" in body
    assert "1 задача на сегодня:\n• 14.03.2030 11:00 — Эл. почта: Отправить КП\n" in body
    assert "  Сделка: Поставка станков\n" in body
    assert f"{BASE_URL}/taskview/show/{today.id}" in body
    assert f"2 клиента или сделки без следующей задачи: {BASE_URL}/queue/" in body
    assert f"Мой день: {BASE_URL}/" in body
    for absent in ("Встреча через неделю", "Старый звонок", "Отменённый", "Архивный"):
        assert absent not in body


def test_digest_in_english_for_a_user_who_chose_it(session, busy_manager, outbox):
    manager = busy_manager["user"]
    _choose_language(session, manager, "en")
    _send(session)
    message = _by_recipient(outbox["messages"])[manager.email]
    assert message["Subject"].startswith("Your day in the CRM, ")
    assert message["Content-Language"] == "en"
    body = message.get_content()
    assert body.startswith("Hello, Anna!")
    assert "1 overdue task:\n• 3/13/2030, 10:00 AM — Call: Позвонить в Вектор\n" in body
    assert "1 task for today:\n" in body and "  Deal: Поставка станков\n" in body
    assert "2 clients or deals without a next task" in body
    assert "Здравствуйте" not in body and "задач" not in body


@pytest.mark.parametrize(
    ("count", "heading"),
    [
        (1, "1 просроченная задача:"),
        (3, "3 просроченные задачи:"),
        (5, "5 просроченных задач:"),
        (21, "21 просроченная задача:"),
    ],
)
def test_russian_plural_forms(session, make_user, make_company, make_task, outbox, count, heading):
    manager = make_user()
    company = make_company(manager)
    for number in range(count):
        make_task(
            manager,
            company=company,
            subject=f"Звонок {number}",
            due_at=NOW - timedelta(hours=number + 1),
        )
    _send(session)
    body = _parse(outbox["messages"][0]).get_content()
    assert heading in body


def test_long_lists_are_cut_with_a_count_of_the_rest(session, make_user, make_company, make_task):
    manager = make_user()
    company = make_company(manager)
    for number in range(4):
        make_task(
            manager,
            company=company,
            subject=f"Звонок {number}",
            due_at=NOW - timedelta(hours=number + 1),
        )
    collected = digest.collect_digest(session, manager, NOW, "ru", limit=2)
    assert collected.overdue_count == 4 and len(collected.overdue) == 2
    body = _parse(
        digest.compose_message(collected, NOW, BASE_URL, "crm@example.com").as_bytes()
    ).get_content()
    assert "4 просроченные задачи:" in body and "…и ещё 2 задачи" in body


def test_users_with_nothing_to_do_get_nothing(session, make_user, make_company, make_task, outbox):
    calm = make_user("Manager")
    make_task(calm, company=make_company(calm, "Спокойная"), due_at=NOW + timedelta(days=3))
    gone = make_user("Manager", active=False)
    make_task(gone, company=make_company(gone, "Ушедшего"), due_at=NOW - timedelta(days=1))
    admin = make_user("Admin")
    make_task(admin, company=make_company(admin, "Админская"), due_at=NOW - timedelta(days=1))
    report = _send(session)
    assert (report.sent, report.logged, report.failed) == (0, 0, 0)
    assert outbox["connections"] == [] and outbox["messages"] == []


def test_no_one_sees_another_managers_tasks(session, make_user, make_company, make_task, outbox):
    anna, boris, head = make_user("Manager"), make_user("Manager"), make_user("Head")
    make_task(
        anna,
        company=make_company(anna, "Клиент Анны"),
        subject="Задача Анны",
        due_at=NOW - timedelta(hours=1),
    )
    make_task(
        boris,
        company=make_company(boris, "Клиент Бориса"),
        subject="Задача Бориса",
        due_at=NOW + timedelta(hours=1),
    )
    make_company(anna, "Забытая Анной")
    make_company(boris, "Забытая Борисом")
    make_company(boris, "Ещё одна Бориса")
    _send(session)
    mail = _by_recipient(outbox["messages"])
    anna_body = mail[anna.email].get_content()
    boris_body = mail[boris.email].get_content()
    head_body = mail[head.email].get_content()
    assert "Задача Анны" in anna_body and "Бориса" not in anna_body
    assert "Задача Бориса" in boris_body and "Анны" not in boris_body
    assert "1 клиент или сделка без следующей задачи" in anna_body
    assert "2 клиента или сделки без следующей задачи" in boris_body
    # The head owns no task; they hear about the whole team's queue, not others' tasks.
    assert "3 клиента или сделки без следующей задачи" in head_body
    assert "Задача" not in head_body and "просроч" not in head_body


def test_a_refused_recipient_does_not_stop_the_others(
    session, make_user, make_company, make_task, outbox
):
    anna, boris = make_user("Manager"), make_user("Manager")
    for user in (anna, boris):
        make_task(user, company=make_company(user), due_at=NOW - timedelta(hours=1))
    outbox["refuse"].add(anna.email)
    report = _send(session)
    assert (report.sent, report.failed) == (1, 1)
    assert list(_by_recipient(outbox["messages"])) == [boris.email]


def test_without_mail_server_the_digest_goes_to_the_log(session, busy_manager, digest_log):
    manager = busy_manager["user"]
    report = _send(session, mail=MailSettings())
    assert (report.sent, report.logged) == (0, 1)
    records = digest_log()
    assert len(records) == 1 and records[0].levelno == logging.INFO
    text = records[0].args[-1]
    assert "Позвонить в Вектор" in text  # readable in the log as it is
    message = _parse(text.encode("utf-8"))
    assert message["To"].addresses[0].addr_spec == manager.email
    assert message["Subject"] == "Ваш день в CRM, 14.03.2030"
    assert "Отправить КП" in message.get_content()


# --- the command ----------------------------------------------------------------------


@pytest.fixture
def late_manager(make_user, make_company, make_task):
    manager = make_user("Manager")
    make_task(
        manager,
        company=make_company(manager, "Вектор"),
        subject="Перезвонить",
        due_at=local_now() - timedelta(days=1),
    )
    return manager


def test_command_writes_to_the_log_without_mail_server(app, monkeypatch, digest_log, late_manager):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    result = app.test_cli_runner().invoke(args=["crm", "digest"])
    assert result.exit_code == 0, result.output
    assert "0 sent, 1 written to the log, 0 refused" in result.output
    logged = [record.args[-1] for record in digest_log()]
    assert len(logged) == 1 and "Перезвонить" in logged[0]


def test_command_sends_through_smtp(app, monkeypatch, outbox, late_manager):
    for key, value in {
        "MAIL_SERVER": "smtp.example.com",
        "MAIL_PORT": 2525,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": "",
        "MAIL_FROM": "crm@example.com",
        "CRM_BASE_URL": "https://crm.example.com",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    result = app.test_cli_runner().invoke(args=["crm", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 written to the log, 0 refused" in result.output
    assert outbox["connections"][0]["port"] == 2525
    assert outbox["connections"][0]["tls"] is False
    message = _by_recipient(outbox["messages"])[late_manager.email]
    assert message["From"] == "crm@example.com"
    assert "https://crm.example.com/taskview/show/" in message.get_content()


def test_command_fails_loudly_when_the_server_is_unreachable(app, monkeypatch, late_manager):
    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.com")
    monkeypatch.setattr(smtplib, "SMTP", unreachable)
    result = app.test_cli_runner().invoke(args=["crm", "digest"])
    assert result.exit_code == 1
    assert "The digest could not be sent" in result.output
