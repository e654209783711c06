"""The menu bar's search: anyone from one box, by name, phone in any spelling, e-mail or INN.

Names: every typed word must start a word of the name (case and ё / е aside). Phones: the
whole number in any spelling, or its last seven digits or more. E-mail: the whole address,
any case. INN: its 10 or 12 digits. Every comparison reads an index of the search keys
the write path stores (app/services/rules/search_keys.py): nothing is reformatted per row.

A manager finds only own records. A phone, e-mail or INN that belongs to another manager's
client is reported as taken, with that manager and nothing else, so that two managers do
not work the same client without knowing.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, literal_column, select
from sqlalchemy.orm import Session, joinedload, lazyload

from app.models import Company, Contact, Deal, User
from app.services.errors import ValidationError
from app.services.queries.owners import attach_owners
from app.services.rules import name_words, search_keys
from app.services.rules.visibility import can_see, scope_query

# Results per kind: a few in the menu bar's list, more on the results page.
DROPDOWN_LIMIT = 5
PAGE_LIMIT = 20
# Longest query accepted: a full legal name fits; longer is no search.
MAX_QUERY = 200
# Shortest phone search: the last seven digits (a city number without its code).
MIN_PHONE_DIGITS = 7
# The most records one phone, e-mail or INN is looked up in (they are rare per value).
IDENTIFIER_LIMIT = 50
PHONE_TYPED = re.compile(r"^\+?[\d\s().\-]+$")
INN_TYPED = re.compile(r"^\d{10}(\d{2})?$")
# Kinds of results, in the order the menu bar groups them.
KINDS = ("company", "client", "person", "deal")
# A character above every other: a prefix's range ends just before it (SQLite).
_TOP = "\U0010ffff"


@dataclass(frozen=True)
class Hit:
    """One record found: its kind ("company", "client", "person", "deal"), id and owner."""

    kind: str
    id: int
    record: object
    owner: User | None
    next_task_at: datetime | None

    @property
    def type(self) -> str:
        """The API's type: "company", "contact" (clients and persons) or "deal"."""
        return "contact" if self.kind in ("client", "person") else self.kind


@dataclass(frozen=True)
class Taken:
    """A matching phone, e-mail or INN of a record the user may not see, and its owner."""

    type: str
    owner: User | None


