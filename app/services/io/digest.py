"""The morning digest: each manager's overdue and today's tasks and queue, by e-mail.

The head's digest also lists the leads left unanswered past the head's limit.

Run by cron through `flask --app run crm digest`. Without a mail server configured the
messages are written to the log instead, so a development set-up never sends mail.
"""

import logging
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import formatting
from app.models import Task, UserProfile
from app.models.enums import TaskType, label
from app.models.inbox_item import InboxSource, inbox_label
from app.models.mixins import local_now
from app.services.queries import agenda, cadence, speed_to_lead
from app.services.rules.team import active_client_owner_ids

log = logging.getLogger(__name__)

# Tasks listed per section; the rest is counted ("...and 12 more tasks").
LISTED_TASKS = 50
SMTP_TIMEOUT = 30
# The path of a task's page (TaskView's route, stable by the naming rule).
TASK_PATH = "/taskview/show/{id}"
QUEUE_PATH = "/queue/"
OFF_CADENCE_PATH = "/off-cadence/"
LEAD_PATH = "/inbox/{id}"


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server; no server means: write the messages to the log."""

    server: str = ""
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False
    sender: str = "crm@localhost"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "MailSettings":
        """Read the MAIL_* keys of the app's config."""
        return cls(
            server=config.get("MAIL_SERVER") or "",
            port=int(config.get("MAIL_PORT") or 25),
            username=config.get("MAIL_USERNAME") or "",
            password=config.get("MAIL_PASSWORD") or "",
            use_tls=bool(config.get("MAIL_USE_TLS")),
            sender=config.get("MAIL_FROM") or "crm@localhost",
        )


@dataclass
class Digest:
    """What one user has to do, as of one moment."""

    user: User
    language: str
    overdue_count: int
    today_count: int
    queue_count: int
    off_cadence_count: int = 0
    # More deals off cadence than counted (cadence.COUNT_CAP): written "1000+".
    off_cadence_capped: bool = False
    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    # The head's only: leads unanswered past the limit.
    waiting: speed_to_lead.WaitingLeads | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.overdue_count or self.today_count or self.queue_count
                    or self.off_cadence_count or (self.waiting and self.waiting.count))


@dataclass
class DeliveryReport:
    """How many digests went out through SMTP, went to the log, or were refused."""

    sent: int = 0
    logged: int = 0
    failed: int = 0


def task_url(base_url: str, task_id: int) -> str:
    """Return the absolute address of a task's page."""
    return base_url.rstrip("/") + TASK_PATH.format(id=task_id)


def task_links(task: Task) -> list[str]:
    """Return the task's company, contact and deal as translated "Label: name" lines."""
    lines = []
    if task.company is not None:
        lines.append(_("Company: %(name)s", name=str(task.company)))
    if task.contact is not None:
        lines.append(_("Contact: %(name)s", name=str(task.contact)))
    if task.deal is not None:
        lines.append(_("Deal: %(name)s", name=str(task.deal)))
    return lines


def task_title(task: Task) -> str:
    """Return the task's type label and subject, in the current language."""
    return _("%(type)s: %(subject)s", type=label(TaskType, task.type), subject=task.subject)


def recipients(session: Session) -> list[User]:
    """Return the active users who own clients (Manager or Head), in a stable order."""
    # An Admin gets a digest only with either role: the one definition of client owners.
    return list(
        session.scalars(
            select(User).where(User.id.in_(active_client_owner_ids())).order_by(User.id)
        )
    )


def user_languages(
    session: Session, users: Iterable[User], default_language: str, languages: Iterable[str]
) -> dict[int, str]:
    """Return each user's chosen language, or the default when none (or an unknown one)."""
    ids = [user.id for user in users]
    known = set(languages)
    chosen: dict[int, str | None] = {}
    if ids:
        rows = session.execute(
            select(UserProfile.user_id, UserProfile.locale).where(UserProfile.user_id.in_(ids))
        )
        chosen = dict(rows.tuples().all())
    return {
        user_id: chosen[user_id] if chosen.get(user_id) in known else default_language
        for user_id in ids
    }


