"""Keep the summary tables the head's pages read: done tasks, deals, new clients, and
how many live records hold each duplicate key (the duplicates report's).

One place keeps them, in the transaction of the write that changes them: a flush hook
(installed by `install`, like the next task hook) takes the summary keys of the tasks,
deals and clients a flush touches, once before the flush and once after (from the
records' loaded values, or from their rows when not loaded), and adds the difference
with an upsert (`INSERT ... ON CONFLICT DO UPDATE SET
n = n + :n`), never a read-modify-write: two completions at once both count. Writers that
bypass the unit of work say so: `moving_owner` (the reassignment's bulk UPDATE) and
`rebuild` (the demo's bulk insert, and `flask crm rebuild-summaries`). A duplicate key's
row is deleted when no live record holds its value any more.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    delete,
    event,
    extract,
    false,
    func,
    inspect,
    literal,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from app.models import (
    ClientCreatedMonth,
    Company,
    Contact,
    Deal,
    DealClosedMonth,
    DealStageMonth,
    KeyHolders,
    Task,
    TaskDoneDay,
)
from app.models.client_created_month import COMPANY, PRIVATE
from app.models.deal_stage_month import NO_CLOSE_MONTH
from app.models.enums import TaskState

SUMMARIES = (TaskDoneDay, DealClosedMonth, DealStageMonth, ClientCreatedMonth, KeyHolders)
# The summaries keyed by the owner first: the reassignment moves their rows.
OWNED = (DealClosedMonth, DealStageMonth, ClientCreatedMonth)
# The duplicate keys counted per value in KeyHolders (the duplicates report's).
DUPLICATE_KEYS = {
    Company: ("inn", "phone_e164", "email_key", "search_name"),
    Contact: ("phone_e164", "mobile_phone_e164", "email_key", "second_email_key"),
}
# The attributes whose change may move a record from one summary row to another.
RELEVANT = {
    Task: frozenset({"state", "done_at", "done_by_id", "archived"}),
    Deal: frozenset({"stage_id", "stage", "closed_at", "owner_id", "owner", "currency",
                     "amount", "lost_reason", "archived", "expected_close_date"}),
    Company: frozenset({"created_at", "owner_id", "owner", "source", "archived",
                        *DUPLICATE_KEYS[Company]}),
    Contact: frozenset({"created_at", "owner_id", "owner", "source", "archived",
                        "company_id", "company", *DUPLICATE_KEYS[Contact]}),
}
MEASURES = {TaskDoneDay: ("n",), DealClosedMonth: ("n", "amount_n", "amount"),
            DealStageMonth: ("n", "amount_n", "amount"), ClientCreatedMonth: ("n",),
            KeyHolders: ("n",)}
CHUNK = 500  # ids per SELECT, well under every database's parameter limit
UPSERT_VALUES = 2000  # values per upsert (rows x columns), likewise
_BEFORE = "summaries_before"

# {(summary model, key tuple): [n, amount_n, amount]}
Deltas = dict[tuple, list]


def clean_source(source: str | None) -> str:
    """Return the source as the chart groups it: trimmed, "" when none."""
    return (source or "").strip()


def _year_month(column) -> tuple:
    return extract("year", column), extract("month", column)


def _deal_groups(*columns):
    """Return the deal columns of a grouping, then its measures: count, amounts, sum."""
    return select(*columns, func.count(), func.count(Deal.amount),
                  func.coalesce(func.sum(Deal.amount), 0))


def _groupings(model, condition) -> list[tuple]:
    """Return (summary, GROUP BY) pairs giving the model's contributions to its summaries."""
    if model is Task:
        day = (*_year_month(Task.done_at), extract("day", Task.done_at))
        return [(TaskDoneDay, (
            select(Task.done_by_id, *day, func.count())
            .where(condition, Task.state == TaskState.DONE.value, Task.archived == false(),
                   Task.done_by_id.is_not(None), Task.done_at.is_not(None))
            .group_by(Task.done_by_id, *day)
        ))]
    if model is Deal:
        closed = (Deal.owner_id, *_year_month(Deal.closed_at), Deal.stage_id, Deal.currency,
                  Deal.lost_reason)
        staged = (Deal.owner_id, *_year_month(Deal.expected_close_date), Deal.stage_id,
                  Deal.currency)
        return [
            (DealClosedMonth, _deal_groups(*closed).where(
                condition, Deal.closed_at.is_not(None), Deal.archived == false())
             .group_by(*closed)),
            (DealStageMonth, _deal_groups(*staged).where(condition, Deal.archived == false())
             .group_by(*staged)),
        ]
    month = _year_month(model.created_at)
    query = (
        select(model.owner_id, *month, model.source, func.count())
        .where(condition, model.archived == false())
        .group_by(model.owner_id, *month, model.source)
    )
    if model is Contact:
        query = query.where(Contact.company_id.is_(None))
    return [(ClientCreatedMonth, query), *_key_groupings(model, condition)]


