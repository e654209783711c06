"""Dates, times, numbers and money in the user's language (Babel through Flask-Babel)."""

import re
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from babel import Locale
from babel.dates import get_day_names, get_month_names
from babel.numbers import format_decimal, format_percent, get_currency_symbol
from flask_babel import format_date, get_locale
from flask_babel import gettext as _


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "ru"


# How a date is written and typed in each language: the bootstrap-datepicker pattern of
# the date fields (the same order as date_text writes).
DATE_PICKER_FORMATS = {"ru": "dd.mm.yyyy", "en": "mm/dd/yyyy"}
MONTH_PICKER_FORMATS = {"ru": "mm.yyyy", "en": "mm/yyyy"}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)
_SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_MONTH = re.compile(r"(?:(\d{4})-(\d{1,2})(?:-\d{1,2})?|(\d{1,2})[./](\d{4}))", re.ASCII)


def reader_language() -> str:
    """Return the language of the request (its numbers' separators, its words)."""
    return _language()


def date_language() -> str:
    """Return the language whose date order the user types: ru (day first) or en."""
    return "en" if _language() == "en" else "ru"


def date_text(value: date | None) -> str:
    """26.11.2026 in Russian, 11/26/2026 in English: as date fields are typed."""
    if not value:
        return ""
    if date_language() == "en":
        return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def date_picker_locale() -> dict:
    """Return the date picker's words and week in the user's language (Babel's names).

    English follows the United States (weeks from Sunday), as its MM/DD/YYYY does.
    """
    language = date_language()
    locale = Locale.parse("en_US" if language == "en" else language)
    months = get_month_names("wide", "stand-alone", locale)
    short_months = get_month_names("abbreviated", "stand-alone", locale)
    days = get_day_names("wide", "format", locale)
    short_days = get_day_names("short", "stand-alone", locale)
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # Babel counts from Monday, the picker from Sunday
    return {
        "language": language,
        "format": DATE_PICKER_FORMATS[language],
        "monthFormat": MONTH_PICKER_FORMATS[language],
        "monthPlaceholder": _("MM/YYYY") if language == "en" else _("MM.YYYY"),
        "weekStart": (locale.first_week_day + 1) % 7,
        "months": [months[number].capitalize() for number in range(1, 13)],
        "monthsShort": [short_months[number].capitalize() for number in range(1, 13)],
        "days": [days[number] for number in sunday_first],
        "daysShort": [short_days[number] for number in sunday_first],
        "daysMin": [short_days[number].capitalize() for number in sunday_first],
        "today": _("Today"),
        "clear": _("Clear"),
        "monthsTitle": _("Months"),
        "titleFormat": "MM yyyy",
    }


def month_text(value: date | None) -> str:
    """12.2026 in Russian, 12/2026 in English: a month as the report filters take it."""
    if not value:
        return ""
    separator = "/" if date_language() == "en" else "."
    return f"{value.month:02d}{separator}{value.year:04d}"


def parse_month_text(text: str | None) -> date | None:
    """Read a month (12.2026, 12/2026, 2026-12 or 2026-12-01) as its first day; None if empty.

    :raise ValueError: if it is not a month in one of those forms.
    """
    text = (text or "").strip()
    if not text:
        return None
    match = _MONTH.fullmatch(text)
    if match is None:
        raise ValueError(f"not a month: {text!r}")
    iso_year, iso_month, month, year = match.groups()
    return date(int(iso_year or year), int(iso_month or month), 1)


def parse_date_text(text: str | None) -> date | None:
    """Read a date typed the user's way, or as ISO 2026-11-26; None when empty.

    26.11.2026 is day first in any language; 11/26/2026 is month first in English and
    day first in Russian (26/11/2026).

    :raise ValueError: if it is not a date in one of those forms.
    """
    text = (text or "").strip()
    if not text:
        return None
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DOTTED_DATE.fullmatch(text):
        day, month, year = match.groups()
    elif match := _SLASHED_DATE.fullmatch(text):
        first, second, year = match.groups()
        month, day = (first, second) if date_language() == "en" else (second, first)
    else:
        raise ValueError(f"not a date: {text!r}")
    return date(int(year), int(month), int(day))


def datetime_text(value: datetime | None) -> str:
    """26.11.2026 10:00 in Russian, 11/26/2026, 10:00 AM in English."""
    if value is None:
        return ""
    # Both patterns are digits only (and AM/PM): written directly, as Babel would write
    # "M/d/yyyy, h:mm a" and "dd.MM.yyyy HH:mm", at a fraction of its cost per list cell.
    if _language() == "en":
        hour = value.hour % 12 or 12
        noon = "PM" if value.hour >= 12 else "AM"
        return f"{value.month}/{value.day}/{value.year:04d}, {hour}:{value.minute:02d} {noon}"
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d} {value.hour:02d}:{value.minute:02d}"


# Babel's group and decimal symbols of the two languages, for the pattern "#,##0.00".
_SEPARATORS = {"ru": ("\u00a0", ","), "en": (",", ".")}
_CENTS = Decimal("0.01")


def _amount(amount, language: str) -> str:
    """Write the amount as Babel writes "#,##0.00" (half to even), at a tenth of its cost.

    A board or a list formats a hundred amounts a page; Babel parses its pattern and
    looks up the locale each time.
    """
    if language not in _SEPARATORS:
        return format_decimal(amount, "#,##0.00", locale=language)
    group, point = _SEPARATORS[language]
    cents = Decimal(amount).quantize(_CENTS, rounding=ROUND_HALF_EVEN)
    text = f"{cents:,.2f}"
    return text.replace(",", "\0").replace(".", point).replace("\0", group)


