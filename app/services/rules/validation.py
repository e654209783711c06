"""Field rules shared by forms, the API and imports: each returns the clean value or raises."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit, urlunsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from app.models.mixins import local_now
from app.services.errors import ValidationError

# Ids are 32-bit integers in every database the CRM runs on; a larger one names nothing.
MAX_ID = 2**31 - 1
# Amounts below a trillion: Numeric(14, 2) holds them with their kopecks.
MAX_AMOUNT = Decimal("1e12")
# Group separators an amount may be typed or pasted with: space, no-break and narrow
# no-break space (what the Russian number format prints).
_AMOUNT_SPACES = str.maketrans("", "", " \u00a0\u202f")
# The years any date or time may have, whatever brings it (form, API, import, board):
# outside them the team's time zone has no whole-minute offset and the API cannot say it.
FIRST_YEAR = 1900
LAST_YEAR = 2100
EARLIEST = datetime(FIRST_YEAR, 1, 1)
LATEST = datetime(LAST_YEAR, 12, 31, 23, 59, 59)
# A planned time typed a moment ago is still "now": the form was open for a while.
PAST_GRACE = timedelta(minutes=5)

_INN_10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def clean_inn(value: str | None, field: str = "inn") -> str | None:
    """Return the INN as digits, or None when empty.

    :raise ValidationError: if it is not 10 or 12 digits or its check digits are wrong.
    """
    if value is None or not str(value).strip():
        return None
    inn = re.sub(r"\s+", "", str(value))
    if not inn.isdigit() or len(inn) not in (10, 12):
        raise ValidationError(_l("INN must have 10 or 12 digits."), field)
    if not inn.strip("0"):
        raise ValidationError(_l("INN check digits do not match: check the number."), field)
    if len(inn) == 10:
        valid = _inn_digit(inn, _INN_10_WEIGHTS) == int(inn[9])
    else:
        valid = _inn_digit(inn, _INN_12_WEIGHTS_1) == int(inn[10]) and _inn_digit(
            inn, _INN_12_WEIGHTS_2
        ) == int(inn[11])
    if not valid:
        raise ValidationError(_l("INN check digits do not match: check the number."), field)
    return inn


def clean_email(value: str | None, field: str = "email") -> str | None:
    """Return the e-mail address normalised, or None when empty.

    :raise ValidationError: if it is not a valid e-mail address.
    """
    if value is None or not str(value).strip():
        return None
    try:
        result = validate_email(str(value).strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(_l("Not a valid e-mail address."), field) from error
    return result.normalized


def clean_phone(value: str | None, region: str = "RU", field: str = "phone") -> str | None:
    """Return the phone number in international format (+7 495 123-45-67), or None.

    :raise ValidationError: if it cannot be a phone number.
    """
    if value is None or not str(value).strip():
        return None
    try:
        number = phonenumbers.parse(str(value).strip(), region)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_l("Not a valid phone number."), field) from error
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("Not a valid phone number."), field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def amount_digits(text: str) -> str:
    """Return an amount as typed ('150 000,50') as Decimal reads it ('150000.50')."""
    return str(text).translate(_AMOUNT_SPACES).replace(",", ".")


def clean_amount(value, field: str = "amount") -> Decimal | None:
    """Return the amount as a Decimal with two places, or None.

    :raise ValidationError: if it is not a number or is negative.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(amount_digits(value))
    except InvalidOperation as error:
        raise ValidationError(_l("The amount must be a number."), field) from error
    if not amount.is_finite():
        raise ValidationError(_l("The amount must be a number."), field)
    if amount < 0:
        raise ValidationError(_l("The amount cannot be negative."), field)
    if amount >= MAX_AMOUNT:
        raise ValidationError(_l("The amount is too large."), field)
    return amount.quantize(Decimal("0.01"))


def check_date_range(value, field: str, label):
    """Return the date or time unchanged (None too) when its year is one the CRM accepts.

    :raise ValidationError: naming the field (`label`) if the year is before 1900 or after 2100.
    """
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _l("%(field)s: the year must be between %(first)s and %(last)s.",
               field=label, first=FIRST_YEAR, last=LAST_YEAR),
            field,
        )
    return value


def check_planned_time(value: datetime, now: datetime, field: str, label) -> datetime:
    """Return the due time of a task being planned when it is not in the past.

    :raise ValidationError: naming the field if the year is out of range or the time passed
        more than a few minutes ago.
    """
    check_date_range(value, field, label)
    if value < now - PAST_GRACE:
        raise ValidationError(
            _l("%(field)s: this time has already passed; plan the task from now on.",
               field=label),
            field,
        )
    return value


def clean_birthday(value: date | None, today: date | None = None, field: str = "birthday"):
    """Return the birthday unchanged, or None.

    :raise ValidationError: if it lies in the future or before 1900.
    """
    if value is None:
        return None
    check_date_range(value, field, _l("Birthday"))
    if value > (today or local_now().date()):
        raise ValidationError(_l("A birthday cannot be in the future."), field)
    return value


def birthday_key(value: date | None) -> int | None:
    """Return month * 100 + day, the indexable form of a birthday."""
    return value.month * 100 + value.day if value else None


def require_text(value: str | None, field: str, message) -> str:
    """Return the stripped text.

    :raise ValidationError: with `message` if it is empty.
    """
    text = (value or "").strip()
    if not text:
        raise ValidationError(message, field)
    return text


# A host name's labels: letters (any script), digits and inner hyphens; the last one
# (the top-level domain) letters only, or an IDN's xn-- form.
_HOST_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$")
_TOP_LABEL = re.compile(r"^([^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})$")
WEBSITE_MAX = 255


def clean_website(value: str | None, field: str = "website") -> str | None:
    """Return the website as an http(s) address, a bare domain as https://domain, or None.

    :raise ValidationError: if it is not a web address (another scheme, no domain, spaces).
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    message = _l("Website: enter an address such as example.com or https://example.com.")
    if not text.isprintable() or any(ch.isspace() for ch in text) or len(text) > WEBSITE_MAX:
        raise ValidationError(message, field)
    if "://" not in text:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)", text):  # mailto:, javascript:...
            raise ValidationError(message, field)
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises on a port that is not a number in range)
    except ValueError as error:
        raise ValidationError(message, field) from error
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password:
        raise ValidationError(message, field)
    labels = host.rstrip(".").split(".")
    if (
        len(labels) < 2
        or not all(_HOST_LABEL.match(label) and "_" not in label for label in labels)
        or not _TOP_LABEL.match(labels[-1])
    ):
        raise ValidationError(message, field)
    address = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path,
                          parts.query, parts.fragment))
    if len(address) > WEBSITE_MAX:
        raise ValidationError(message, field)
    return address