def _key_groupings(model, condition) -> list[tuple]:
    """Return (KeyHolders, GROUP BY) pairs: the live records per value of each key."""
    groupings = []
    for key in DUPLICATE_KEYS[model]:
        column = getattr(model, key)
        groupings.append((KeyHolders, (
            select(literal(model.__tablename__), literal(key), column, func.count())
            .where(condition, model.archived == false(), column.is_not(None))
            .group_by(column)
        )))
    return groupings


def _month(year, month) -> date:
    return date(int(year), int(month), 1)


def _keyed(model, summary, row) -> tuple[tuple, tuple]:
    """Return ((summary model, key), measures) of one grouped row of the model's records."""
    if summary is TaskDoneDay:
        user_id, year, month, day, count = row
        return (TaskDoneDay, (user_id, date(int(year), int(month), int(day)))), (count, 0, 0)
    if summary is DealClosedMonth:
        owner_id, year, month, stage_id, currency, reason, count, amounts, amount = row
        key = (owner_id, _month(year, month), stage_id, currency or "RUB", reason or "")
        return (DealClosedMonth, key), (count, amounts, Decimal(str(amount or 0)))
    if summary is DealStageMonth:
        owner_id, year, month, stage_id, currency, count, amounts, amount = row
        expected = NO_CLOSE_MONTH if year is None else _month(year, month)
        key = (owner_id, expected, stage_id, currency or "RUB")
        return (DealStageMonth, key), (count, amounts, Decimal(str(amount or 0)))
    if summary is KeyHolders:
        record_type, key, value, count = row
        return (KeyHolders, (record_type, key, value)), (count, 0, 0)
    owner_id, year, month, source, count = row
    kind = COMPANY if model is Company else PRIVATE
    key = (owner_id, _month(year, month), kind, clean_source(source))
    return (ClientCreatedMonth, key), (count, 0, 0)


# The columns a record's summary key is made of, read from the record when loaded.
COLUMNS = {
    Task: ("state", "archived", "done_by_id", "done_at"),
    Deal: ("archived", "owner_id", "closed_at", "stage_id", "currency", "lost_reason",
           "amount", "expected_close_date"),
    Company: ("archived", "owner_id", "created_at", "source", *DUPLICATE_KEYS[Company]),
    Contact: ("archived", "owner_id", "created_at", "source", "company_id",
              *DUPLICATE_KEYS[Contact]),
}


def _values(record, *, old: bool, inserted: bool = False) -> dict | None:
    """Return the record's key columns (before the flush with `old`); None if not loaded.

    A column a just inserted record was given no value for is NULL (none of these has a
    default in the database).
    """
    state = inspect(record)
    values = {}
    for key in COLUMNS[type(record)]:
        if old and key in state.committed_state:
            value = state.committed_state[key]
        elif key in state.dict:
            value = state.dict[key]
        elif inserted:
            value = None
        else:
            return None
        if value is NO_VALUE:
            return None
        values[key] = value
    return values