@dataclass
class Found:
    """What a search found: hits by kind (best first) and identifiers taken by others."""

    hits: dict[str, list[Hit]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    taken: list[Taken] = field(default_factory=list)

    @property
    def results(self) -> list[Hit]:
        """Every hit, kind after kind in the order of KINDS."""
        return [hit for kind in KINDS for hit in self.hits[kind]]


def clean_query(text: str | None, field: str = "q") -> str:
    """Return the query stripped.

    :raise ValidationError: naming the field if the query is empty, too long or holds a
        NUL or another control character.
    """
    value = (text or "").strip()
    if not value:
        raise ValidationError(_l("Search: type a name, a phone, an e-mail or an INN."), field)
    if len(value) > MAX_QUERY:
        raise ValidationError(_l("Search: at most %(max)s characters.", max=MAX_QUERY), field)
    if any(ord(char) < 32 or 0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise ValidationError(_l("Search: remove the control characters."), field)
    return value


def search(session: Session, user, text: str, limit: int = DROPDOWN_LIMIT) -> Found:
    """Find the companies, clients, contact persons and deals matching the query.

    :raise ValidationError: naming `q` if the query is empty, too long or holds control
        characters.
    """
    query = clean_query(text)
    found = Found()
    if "@" in query:
        _by_identifier(session, user, found, _email_matches(query), limit)
    elif PHONE_TYPED.match(query):
        digits = search_keys.typed_phone_digits(query)
        matches = []
        if len(digits) >= MIN_PHONE_DIGITS:
            matches += _phone_matches(session, digits)
        if INN_TYPED.match(query):
            matches.append((Company, Company.inn == query))
        _by_identifier(session, user, found, matches, limit)
    else:
        _by_name(session, user, found, search_keys.words(query), limit)
    return found


# --- phones, e-mails, INN ------------------------------------------------------------------


def _phone_matches(session: Session, digits: str) -> list:
    """Return (model, condition) pairs: a stored number ending with the digits."""
    prefix = digits[::-1]
    # One look-up per column: an OR of two columns made SQLite scan the table.
    return [(Company, _starts(session, Company.phone_tail, prefix)),
            (Contact, _starts(session, Contact.phone_tail, prefix)),
            (Contact, _starts(session, Contact.mobile_phone_tail, prefix))]


def _email_matches(query: str) -> list:
    key = search_keys.email_key(query)
    return [(Company, Company.email_key == key), (Contact, Contact.email_key == key),
            (Contact, Contact.second_email_key == key)]


def _by_identifier(session: Session, user, found: Found, matches: list, limit: int) -> None:
    """Add the visible matches as hits; the others (not archived) as taken, once per owner."""
    taken = set()
    per_match = []
    for model, condition in matches:
        # No ORDER BY: a value has few rows, and a sort by id could make the database walk
        # the primary key instead of the value's index. They are put in order here.
        statement = (select(model).where(condition, model.archived == false())
                     .options(*_loads(model)).limit(IDENTIFIER_LIMIT))
        per_match.append((model, sorted(session.scalars(statement).unique(),
                                        key=lambda record: record.id)))
    attach_owners(session, chain.from_iterable(records for _model, records in per_match),
                  known=(user,))
    for model, records in per_match:
        for record in records:
            if can_see(record, user):
                _add(found, record, limit)
            elif (model, record.owner_id) not in taken:
                taken.add((model, record.owner_id))
                found.taken.append(Taken(model.__tablename__, record.owner))


def _add(found: Found, record, limit: int) -> None:
    hit = _hit(record)
    hits = found.hits[hit.kind]
    if len(hits) < limit and all(known.id != hit.id for known in hits):
        hits.append(hit)


def _hit(record) -> Hit:
    kind = type(record).__tablename__
    if isinstance(record, Contact):
        kind = "client" if record.company_id is None else "person"
    return Hit(kind, record.id, record, record.owner, record.next_task_at)


# --- names ---------------------------------------------------------------------------------

# Each kind of result: its model and the extra condition that tells it apart. Written so
# that no index serves it: the index on company_id would make the database walk every
# contact person (or private client) instead of the few rows the name index gives.
_NAMED = (
    ("company", Company, None),
    ("client", Contact, func.coalesce(Contact.company_id, 0) == 0),
    ("person", Contact, func.coalesce(Contact.company_id, 0) != 0),
    ("deal", Deal, None),
)


def _by_name(session: Session, user, found: Found, words: list[str], limit: int) -> None:
    """Add the records whose name holds every word, those starting with the query first."""
    if not words:
        return
    whole = " ".join(words)
    per_kind = {}
    for kind, model, condition in _NAMED:
        base = scope_query(select(model), model, user)
        if condition is not None:
            base = base.where(condition)
        base = base.options(*_loads(model))
        # The best: the name starts with the whole query, in the name's order.
        first = base.where(_starts(session, model.search_name, whole)).order_by(
            _name_order(session, model), model.id).limit(limit)
        records = list(session.scalars(first).unique())
        if len(records) < limit:
            seen = [record.id for record in records]
            rest = _words_match(session, base, model, words)
            if seen:
                rest = rest.where(model.id.not_in(seen))
            more = session.scalars(rest.limit(limit - len(records))).unique()
            records += sorted(more, key=lambda record: _closeness(record, words))
        per_kind[kind] = records
    attach_owners(session, chain.from_iterable(per_kind.values()), known=(user,))
    for kind, records in per_kind.items():
        found.hits[kind] = [_hit(record) for record in records]


def _closeness(record, words: list[str]) -> tuple:
    """Order the other matches: the first word matching a whole word first, then by name."""
    name_words = (record.search_name or "").split()
    return (words[0] not in name_words, record.search_name or "")


def _words_match(session: Session, statement, model, words: list[str]):
    """Keep the rows where each word starts a word of the name (the text index answers)."""
    return name_words.starting_first(session, statement, model, words)


def _starts(session: Session, column_, prefix: str):
    """Return "the column starts with the prefix" in the form the database's index reads.

    A range on both databases. SQLite uses an index for LIKE only under case-sensitive
    LIKE. PostgreSQL turns LIKE 'x%' into a range only when it sees the text, not in the
    plan it keeps for a prepared statement, which then reads the trigram index and sorts
    every match; its pattern operators are the range of the text_pattern_ops indexes.
    """
    if session.get_bind().dialect.name == "sqlite":
        return (column_ >= prefix) & (column_ < prefix + _TOP)
    return column_.op("~>=~")(prefix) & column_.op("~<~")(prefix + _TOP)


def _name_order(session: Session, model):
    """Order by the folded name as its starts-with index holds it (PostgreSQL: bytewise).

    So that the database reads the first few names along the index and stops, without
    sorting every name that starts with the query.
    """
    if session.get_bind().dialect.name == "sqlite":
        return model.search_name
    return literal_column(f"{model.__tablename__}.search_name USING ~<~")


def _loads(model) -> list:
    """Join the names a result shows (its client's), not the owners nor the stage.

    Fewer joins: PostgreSQL plans each search statement anew until it keeps a plan, and
    every joined table adds to that. The owners come apart (attach_owners): for a manager,
    with no statement at all.
    """
    if model is Contact:
        return [lazyload(Contact.owner), joinedload(Contact.company).lazyload(Company.owner)]
    if model is Deal:
        return [lazyload(Deal.owner), joinedload(Deal.company).lazyload(Company.owner),
                joinedload(Deal.contact).lazyload(Contact.owner), lazyload(Deal.stage)]
    return [lazyload(Company.owner)]