def collect_digest(
    session: Session, user: User, now: datetime, language: str, limit: int = LISTED_TASKS,
    lead_alert_minutes: int = speed_to_lead.DEFAULT_ALERT_MINUTES,
) -> Digest:
    """Gather the user's overdue and today's tasks (up to `limit` each) and queue count.

    A head also gets the leads unanswered longer than `lead_alert_minutes`.
    """
    counts = agenda.task_counters(session, user, now)
    off_cadence, off_cadence_capped = cadence.count_off_cadence(session, user, user.id,
                                                                now.date())
    digest = Digest(
        user=user,
        language=language,
        overdue_count=counts["overdue"],
        today_count=counts["today"],
        queue_count=agenda.queue_count(session, user),
        off_cadence_count=off_cadence,
        off_cadence_capped=off_cadence_capped,
        waiting=speed_to_lead.waiting_leads(session, user, now, lead_alert_minutes),
    )
    if digest.overdue_count or digest.today_count:
        tasks = agenda.my_tasks(session, user, now, limit=limit)
        digest.overdue, digest.today = tasks["overdue"], tasks["today"]
    return digest


def _task_lines(tasks: list[Task], total: int, base_url: str) -> list[str]:
    lines = []
    for task in tasks:
        lines.append(
            _(
                "• %(due)s — %(title)s",
                due=formatting.datetime_text(task.due_at),
                title=task_title(task),
            )
        )
        lines.extend("  " + line for line in task_links(task))
        lines.append("  " + task_url(base_url, task.id))
    hidden = total - len(tasks)
    if hidden > 0:
        lines.append(ngettext("…and %(num)d more task", "…and %(num)d more tasks", hidden))
    return lines


def _waiting_lines(waiting: speed_to_lead.WaitingLeads, now: datetime, root: str) -> list[str]:
    shown = str(waiting.count) + ("+" if waiting.capped else "")
    lines = [ngettext(
        "%(count)s lead waits for an answer longer than %(minutes)s minutes:",
        "%(count)s leads wait for an answer longer than %(minutes)s minutes:",
        waiting.count, count=shown, minutes=waiting.limit_minutes,
    )]
    for item in waiting.items:
        lines.append(_(
            "• %(received)s — %(lead)s (%(source)s), %(owner)s: waiting %(waited)s",
            received=formatting.datetime_text(item.received_at), lead=str(item),
            source=inbox_label(InboxSource, item.source),
            owner=formatting.person_name(item.owner),
            waited=formatting.minutes_text(speed_to_lead.minutes_waited(item, now)),
        ))
        lines.append("  " + root + LEAD_PATH.format(id=item.id))
    hidden = waiting.count - len(waiting.items)
    if hidden > 0:
        lines.append(ngettext("…and %(num)d more lead", "…and %(num)d more leads", hidden))
    return lines


def render_text(digest: Digest, base_url: str, now: datetime | None = None) -> str:
    """Return the digest's plain text, in the current language."""
    root = base_url.rstrip("/")
    user = digest.user
    lines = [_("Hello, %(name)s!", name=user.first_name or user.username), ""]
    if digest.waiting and digest.waiting.count:
        # First: a lead cools by the hour, so the head reads it before the tasks.
        lines += _waiting_lines(digest.waiting, now or local_now(), root)
        lines.append("")
    if digest.overdue_count:
        lines.append(
            ngettext("%(num)d overdue task:", "%(num)d overdue tasks:", digest.overdue_count)
        )
        lines += _task_lines(digest.overdue, digest.overdue_count, base_url)
        lines.append("")
    if digest.today_count:
        lines.append(
            ngettext("%(num)d task for today:", "%(num)d tasks for today:", digest.today_count)
        )
        lines += _task_lines(digest.today, digest.today_count, base_url)
        lines.append("")
    if digest.queue_count:
        shown = str(digest.queue_count)
        if digest.queue_count >= agenda.QUEUE_CAP:
            shown += "+"
        lines.append(
            ngettext(
                "%(count)s client or deal without a next task: %(url)s",
                "%(count)s clients or deals without a next task: %(url)s",
                digest.queue_count,
                count=shown,
                url=root + QUEUE_PATH,
            )
        )
        lines.append("")
    if digest.off_cadence_count:
        lines.append(
            ngettext(
                "%(count)s deal off cadence: %(url)s",
                "%(count)s deals off cadence: %(url)s",
                digest.off_cadence_count,
                count=str(digest.off_cadence_count) + ("+" if digest.off_cadence_capped else ""),
                url=root + OFF_CADENCE_PATH,
            )
        )
        lines.append("")
    lines.append(_("My day: %(url)s", url=root + "/"))
    lines.append("")
    lines.append(_("You receive this reminder because you work with clients in the CRM."))
    return "\n".join(lines) + "\n"


