"""Search-as-you-type for the relation fields of forms: companies, contacts and deals.

Every search is scoped like the lists (a manager finds only own records, archived ones
never) and returns at most LIMIT matches, the ones starting with what was typed first.
"""

import re
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from app.models import Company, Contact, Deal
from app.services.rules.validation import MAX_ID
from app.services.rules.visibility import scope_query

LIMIT = 20
KINDS = ("company", "contact", "deal")
MODELS = {"company": Company, "contact": Contact, "deal": Deal}
# Longer input is cut: nobody types a name this long, and it keeps the patterns small.
MAX_TERM = 100
# The SQLite function registered on every connection (see app/__init__.py).
SQLITE_FOLD = "crm_fold"
PHONE_LIKE = re.compile(r"^[\d\s()+\-]+$")


@dataclass(frozen=True)
class Match:
    """One record found: its id and the text the select shows."""

    id: int
    text: str


def fold(value):
    """Return text lower-cased with ё read as е, as the searches compare it."""
    if not isinstance(value, str):
        return value
    return value.lower().replace("ё", "е")


def search(
    session: Session, user, kind: str, term: str = "", company_id: int | None = None,
    limit: int = LIMIT,
) -> list[Match]:
    """Return the records of `kind` matching `term` that `user` may see, best first.

    Each word of the term must match one of the searched fields. `company_id` keeps
    contacts and deals of that company only.

    :raise KeyError: for an unknown kind.
    """
    model = MODELS[kind]
    typed = fold((term or "")[:MAX_TERM]).strip()
    # A phone is typed with spaces ("8 495 123 45 67"): for records with phones, its
    # digits are one word.
    words = [typed] if model is not Deal and _is_phone(typed) else typed.split()
    fold_sql = _fold_function(session)
    statement = scope_query(select(model), model, user)
    for word in words:
        statement = statement.where(_word_matches(model, word, fold_sql))
    if company_id is not None and model is not Company:
        statement = statement.where(model.company_id == company_id)
    statement = statement.options(*_label_loads(model)).order_by(
        *_ordering(model, words[0] if words else "", fold_sql)
    ).limit(max(1, min(limit, LIMIT)))
    return [Match(record.id, label(record)) for record in session.scalars(statement).unique()]


def visible(session: Session, user, kind: str, record_id) -> object | None:
    """Return the record of `kind` with this id if `user` may see it, else None.

    :raise KeyError: for an unknown kind.
    """
    model = MODELS[kind]
    try:
        number = int(str(record_id).strip())
    except (TypeError, ValueError):
        return None
    if not 0 < number <= MAX_ID:
        return None
    statement = scope_query(select(model), model, user).where(model.id == number)
    return session.scalars(statement.options(*_label_loads(model))).unique().first()


def label(record) -> str:
    """Return the text a select shows for a company, contact or deal."""
    if isinstance(record, Company):
        return " · ".join(part for part in (record.name, record.inn) if part)
    if isinstance(record, Contact):
        company = record.company.name if record.company is not None else None
        return " · ".join(part for part in (record.full_name, company) if part)
    if isinstance(record, Deal):
        client = record.company or record.contact
        return " · ".join(part for part in (record.title, str(client or "")) if part)
    return str(record)


def _fold_function(session: Session):
    """Return the SQL function that folds text the way `fold` does, for this database."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite's lower() leaves Cyrillic as it is: a Python function does it instead.
        return lambda column: getattr(func, SQLITE_FOLD)(column)
    return lambda column: func.replace(func.lower(column), "ё", "е")


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column, word: str, fold_sql):
    return fold_sql(column).like(f"%{_escape(word)}%", escape="\\")


def _digits_contain(column, word: str):
    """Match a phone stored as '+7 495 123-45-67' against the digits typed in any format."""
    digits = re.sub(r"\D", "", word)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]  # the Russian long-distance prefix
    bare = func.replace(func.replace(func.replace(column, " ", ""), "-", ""), "+", "")
    return bare.like(f"%{digits}%")


def _is_phone(word: str) -> bool:
    return bool(PHONE_LIKE.match(word)) and len(re.sub(r"\D", "", word)) >= 3


def _word_matches(model, word: str, fold_sql):
    if model is Company:
        fields = [
            _contains(Company.name, word, fold_sql),
            _contains(Company.legal_name, word, fold_sql),
            Company.inn.like(f"%{_escape(word)}%", escape="\\"),
        ]
        if _is_phone(word):
            fields.append(_digits_contain(Company.phone, word))
        return or_(*fields)
    if model is Contact:
        fields = [
            _contains(getattr(Contact, name), word, fold_sql)
            for name in ("last_name", "first_name", "middle_name", "email", "second_email")
        ]
        if _is_phone(word):
            fields += [_digits_contain(Contact.phone, word),
                       _digits_contain(Contact.mobile_phone, word)]
        return or_(*fields)
    return _contains(Deal.title, word, fold_sql)


def _ordering(model, first_word: str, fold_sql) -> list:
    """Records whose name starts with the first word first, then alphabetically."""
    name = {Company: Company.name, Contact: Contact.last_name, Deal: Deal.title}[model]
    order = [name, Contact.first_name, model.id] if model is Contact else [name, model.id]
    if first_word:
        pattern = f"{_escape(first_word)}%"
        order.insert(0, case((fold_sql(name).like(pattern, escape="\\"), 0), else_=1))
    return order


def _label_loads(model) -> list:
    if model is Contact:
        return [joinedload(Contact.company)]
    if model is Deal:
        return [joinedload(Deal.company), joinedload(Deal.contact)]
    return []

