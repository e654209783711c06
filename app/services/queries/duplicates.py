"""The head's report of duplicates: pairs of live companies (or contacts) that look like
one client, by INN, phone, e-mail and similar names, each with both owners.

Set-based: the values held more than once are read per key from key_holders (the live
records per value, kept by the write path: rules/summaries.py), a few rows along its
partial index, never by grouping the records; then one query loads the records of those
values. Names: the folded names held more than once (the key search_name), and, for the
newest companies, candidates from the name index scored by rapidfuzz
(rules/duplicates.py), never the whole table. Every part is capped: the report shows the
first pairs, not all of them.
"""

from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import false, func, select, union_all
from sqlalchemy.orm import Session, lazyload, load_only

from app.models import Company, Contact, KeyHolders
from app.services.errors import NotFound
from app.services.queries.owners import attach_owners
from app.services.rules import duplicates
from app.services.rules.visibility import sees_everything

# Values held more than once, read per key.
KEYS_LIMIT = 50
# Pairs shown per kind (companies, contacts): a page a head can work through; merged
# pairs leave it and the next ones come up.
PAIRS_LIMIT = 50
# Holders of one value paired with each other at most.
HOLDERS_SHOWN = 5
# The newest companies whose names are compared with the name index's candidates.
NEWEST = 25
# What the report reads of a record: its name, owner and keys (a pair's reasons), not the
# address, notes and the rest of a wide row. The owners come in one statement of their own
# (attach_owners), not joined to every row.
SHOWN = {
    Company: (Company.name, Company.owner_id, Company.inn, Company.phone_e164,
              Company.email_key, Company.search_name),
    Contact: (Contact.last_name, Contact.first_name, Contact.middle_name, Contact.owner_id,
              Contact.phone_e164, Contact.mobile_phone_e164, Contact.email_key,
              Contact.second_email_key),
}
KEY_COLUMNS = {
    Company: (("inn", Company.inn), ("phone", Company.phone_e164),
              ("email", Company.email_key), ("name", Company.search_name)),
    Contact: (("phone", Contact.phone_e164), ("phone", Contact.mobile_phone_e164),
              ("email", Contact.email_key), ("email", Contact.second_email_key)),
}


@dataclass
class Pair:
    """Two live records that look like one client, and why."""

    first: Company | Contact
    second: Company | Contact
    reasons: list[str]
    score: int | None = None

    @property
    def type(self) -> str:
        return type(self.first).__tablename__


def _repeated(session: Session, model) -> dict[str, list]:
    """Return, per key of the model, the first values that more than one live record holds.

    One statement for every key (a part per key, each along key_holders' partial index),
    not one a key: on PostgreSQL each was a round trip.
    """
    parts = []
    for key in dict.fromkeys(column.key for _reason, column in KEY_COLUMNS[model]):
        first = (select(KeyHolders.key, KeyHolders.value)
                 .where(KeyHolders.record_type == model.__tablename__,
                        KeyHolders.key == key, KeyHolders.n > 1)
                 .order_by(KeyHolders.value).limit(KEYS_LIMIT).subquery())
        parts.append(select(first.c.key, first.c.value))
    read = union_all(*parts).subquery()
    found: dict[str, list] = {}
    # In the order of the values, as the database sorts them (its collation, as before).
    for key, value in session.execute(select(read.c.key, read.c.value)
                                      .order_by(read.c.key, read.c.value)):
        found.setdefault(key, []).append(value)
    return found


def _add(pairs: dict, first, second, reason: str, score: int | None = None) -> None:
    if first.id == second.id:
        return
    low, high = sorted((first, second), key=lambda record: record.id)
    pair = pairs.get((low.id, high.id))
    if pair is None:
        if len(pairs) >= PAIRS_LIMIT:
            return
        pair = pairs[(low.id, high.id)] = Pair(low, high, [], score)
    if reason not in pair.reasons:
        pair.reasons.append(reason)


def _by_keys(session: Session, model, pairs: dict) -> None:
    repeated = _repeated(session, model) if len(pairs) < PAIRS_LIMIT else {}
    for reason, column in KEY_COLUMNS[model]:
        # The pairs listed already may share this key too: their records tell.
        for pair in pairs.values():
            value = getattr(pair.first, column.key)
            if value is not None and value == getattr(pair.second, column.key) \
                    and reason not in pair.reasons:
                pair.reasons.append(reason)
        if len(pairs) >= PAIRS_LIMIT:
            continue
        # Each value makes a pair at least: no more values than the page has room for.
        values = repeated.get(column.key, [])[:PAIRS_LIMIT - len(pairs)]
        if not values:
            continue
        # The first few holders of each value: a common name is held by dozens.
        ranked = (select(model.id, func.row_number().over(
                      partition_by=column, order_by=model.id).label("rank"))
                  .where(column.in_(values), model.archived == false()).subquery())
        records = session.scalars(select(model).join(ranked, ranked.c.id == model.id)
                                  .where(ranked.c.rank <= HOLDERS_SHOWN)
                                  .options(load_only(*SHOWN[model]), lazyload(model.owner))
                                  .order_by(model.id)).unique()
        groups: dict = {}
        for record in records:
            groups.setdefault(getattr(record, column.key), []).append(record)
        for group in groups.values():
            for first, second in combinations(group, 2):
                _add(pairs, first, second, reason)


def _by_similar_names(session: Session, pairs: dict) -> None:
    newest = list(session.scalars(select(Company).where(Company.archived == false())
                                  .options(load_only(*SHOWN[Company]),
                                           lazyload(Company.owner))
                                  .order_by(Company.id.desc()).limit(NEWEST)).unique())
    for company, other, score in duplicates.similar_pairs(session, newest):
        _add(pairs, company, other, "name", score)


def report(session: Session, actor) -> list[Pair]:
    """Return the pairs that look like one client, companies first (Head and Admin).

    :raise NotFound: for a user who does not see every manager's clients.
    """
    if not sees_everything(actor):
        raise NotFound("duplicates")
    pairs: dict = {}
    _by_keys(session, Company, pairs)
    if len(pairs) < PAIRS_LIMIT:
        _by_similar_names(session, pairs)
    company_pairs = list(pairs.values())
    pairs = {}
    _by_keys(session, Contact, pairs)
    found = company_pairs + list(pairs.values())
    attach_owners(session, [record for pair in found for record in (pair.first, pair.second)])
    return found