def _rows_of(model, values: dict) -> list[tuple]:
    """Return the (summary, grouped row) pairs one record makes, as `_groupings` would."""
    if values["archived"]:
        return []
    if model is Task:
        done = values["done_at"]
        if values["state"] != TaskState.DONE.value or done is None or not values["done_by_id"]:
            return []
        return [(TaskDoneDay, (values["done_by_id"], done.year, done.month, done.day, 1))]
    if model is Deal:
        amount = values["amount"]
        measures = (1, int(amount is not None), amount or 0)
        expected = values["expected_close_date"]
        rows = [(DealStageMonth, (
            values["owner_id"], expected and expected.year, expected and expected.month,
            values["stage_id"], values["currency"], *measures))]
        closed = values["closed_at"]
        if closed is not None:
            rows.append((DealClosedMonth, (
                values["owner_id"], closed.year, closed.month, values["stage_id"],
                values["currency"], values["lost_reason"], *measures)))
        return rows
    rows = [(KeyHolders, (model.__tablename__, key, values[key], 1))
            for key in DUPLICATE_KEYS[model] if values[key] is not None]
    if model is Contact and values["company_id"] is not None:
        return rows
    created = values["created_at"]
    return [(ClientCreatedMonth,
             (values["owner_id"], created.year, created.month, values["source"], 1)), *rows]


def _add(deltas: Deltas, model, summary, rows, sign: int) -> None:
    for row in rows:
        key, measures = _keyed(model, summary, row)
        total = deltas.setdefault(key, [0, 0, Decimal(0)])
        for index, value in enumerate(measures):
            total[index] += sign * value


def contributions(connection, model, condition, deltas: Deltas, sign: int = 1,
                  summaries=SUMMARIES) -> None:
    """Add (sign 1) or take away (sign -1) what the rows matching `condition` count."""
    for summary, grouping in _groupings(model, condition):
        if summary in summaries:
            _add(deltas, model, summary, connection.execute(grouping), sign)


def _of_ids(connection, model, ids: Iterable[int], deltas: Deltas, sign: int) -> None:
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), CHUNK):
        contributions(connection, model, model.id.in_(wanted[start:start + CHUNK]), deltas,
                      sign)


def _key_columns(summary) -> list:
    return [column for column in summary.__table__.primary_key.columns]