def money_text(amount: Decimal | None, currency: str = "RUB") -> str:
    """1 234 567,89 ₽ in Russian, ₽1,234,567.89 in English."""
    if amount is None:
        return ""
    language = _language()
    symbol = get_currency_symbol(currency, "ru") if currency == "RUB" else currency
    number = _amount(amount, language)
    if language == "ru":
        return f"{number}\u00a0{symbol}"
    return f"{symbol}{number}"


def amount_text(amount: Decimal | None) -> str:
    """1 234 567,89 in Russian, 1,234,567.89 in English: an amount without its currency."""
    return "" if amount is None else _amount(amount, _language())


def number_text(value, language: str | None = None) -> str:
    """A number with the locale's grouping (in `language`, else the reader's)."""
    if value is None:
        return ""
    language = language or _language()
    if type(value) is int and language in _SEPARATORS:
        # A count, written as Babel would ("12 345", "12,345") without its pattern work.
        return f"{value:,}".replace(",", _SEPARATORS[language][0])
    return format_decimal(value, locale=language)


def _tenths(value: float, language: str) -> str:
    """Write a number under 1,000 as Babel writes "#,##0.#": 7,5 or 7 (a report writes many)."""
    if language not in _SEPARATORS or not 0 <= value < 1000:
        return format_decimal(value, "#,##0.#", locale=language)
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", _SEPARATORS[language][1])


# How each language writes a share after its number (Babel's percent patterns).
_PERCENT_SIGNS = {"ru": "\u00a0%", "en": "%"}


def percent_text(value, language: str | None = None) -> str:
    """12,5 % in Russian, 12.5% in English (the locale's own pattern); a dash for none.

    The digits are the value's own (trailing zeros dropped), as Babel writes them without
    quantizing; a report writes hundreds, so the two languages skip Babel's pattern work.
    """
    if value is None:
        return "—"
    language = language or _language()
    if language not in _PERCENT_SIGNS or not isinstance(value, (int, Decimal)):
        return format_percent(value / 100, locale=language, decimal_quantization=False)
    number = Decimal(value).normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    group, point = _SEPARATORS[language]
    text = f"{number:,f}".replace(",", "\0").replace(".", point).replace("\0", group)
    return text + _PERCENT_SIGNS[language]


def day_month_text(value: date | None) -> str:
    """26 ноября in Russian, November 26 in English."""
    if value is None:
        return ""
    language = _language()
    if language not in _SEPARATORS or isinstance(value, datetime):
        return format_date(value, "d MMMM" if language == "ru" else "MMMM d")
    # Babel's month names, without its pattern work: a week's birthdays write dozens.
    month = _month_names(language)[value.month]
    return f"{value.day} {month}" if language == "ru" else f"{month} {value.day}"


@cache
def _month_names(language: str) -> dict[int, str]:
    """Return the month names as "d MMMM" writes them (ноября: the genitive)."""
    return dict(get_month_names("wide", "format", Locale.parse(language)))


def name_text(first_name: str | None, last_name: str | None, middle_name: str | None = None) -> str:
    """Return a person's name in the reader's order: the one rule for users and contacts.

    Russian puts the last name first (Емельянов Афанасий Петрович), English last
    (Afanasy Petrovich Emelyanov).
    """
    if _language() == "ru":
        parts = (last_name, first_name, middle_name)
    else:
        parts = (first_name, middle_name, last_name)
    return " ".join(part.strip() for part in parts if part and part.strip())


def person_name(user) -> str:
    """A user's name in the order the reader's language expects; the login when unnamed."""
    if user is None:
        return ""
    first_name = getattr(user, "first_name", None)
    last_name = getattr(user, "last_name", None)
    if first_name is None and last_name is None:
        return str(user)
    return name_text(first_name, last_name) or getattr(user, "username", "") or ""


def install_user_names(user_model) -> None:
    """Make FAB's user print its name by the same rule (menu bar, selects, messages).

    FAB's User writes "first last" in `get_full_name()` and `__repr__`, which its forms'
    selects, the menu bar and "%(name)s" messages use: both now call person_name.
    """
    user_model.get_full_name = _user_name
    user_model.__str__ = _user_name


def _user_name(user) -> str:
    return name_text(user.first_name, user.last_name) or user.username or ""


def minutes_text(minutes: float | None, language: str | None = None) -> str:
    """A span of time, rounded to what a reader needs: 7,5 мин, 2 ч 05 мин, 3 дн. 4 ч.

    `language` is the request's, when the caller has it already: the words are always
    the request's.
    """
    if minutes is None:
        return "—"
    if minutes < 60:
        return _("%(minutes)s min", minutes=_tenths(round(minutes, 1),
                                                    language or _language()))
    total = round(minutes)
    if total < 24 * 60:
        hours, rest = divmod(total, 60)
        if not rest:
            return _("%(hours)s h", hours=hours)
        return _("%(hours)s h %(minutes)02d min", hours=hours, minutes=rest)
    days, rest = divmod(total, 24 * 60)
    hours = rest // 60
    if not hours:
        return _("%(days)s d", days=number_text(days, language))
    return _("%(days)s d %(hours)s h", days=number_text(days, language), hours=hours)
