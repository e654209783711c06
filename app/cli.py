"""The `crm` command group: prepare the database, first admin, demo data, digest."""

import functools
import logging
import os
import secrets

import click
from flask import current_app
from flask.cli import AppGroup
from flask_appbuilder.const import LOGMSG_WAR_SEC_NO_USER
from flask_babel import force_locale
from flask_babel import gettext as _

from app.extensions import db

crm = AppGroup("crm", help="CRM commands: database preparation, first admin, demo data, digest.")


def in_default_language(command):
    """Run a command with its messages in the CRM's default language (BABEL_DEFAULT_LOCALE).

    Counters and summaries meant for scripts and logs stay as they are (not translated).
    """

    @functools.wraps(command)
    def run(*args, **kwargs):
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "ru"):
            return command(*args, **kwargs)

    return run


@crm.command("init")
@in_default_language
def init_command() -> None:
    """Create the roles, permissions and default pipeline stages (safe to repeat)."""
    from app.services.rules.setup import prepare_database

    prepare_database(current_app.appbuilder, db.session)
    click.echo(_("Roles, permissions and pipeline stages are ready."))


class _NoFirstUserWarning(logging.Filter):
    """Drop FAB's "No user yet created, use flask fab command" warning.

    FAB logs it while the app starts, just before `crm ensure-admin` creates the first
    admin and says, in the team's language, how to log in.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != LOGMSG_WAR_SEC_NO_USER


# Installed on import: the app factory imports this module before FAB starts up.
logging.getLogger("flask_appbuilder.security.manager").addFilter(_NoFirstUserWarning())


@crm.command("ensure-admin")
@click.option("--username", default=lambda: os.environ.get("CRM_ADMIN_USER", "admin"))
@click.option("--password", default=lambda: os.environ.get("CRM_ADMIN_PASSWORD", ""))
@click.option("--url", default=None, help="The address the CRM is served on.")
@in_default_language
def ensure_admin_command(username: str, password: str, url: str | None) -> None:
    """Create a first Admin user when there is no user; say how to start working."""
    sm = current_app.appbuilder.sm
    url = url or current_app.config.get("CRM_BASE_URL") or "http://127.0.0.1:5000"
    if sm.count_users() > 0:
        role = sm.find_role(sm.auth_role_admin)
        admins = sorted(user.username for user in (role.user if role else []))
        username = admins[0] if admins else username
        login = _("Users exist already: log in with your login and password "
                  "(an administrator: '%(username)s').", username=username)
    else:
        password = password or secrets.token_urlsafe(9)
        role = sm.find_role(sm.auth_role_admin)
        user = sm.add_user(username, "Admin", "CRM", f"{username}@example.com", role, password)
        if not user:
            raise click.ClickException(_("The admin user could not be created."))
        login = _(
            "Admin created. Log in as '%(username)s' with password '%(password)s'.",
            username=username, password=password,
        )
    click.echo(first_start_text(url, login, username))


def first_start_text(url: str, login: str, username: str) -> str:
    """Return the short block `make run` prints: address, login, demo data, new password."""
    reset = f"flask --app run fab reset-password --username {username}"
    lines = [
        _("The CRM: %(url)s", url=url),
        login,
        _("Demo data (a team with clients, deals and tasks): %(command)s",
          command="flask --app run crm demo"),
        _("Forgotten password: %(command)s", command=reset),
    ]
    rule = "-" * max(len(line) for line in lines)
    return "\n".join([rule, *lines, rule])


@crm.command("demo")
@click.option("--companies", default=200, show_default=True, help="How many companies.")
@click.option("--managers", default=3, show_default=True, help="How many managers.")
@click.option("--seed", default=2026, show_default=True, help="Random seed.")
@in_default_language
def demo_command(companies: int, managers: int, seed: int) -> None:
    """Fill an empty database with a believable sales team and its clients."""
    from app.demo import DEMO_PASSWORD, HEAD_USERNAME, DemoRefused, generate_demo

    try:
        summary = generate_demo(
            current_app.appbuilder, db.session, companies=companies, managers=managers,
            seed=seed,
        )
    except DemoRefused as error:
        raise click.ClickException(str(error)) from error
    from app.services.rules.setup import refresh_statistics

    refresh_statistics(db.session)
    for name, count in summary.items():
        click.echo(f"{name}: {count}")  # one "table: rows" line each, for scripts
    click.echo(
        _(
            "Log in as '%(head)s' (head of sales) or 'manager1'..'manager%(managers)s' "
            "with the password '%(password)s'.",
            head=HEAD_USERNAME, managers=managers, password=DEMO_PASSWORD,
        )
    )


@crm.command("digest")
def digest_command() -> None:
    """E-mail every manager their tasks and queue, and the head the leads left waiting (cron)."""
    import logging
    import smtplib

    from app.models.mixins import local_now
    from app.services.io.digest import MailSettings, send_digests

    if not logging.getLogger().handlers:
        # Run by cron: what was sent (or, without a mail server, the messages) goes to stderr.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = current_app.config
    try:
        report = send_digests(
            db.session, local_now(), MailSettings.from_config(config),
            base_url=config.get("CRM_BASE_URL") or "http://127.0.0.1:5000",
            default_language=config.get("BABEL_DEFAULT_LOCALE") or "ru",
            languages=tuple(config.get("LANGUAGES") or ("ru",)),
            lead_alert_minutes=int(config.get("CRM_LEAD_ALERT_MINUTES") or 60),
        )
    except (smtplib.SMTPException, OSError) as error:
        raise click.ClickException(f"The digest could not be sent: {error}") from error
    click.echo(
        f"Digest: {report.sent} sent, {report.logged} written to the log, "
        f"{report.failed} refused."
    )
    if report.failed:
        raise click.ClickException(f"{report.failed} message(s) refused by the mail server.")


@crm.command("intake")
@click.option("--every", type=click.IntRange(0, 86_400), default=0, show_default=True,
              help="Read the mailbox again every N seconds (0: once, for cron).")
@in_default_language
def intake_command(every: int) -> None:
    """Read the sales mailbox (CRM_IMAP_*): each unread letter into the inbox or its client."""
    import imaplib
    import logging
    import time

    from app.services.io.mail_intake import pull_mail
    from app.services.io.mailbox import MailboxSettings

    config = current_app.config
    settings = MailboxSettings.from_config(config)
    if settings is None:
        raise click.ClickException(_("No mailbox is set: give CRM_IMAP_HOST, CRM_IMAP_USER "
                                     "and CRM_IMAP_PASSWORD."))
    minutes = int(config.get("CRM_LEAD_ANSWER_MINUTES") or 15)
    while True:
        try:
            count = pull_mail(db.session, settings, answer_minutes=minutes)
        except (imaplib.IMAP4.error, OSError) as error:
            if not every:
                raise click.ClickException(
                    _("The mailbox could not be read: %(error)s", error=error)) from error
            # A loop outlives a mail server's bad minute: say so and try at the next turn.
            logging.getLogger(__name__).warning("The mailbox could not be read: %s", error)
        else:
            if count is None:
                click.echo(_("Another reader is reading the mailbox now."))
            else:
                click.echo(_("Letters read: %(count)s.", count=count))
        finally:
            db.session.remove()
        if not every:
            return
        time.sleep(every)


@crm.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@in_default_language
def backup_command(path: str | None) -> None:
    """Write a consistent copy of the database while the CRM runs (default: instance/backups/)."""
    from app.models.mixins import local_now
    from app.services.io.backup import BackupError, backup, default_path

    target = path or default_path(current_app.instance_path, db.engine, local_now())
    try:
        written = backup(db.engine, target)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Backup written to %(path)s.", path=str(written)))


@crm.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@in_default_language
def restore_command(path: str, yes: bool) -> None:
    """Replace everything in the database with a backup made by `crm backup`."""
    from app.services.io.backup import BackupError, restore

    if not yes:
        click.confirm(_("Every record now in the database is replaced by the backup. "
                        "Continue?"), abort=True)
    db.session.remove()
    try:
        restore(db.engine, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Restored from %(path)s.", path=path))


@crm.command("rebuild-summaries")
@in_default_language
def rebuild_summaries_command() -> None:
    """Fill the summary tables again from the tasks, deals, clients and contact persons."""
    from app.services.rules.summaries import rebuild

    try:
        written = rebuild(db.session)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(_("Summaries rebuilt: %(days)s manager-days of done tasks, %(deals)s rows of "
                 "closed deals, %(pipeline)s rows of the pipeline, %(clients)s rows of new "
                 "clients, %(keys)s values of INN, phones, e-mails and names.",
                 days=written["task_done_day"], deals=written["deal_closed_month"],
                 pipeline=written["deal_stage_month"],
                 clients=written["client_created_month"], keys=written["key_holders"]))


def register_cli(app) -> None:
    """Attach the `crm` command group to the app."""
    app.cli.add_command(crm)