def compose_message(digest: Digest, now: datetime, base_url: str, sender: str) -> EmailMessage:
    """Build the e-mail of one digest, in the user's language."""
    with force_locale(digest.language):
        subject = _("Your day in the CRM, %(date)s", date=formatting.date_text(now.date()))
        body = render_text(digest, base_url, now)
        user = digest.user
        name = formatting.person_name(user)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((name, user.email))
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid("digest", domain=urlsplit(base_url).hostname or None)
    # Tell mail servers and vacation responders that nobody typed this (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    # 8bit keeps the logged copy readable; every line stays far below SMTP's limit.
    message.set_content(body, cte="8bit")
    message["Content-Language"] = digest.language  # after set_content, which resets Content-*
    return message


def build_digests(
    session: Session,
    now: datetime,
    base_url: str,
    sender: str,
    default_language: str = "ru",
    languages: Iterable[str] = ("ru", "en"),
    lead_alert_minutes: int = speed_to_lead.DEFAULT_ALERT_MINUTES,
) -> list[EmailMessage]:
    """Build the digest e-mail of every active Manager or Head who has something to do."""
    users = [user for user in recipients(session) if user.email]
    chosen = user_languages(session, users, default_language, languages)
    messages = []
    for user in users:
        digest = collect_digest(session, user, now, chosen[user.id],
                                lead_alert_minutes=lead_alert_minutes)
        if not digest.is_empty:
            messages.append(compose_message(digest, now, base_url, sender))
    return messages


def deliver(messages: list[EmailMessage], mail: MailSettings) -> DeliveryReport:
    """Send the messages through one SMTP connection, or log them when there is no server.

    A message the server refuses is logged and counted as failed; the others still go.

    :raise smtplib.SMTPException: when the server cannot be reached or refuses the login.
    :raise OSError: when the connection fails.
    """
    report = DeliveryReport()
    if not messages:
        return report
    if not mail.server:
        for message in messages:
            log.info(
                "MAIL_SERVER is not set; the digest for %s is written here instead:\n%s",
                message["To"],
                message.as_bytes().decode("utf-8"),
            )
            report.logged += 1
        return report
    with smtplib.SMTP(mail.server, mail.port, timeout=SMTP_TIMEOUT) as smtp:
        if mail.use_tls:
            smtp.starttls(context=ssl.create_default_context())
        if mail.username:
            smtp.login(mail.username, mail.password)
        for message in messages:
            try:
                smtp.send_message(message)
            except (
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPSenderRefused,
                smtplib.SMTPDataError,
            ) as error:
                log.warning("The digest for %s was refused: %s", message["To"], error)
                report.failed += 1
            else:
                log.info("Digest sent to %s", message["To"])
                report.sent += 1
    return report


def send_digests(
    session: Session,
    now: datetime,
    mail: MailSettings,
    base_url: str,
    default_language: str = "ru",
    languages: Iterable[str] = ("ru", "en"),
    lead_alert_minutes: int = speed_to_lead.DEFAULT_ALERT_MINUTES,
) -> DeliveryReport:
    """Build every digest due at `now` and send (or log) them.

    :raise smtplib.SMTPException: when the server cannot be reached or refuses the login.
    :raise OSError: when the connection fails.
    """
    messages = build_digests(session, now, base_url, mail.sender, default_language, languages,
                             lead_alert_minutes)
    return deliver(messages, mail)
