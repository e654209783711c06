"""The search keys stored beside what people type: phones as E.164, e-mails lower-cased,
names folded into words.

Every save of a company, contact or deal sets them (records.before_save), so the search
(app/services/queries/search.py) compares indexed columns and never reformats a stored
value row by row. The typed phone stays in its own column for display.

Why a reversed digit string for phones: people look a number up by its end ("the last
seven digits", "495 123 45 67" without the country code). A suffix search on the stored
digits (`LIKE '%1234567'`) reads every row; the same digits reversed turn it into a
prefix (`LIKE '7654321%'`), which a plain btree index answers on SQLite (as a range) and
on PostgreSQL (text_pattern_ops) alike, one short index range per search.
"""

import re

import phonenumbers

from app.models import Company, Contact, Deal

DEFAULT_REGION = "RU"
# What a name is cut into: runs of letters and digits (the FTS5 tokenizer cuts the same).
_WORD = re.compile(r"\w+")
# Longest folded name kept: company name and legal name together fit in it.
NAME_KEY_MAX = 600


def fold(text: str | None) -> str:
    """Return text lower-cased with ё read as е, as every search compares names."""
    return (text or "").lower().replace("ё", "е")


def words(text: str | None) -> list[str]:
    """Return the folded words of a text (letters and digits; punctuation drops out)."""
    return [word.replace("_", "") for word in _WORD.findall(fold(text)) if word.strip("_")]


def name_key(*parts: str | None) -> str | None:
    """Return the folded words of the name parts, one space apart, or None when empty."""
    joined = " ".join(word for part in parts for word in words(part))
    return joined[:NAME_KEY_MAX] or None


def phone_e164(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """Return the number as E.164 (+74951234567), or None when it is not a phone number."""
    if not text or not str(text).strip():
        return None
    try:
        number = phonenumbers.parse(str(text).strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_tail(e164: str | None) -> str | None:
    """Return the number's digits reversed (the indexable form of "ends with")."""
    digits = re.sub(r"\D", "", e164 or "")
    return digits[::-1] or None


def typed_phone_digits(text: str, region: str = DEFAULT_REGION) -> str:
    """Return the digits a typed phone search stands for, as E.164 stores them.

    A whole number in any spelling (+7 495..., 8 495..., 8 (495) ...) becomes its E.164
    digits; anything shorter (the last digits, or the number without its country code)
    stays as typed, to be matched against the number's end.
    """
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 11:
        e164 = phone_e164(text, region)
        if e164 is not None:
            return e164[1:]
    return digits


def email_key(text: str | None) -> str | None:
    """Return the e-mail address lower-cased, or None when empty."""
    value = (text or "").strip().lower()
    return value or None


def _phone_keys(column: str, typed: str | None) -> dict:
    e164 = phone_e164(typed)
    return {f"{column}_e164": e164, f"{column}_tail": phone_tail(e164)}


def keys_of(table: str, row) -> dict:
    """Return the search key columns of a company, contact or deal from its typed fields.

    `row` gives the typed values by name (a record's attribute or a dict's key).
    """
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    if table == "company":
        return {**_phone_keys("phone", get("phone")), "email_key": email_key(get("email")),
                "search_name": name_key(get("name"), get("legal_name"))}
    if table == "contact":
        return {**_phone_keys("phone", get("phone")),
                **_phone_keys("mobile_phone", get("mobile_phone")),
                "email_key": email_key(get("email")),
                "second_email_key": email_key(get("second_email")),
                "search_name": name_key(get("last_name"), get("first_name"),
                                        get("middle_name"))}
    return {"search_name": name_key(get("title"))}


_TABLES = {Company: "company", Contact: "contact", Deal: "deal"}


def stamp_keys(record) -> None:
    """Set the record's search keys from its typed fields (tasks have none)."""
    table = _TABLES.get(type(record))
    if table is not None:
        for column, value in keys_of(table, record).items():
            setattr(record, column, value)
