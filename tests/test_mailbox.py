"""Reading the sales mailbox from a real IMAP server: what each kind of letter becomes."""

import pytest

from app.services.io.mailbox import MailboxSettings, read_unseen
from tests.helpers_imap import letter


def read_all(settings):
    got = []
    read_unseen(settings, got.append)
    return got


def test_a_letter_gives_sender_subject_and_text(imap_server, mailbox):
    imap_server.deliver(letter())
    [mail] = read_all(mailbox)
    assert mail.sender_name == "Иван Петров"
    assert mail.sender_email == "ivan@romashka.example"
    assert mail.subject == "Счёт"
    assert mail.text == "Добрый день! Пришлите счёт на 10 стульев."
    assert mail.message_id == "<a1@romashka.example>"
    assert mail.received_at.hour == 10


def test_a_read_letter_is_not_read_again(imap_server, mailbox):
    imap_server.deliver(letter())
    assert len(read_all(mailbox)) == 1
    assert read_all(mailbox) == []
    assert imap_server.count(criteria="UNSEEN") == 0


def test_a_letter_stays_unread_when_storing_it_fails(imap_server, mailbox):
    imap_server.deliver(letter())

    def refuse(_mail):
        raise RuntimeError("database unavailable")

    with pytest.raises(RuntimeError):
        read_unseen(mailbox, refuse)
    assert imap_server.count(criteria="UNSEEN") == 1
    assert len(read_all(mailbox)) == 1


def test_a_cp1251_letter_is_read_in_cyrillic(imap_server, mailbox):
    imap_server.deliver(letter("Нужна доставка в Тверь", charset="cp1251"))
    [mail] = read_all(mailbox)
    assert mail.text == "Нужна доставка в Тверь"


def test_an_html_letter_keeps_its_words_and_drops_its_script(imap_server, mailbox):
    html = ("<html><body><p>Хотим <b>10</b> стульев</p><script>alert('x')</script>"
            "<img src=x onerror=alert(1)><style>p{color:red}</style></body></html>")
    imap_server.deliver(letter(None, html=html))
    [mail] = read_all(mailbox)
    assert "Хотим 10 стульев" in mail.text
    assert "alert" not in mail.text and "<" not in mail.text and "color" not in mail.text


def test_the_quoted_letter_and_signature_are_trimmed(imap_server, mailbox):
    body = ("Да, подходит, выставляйте.\n\nС уважением,\nИван Петров\nООО «Ромашка»\n\n"
            "5 дек. 2026 г., в 18:02, Анна <anna@example.test> написал(а):\n"
            "> Иван, цена 12 000 ₽ за стул.\n")
    imap_server.deliver(letter(body))
    [mail] = read_all(mailbox)
    assert mail.text == "Да, подходит, выставляйте."


def test_an_english_reply_is_trimmed_too(imap_server, mailbox):
    body = "Yes, please send the invoice.\n\nOn Sat, Dec 5, 2026 at 18:02, Anna wrote:\n> Price?\n"
    imap_server.deliver(letter(body))
    [mail] = read_all(mailbox)
    assert mail.text == "Yes, please send the invoice."


def test_attachments_are_counted_not_kept(imap_server, mailbox):
    message = letter()
    message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                           filename="price.pdf")
    imap_server.deliver(message)
    [mail] = read_all(mailbox)
    assert mail.attachments == 1
    assert "PDF" not in mail.text


def test_a_letter_without_message_id_is_named_by_its_bytes(imap_server, mailbox):
    imap_server.deliver(letter(message_id=None))
    [mail] = read_all(mailbox)
    assert mail.message_id.startswith("sha256:")


def test_unstorable_characters_never_reach_the_text(imap_server, mailbox):
    imap_server.deliver(letter("Счёт\x00 нужен"))
    [mail] = read_all(mailbox)
    assert "\x00" not in mail.text and "Счёт" in mail.text


def test_settings_come_from_the_config():
    assert MailboxSettings.from_config({}) is None
    settings = MailboxSettings.from_config({"CRM_IMAP_HOST": "imap.example.test",
                                            "CRM_IMAP_USER": "sales", "CRM_IMAP_SSL": "false"})
    assert (settings.host, settings.port, settings.ssl) == ("imap.example.test", 143, False)
