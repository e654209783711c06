"""A real IMAP server for the mail intake tests: Debian's Dovecot on a loopback port.

Each server is private to the test run: its configuration, mailboxes and logs live in a
temporary folder, it listens on 127.0.0.1 only, and it is stopped when the block ends.
"""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from tests.helpers import require

DOVECOT = "/usr/sbin/dovecot"
# Dovecot refuses to run mail processes as root; its own package user owns the mailboxes.
MAIL_USER = "dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass(frozen=True)
class ImapServer:
    """Where the test mailbox is and how to log in to it."""

    host: str
    port: int
    user: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        """Return a logged-in connection to the mailbox."""
        connection = imaplib.IMAP4(self.host, self.port)
        connection.login(self.user, self.password)
        return connection

    def deliver(self, message: EmailMessage | bytes, folder: str = "INBOX") -> None:
        """Put a message into the mailbox, as a mail server would on arrival."""
        raw = message if isinstance(message, bytes) else message.as_bytes()
        connection = self.connect()
        try:
            status, answer = connection.append(folder, None, None, raw)
            assert status == "OK", answer
        finally:
            connection.logout()

    def empty(self, folder: str = "INBOX") -> None:
        """Delete every message of the folder."""
        connection = self.connect()
        try:
            connection.select(folder)
            status, found = connection.search(None, "ALL")
            if status == "OK" and found[0]:
                connection.store(b",".join(found[0].split()).decode(), "+FLAGS", "\\Deleted")
                connection.expunge()
        finally:
            connection.logout()

    def count(self, folder: str = "INBOX", criteria: str = "ALL") -> int:
        """Return how many messages of the folder match an IMAP search."""
        connection = self.connect()
        try:
            connection.select(folder, readonly=True)
            status, found = connection.search(None, criteria)
            assert status == "OK", found
            return len(found[0].split())
        finally:
            connection.logout()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Dovecot stopped at start: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("Dovecot did not start listening in 15 s")


@contextmanager
def running_imap_server(user: str = "sales@example.test", password: str = "mailbox-secret"):
    """Start a private Dovecot on a free loopback port; yield an ImapServer; stop it."""
    require("Dovecot", Path(DOVECOT).exists() and os.geteuid() == 0,
            "the mail intake tests read a real IMAP server (Debian's dovecot-imapd, as root)")
    mail_user = pwd.getpwnam(MAIL_USER)
    root = Path(tempfile.mkdtemp(prefix="crm-imap-"))
    # The authentication process runs as Dovecot's own user: it must reach the files.
    root.chmod(0o755)
    for folder in ("run", "state", "home"):
        (root / folder).mkdir()
    os.chown(root / "home", mail_user.pw_uid, mail_user.pw_gid)
    (root / "users").write_text(f"{user}:{{PLAIN}}{password}\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(
        CONFIG.format(root=root, uid=mail_user.pw_uid, gid=mail_user.pw_gid, port=port))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, process, root / "dovecot.log")
        yield ImapServer("127.0.0.1", port, user, password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def letter(body: str | None = "Добрый день! Пришлите счёт на 10 стульев.", *,
           sender: str = "Иван Петров", address: str = "ivan@romashka.example",
           subject: str = "Счёт", message_id: str | None = "<a1@romashka.example>",
           html: str | None = None, charset: str = "utf-8") -> EmailMessage:
    """Return a client's letter to the sales mailbox: plain text, HTML, or both."""
    message = EmailMessage()
    message["From"] = f"{sender} <{address}>"
    message["To"] = "sales@example.test"
    message["Subject"] = subject
    message["Date"] = "Sun, 06 Dec 2026 10:15:00 +0300"
    if message_id:
        message["Message-ID"] = message_id
    if body is not None:
        message.set_content(body, charset=charset)
    if html is not None and body is not None:
        message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return message