def apply(connection, deltas: Deltas) -> None:
    """Add the deltas to the summary rows with upserts, in a fixed order (no deadlock)."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for summary in SUMMARIES:
        table = summary.__table__
        keys = _key_columns(summary)
        measures = MEASURES[summary]
        changed = sorted(
            (key for (model, key), values in deltas.items()
             if model is summary and any(values)),
        )
        size = UPSERT_VALUES // (len(keys) + len(measures))
        for start in range(0, len(changed), size):
            rows = [
                {**{column.name: value for column, value in zip(keys, key, strict=True)},
                 **dict(zip(measures, deltas[(summary, key)], strict=False))}
                for key in changed[start:start + size]
            ]
            statement = insert(table).values(rows)
            connection.execute(statement.on_conflict_do_update(
                index_elements=keys,
                set_={name: table.c[name] + statement.excluded[name] for name in measures},
            ))
        if summary is KeyHolders:
            _forget_unheld(connection, [key for key in changed if deltas[(summary, key)][0] < 0])


def _forget_unheld(connection, keys: list[tuple]) -> None:
    """Delete the values no live record holds any more (one per edited or archived key)."""
    table = KeyHolders.__table__
    columns = tuple_(*_key_columns(KeyHolders))
    size = UPSERT_VALUES // len(_key_columns(KeyHolders))
    for start in range(0, len(keys), size):
        connection.execute(delete(table).where(table.c.n <= 0,
                                               columns.in_(keys[start:start + size])))


def _relevant_change(session: Session, record) -> bool:
    state = inspect(record)
    return record in session.deleted or any(
        state.attrs[key].history.has_changes() for key in RELEVANT[type(record)]
    )


def _count(session: Session, records, deltas: Deltas, sign: int, *, old: bool,
           inserted: frozenset = frozenset()) -> None:
    """Add what the records count, from their loaded values or else from their rows."""
    unread: dict = {}
    for record in records:
        model = type(record)
        values = _values(record, old=old, inserted=id(record) in inserted)
        if values is None:
            unread.setdefault(model, set()).add(record.id)
            continue
        for summary, row in _rows_of(model, values):
            _add(deltas, model, summary, [row], sign)
    if unread:
        connection = session.connection()
        for model, ids in unread.items():
            _of_ids(connection, model, ids, deltas, sign)


def remember_before(session: Session, _flush_context, _instances) -> None:
    """Take away what the changed and deleted records counted before the flush."""
    touched = [
        record for record in (*session.dirty, *session.deleted)
        if type(record) in RELEVANT and record.id is not None
        and _relevant_change(session, record)
    ]
    deltas: Deltas = {}
    _count(session, touched, deltas, -1, old=True)
    session.info[_BEFORE] = (deltas, [r for r in touched if r not in session.deleted])


def apply_flushed(session: Session, _flush_context) -> None:
    """Add what the flushed records count now, and write the difference (after_flush)."""
    deltas, changed = session.info.pop(_BEFORE, None) or ({}, [])
    new = [record for record in session.new if type(record) in RELEVANT]
    if not new and not changed and not deltas:
        return
    _count(session, [*changed, *new], deltas, 1, old=False,
           inserted=frozenset(id(record) for record in new))
    apply(session.connection(), deltas)


@contextmanager
def moving_owner(session: Session, model, where, to_user_id: int):
    """Move what the rows matching `where` count to `to_user_id`, around a bulk UPDATE.

    The reassignment changes owners with one UPDATE per table, past the flush hook: the
    rows' contributions are taken from their owner before it and given to the new one.
    """
    if model not in (Deal, Company, Contact):
        yield
        return
    connection = session.connection()
    deltas: Deltas = {}
    contributions(connection, model, where, deltas, -1, summaries=OWNED)
    moved: Deltas = {}
    for (summary, key), values in deltas.items():
        moved[(summary, key)] = values
        target = (summary, (to_user_id, *key[1:]))
        total = moved.setdefault(target, [0, 0, Decimal(0)])
        for index, value in enumerate(values):
            total[index] -= value
    yield
    apply(connection, moved)


def rebuild(session: Session) -> dict[str, int]:
    """Fill the summary tables again from the records; return the rows written per table.

    For writers that bypass the flush hook (the demo's bulk insert) and for the command
    `flask crm rebuild-summaries`. Runs in the session's transaction; the caller commits.
    """
    connection = session.connection()
    for summary in SUMMARIES:
        connection.execute(delete(summary.__table__))
    deltas: Deltas = {}
    for model in RELEVANT:
        contributions(connection, model, true(), deltas)
    apply(connection, deltas)
    written = {summary.__tablename__: 0 for summary in SUMMARIES}
    for (summary, _key), values in deltas.items():
        if any(values):
            written[summary.__tablename__] += 1
    return written


def _stored(connection) -> Deltas:
    rows: Deltas = {}
    for summary in SUMMARIES:
        keys = _key_columns(summary)
        measures = [summary.__table__.c[name] for name in MEASURES[summary]]
        for row in connection.execute(select(*keys, *measures)):
            values = [*row[len(keys):], 0, 0][:3]
            if any(values):
                key = tuple(row[:len(keys)])
                rows[(summary, key)] = [values[0], values[1], Decimal(values[2] or 0)]
    return rows


def differences(session: Session) -> list[str]:
    """Name every summary row that differs from what the records count (empty: all right)."""
    connection = session.connection()
    computed: Deltas = {}
    for model in RELEVANT:
        contributions(connection, model, true(), computed)
    computed = {key: values for key, values in computed.items() if any(values)}
    stored = _stored(connection)
    return [
        f"{summary.__tablename__} {key}: stored {stored.get((summary, key))}, "
        f"counted {computed.get((summary, key))}"
        for summary, key in sorted({*computed, *stored}, key=repr)
        if stored.get((summary, key)) != computed.get((summary, key))
    ]


HOOKS = (("before_flush", remember_before), ("after_flush", apply_flushed))


def install(session_class=Session) -> None:
    """Attach the summary hooks to every ORM session (idempotent)."""
    for name, hook in HOOKS:
        if not event.contains(session_class, name, hook):
            event.listen(session_class, name, hook)
