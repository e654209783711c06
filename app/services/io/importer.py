"""Import companies and contacts from CSV and XLSX files: read, map columns, check, write.

A file is read into a table (`read_table`), its columns are mapped to fields
(`auto_mapping` guesses from the headers, in Russian or English), then `plan` says for
every row what would happen: created, updated, unchanged or rejected, and why. `run`
plans again and writes the created and updated rows in one transaction, through the same
rules as the screens (`saving.save_record`: validation, owner, history, first task).

Decisions:
- A row matches an existing record the importing user may see by INN, then e-mail, then
  phone (contacts: e-mail or second e-mail, then phone or mobile phone). Matching loads
  the candidates for all rows at once, never one query per row.
- An empty cell keeps what the record has; a file never erases data.
- Rejected rows are skipped by design: the dry run lists them with their reasons, the
  import writes every other row in one transaction. Anything unexpected while writing
  (the database refusing a row) rolls the whole import back: nothing is half written.
- Running the same file again matches every row to what the first run created: rows
  come out unchanged (or updated), never duplicated.
- A live client the import creates or revives (lost before, active or potential now)
  gets its first task through saving.save_record: the file's task columns, or
  else a first call on the next working day at 10:00 owned by the client's owner
  (import_tasks). The dry run says so per row and counts them. An existing live client
  without a planned task gets one only from task columns; otherwise it stays in the
  queue "without a next task".
- The import locks the rows it revives or gives a task before it writes, and asks again
  under the lock whether they have a planned task (someone may have completed the last
  one since the dry run).
- Only Head and Admin may map an owner column (login or e-mail); a Manager's rows are
  all his own.
"""

import csv
import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from app import formatting
from app.labels import LABELS as FIELD_NAMES
from app.models import Company, Contact, Task, User
from app.models.enums import LABELS, ClientStatus, TaskType
from app.models.mixins import local_now
from app.models.task import planned_clause
from app.services.errors import DomainError, ValidationError
from app.services.io import import_tasks, spreadsheet
from app.services.io.spreadsheet import ImportFileError
from app.services.rules import followup, records, saving
from app.services.rules import validation as v
from app.services.rules.history import set_actor
from app.services.rules.team import can_own_clients
from app.services.rules.visibility import can_assign_owner, scope_query, sees_everything
from app.services.rules.visibility import scope_query as visible_query

MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
# Values per IN list when loading candidates: SQLite builds may cap bound parameters at
# 999; PostgreSQL takes many more, and fewer, longer lists scan an unindexed column less.
CHUNK = 500
PG_CHUNK = 5000

KINDS = {"company": Company, "contact": Contact}
TASK_FIELDS = ("task_type", "task_subject", "task_due")
FIELDS = {
    "company": (
        "name", "legal_name", "inn", "industry", "website", "phone", "email", "address",
        "status", "lost_reason", "source", "notes", "owner", *TASK_FIELDS,
    ),
    "contact": (
        "last_name", "first_name", "middle_name", "position", "company", "company_inn",
        "phone", "mobile_phone", "email", "second_email", "birthday", "spouse_name",
        "preferences", "status", "lost_reason", "source", "owner", *TASK_FIELDS,
    ),
}
REQUIRED = {"company": "name", "contact": "last_name"}
# A matched record's name changes only when the user chose it (per row or for the file).
NAME_FIELDS = {"company": ("name",), "contact": ("last_name", "first_name", "middle_name")}
FIELD_LABELS = {
    **FIELD_NAMES,
    "company_inn": _l("Company INN"),
    "task_type": _l("First task: type"),
    "task_subject": _l("First task: what to do"),
    "task_due": _l("First task: when"),
}
# Header spellings seen in real files, beyond the field names and their labels.
ALIASES = {
    "name": ("наименование", "название компании", "company name", "организация"),
    "legal_name": ("юридическое название", "полное наименование", "юрлицо"),
    "inn": ("инн", "tax id", "taxid", "vat"),
    "phone": ("тел", "телефон", "phone number", "tel"),
    "mobile_phone": ("мобильный", "сотовый", "mobile", "cell"),
    "email": ("email", "e-mail", "почта", "эл почта", "электронная почта", "mail"),
    "website": ("сайт", "site", "url", "web"),
    "address": ("адрес",),
    "owner": ("ответственный", "менеджер", "manager", "login", "логин"),
    "last_name": ("фамилия", "surname", "family name"),
    "first_name": ("имя", "given name"),
    "middle_name": ("отчество", "patronymic"),
    "position": ("должность", "job title", "title"),
    "company": ("компания", "организация", "company name", "employer"),
    "company_inn": ("инн компании", "инн организации"),
    "birthday": ("дата рождения", "день рождения", "birth date", "date of birth"),
    "task_type": ("тип задачи", "task type"),
    "task_subject": ("задача", "task", "что сделать", "next task"),
    "task_due": ("срок", "срок задачи", "due", "due date", "when"),
}


@dataclass
class Table:
    """The header line and the data rows of an uploaded file."""

    headers: list[str]
    rows: list[list]
    encoding: str | None = None


@dataclass
class RowPlan:
    """What happens to one row: created, updated, unchanged or rejected, and why."""

    line: int
    action: str = "create"
    label: str = ""
    messages: list[str] = field(default_factory=list)
    changes: dict = field(default_factory=dict)
    record: object | None = None
    company: Company | None = None
    task: followup.NextTask | None = None
    keys: list[tuple[str, str]] = field(default_factory=list)
    revive: bool = False
    first_call: bool = False
    # The stored values the changes replace, shown old -> new in the dry run.
    old: dict = field(default_factory=dict)
    # The file renames a matched record, but renaming was not chosen: the name stays.
    name_kept: bool = False

    def reject(self, message) -> None:
        self.action = "reject"
        self.messages.append(str(message))


@dataclass
class Plan:
    """Every row's plan, with the count of each action."""

    kind: str
    rows: list[RowPlan]
    first_call: followup.NextTask | None = None

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def first_tasks(self) -> int:
        """Count the clients that get their first task from this import."""
        return sum(1 for row in self.rows if row.task is not None
                   and row.action in ("create", "update"))

    @property
    def counts(self) -> dict[str, int]:
        """Count each action; rows of other managers' clients only when there are some."""
        counts = {action: self.count(action) for action in ("create", "update", "unchanged",
                                                            "reject")}
        foreign = self.count("foreign")
        return {**counts, "foreign": foreign} if foreign else counts


# --- Reading files -----------------------------------------------------------------------


def read_table(data: bytes, filename: str = "") -> Table:
    """Read an uploaded CSV or XLSX file into its headers and rows.

    CSV may be UTF-8 (with or without BOM) or cp1251, separated by ";", "," or tabs.

    :raise ImportFileError: if the file is empty, too big, broken or not a table.
    """
    if not data:
        raise ImportFileError(_l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportFileError(_l("The file is too big: at most %(size)s MB.",
                                 size=MAX_BYTES // (1024 * 1024)))
    name = (filename or "").lower()
    if data[:4] == b"\xd0\xcf\x11\xe0" or name.endswith(".xls"):
        raise ImportFileError(_l("Old Excel files (.xls) are not supported: save the file "
                                 "as XLSX or CSV."))
    if data[:2] == b"PK" or name.endswith((".xlsx", ".xlsm")):
        table = _read_xlsx(data)
    else:
        table = _read_csv(data)
    rows = [row for row in table.rows if any(_text(cell) for cell in row)]
    if not table.headers or not any(table.headers):
        raise ImportFileError(_l("The file has no header line with column names."))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_l("The file has too many rows: at most %(count)s.",
                                 count=MAX_ROWS))
    headers = [header or str(_l("Column %(number)s", number=index + 1))
               for index, header in enumerate(table.headers)]
    return Table(headers=headers, rows=rows, encoding=table.encoding)


def _read_xlsx(data: bytes) -> Table:
    rows = spreadsheet.read_first_sheet(data, MAX_ROWS)
    if not rows:
        raise ImportFileError(_l("The file is empty."))
    return Table(headers=[_text(cell) for cell in rows[0]], rows=rows[1:])


def decode(data: bytes) -> tuple[str, str]:
    """Return the text of a CSV file and its encoding: UTF-8 first, then cp1251.

    :raise ImportFileError: if the file is binary or in neither encoding.
    """
    if b"\x00" in data[:4096]:
        raise ImportFileError(_l("This is not a CSV or XLSX file."))
    nul = data.find(b"\x00")
    if nul >= 0:
        # No database stores a NUL byte (PostgreSQL refuses the whole import).
        raise ImportFileError(_l("Line %(line)s holds a NUL byte, which a text file never "
                                 "has: save the file again as CSV.",
                                 line=data.count(b"\n", 0, nul) + 1))
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_l("The file's encoding is not recognised: save it as UTF-8."))


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    ending = "\n" if "\n" in text else "\r"  # "\r" alone: old Mac spreadsheets
    first_line = text[:text.find(ending)] if ending in text else text
    separator = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(_lines(text, ending), delimiter=separator)
    rows = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows.append(row[:spreadsheet.MAX_COLUMNS])
            # Stop reading at the limit rather than after the whole file.
            if len(rows) > MAX_ROWS + 1:
                raise ImportFileError(_l("The file has too many rows: at most %(count)s.",
                                         count=MAX_ROWS))
    except csv.Error as error:
        raise ImportFileError(_l(
            "Line %(line)s of the CSV file cannot be read: a cell is longer than %(count)s "
            "characters or a quotation mark is not closed.",
            line=reader.line_num, count=csv.field_size_limit())) from error
    if not rows:
        raise ImportFileError(_l("The file is empty."))
    return Table(headers=[_text(cell) for cell in rows[0]], rows=rows[1:], encoding=encoding)


def _lines(text: str, ending: str):
    """Yield the text's lines with their endings, without copying the whole text again."""
    start = 0
    while start < len(text):
        end = text.find(ending, start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _text(value) -> str:
    """Return a cell as trimmed text: whole numbers without ".0", our export's apostrophe off."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


# --- Mapping columns to fields ---------------------------------------------------------


def _normal(text: str) -> str:
    text = str(text).lower().replace("ё", "е")
    return re.sub(r"[^\w]+", " ", text).strip()


def fields_for(kind: str, actor) -> list[str]:
    """Return the fields a file's columns may go to (owner for Head and Admin only)."""
    return [name for name in FIELDS[kind] if name != "owner" or can_assign_owner(actor)]


def auto_mapping(kind: str, headers: list[str], actor) -> dict[int, str]:
    """Guess which field each column holds from its header, in Russian or English."""
    known: dict[str, str] = {}
    for name in fields_for(kind, actor):
        spellings = [name, name.replace("_", " "), *ALIASES.get(name, ())]
        for language in ("ru", "en"):
            with force_locale(language):
                spellings.append(str(FIELD_LABELS[name]))
        for spelling in spellings:
            known.setdefault(_normal(spelling), name)
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        name = known.get(_normal(header))
        if name and name not in mapping.values():
            mapping[index] = name
    return mapping


def check_mapping(kind: str, mapping: dict[int, str], actor) -> None:
    """Refuse a mapping that misses the required field, repeats one or sets owners.

    :raise ImportFileError: naming what is wrong.
    """
    used = [name for name in mapping.values() if name]
    if "owner" in used and not can_assign_owner(actor):
        raise ImportFileError(_l("Owner: only the head of sales can assign records."))
    for name in used:
        if name not in FIELDS[kind]:
            raise ImportFileError(_l("Unknown field: %(field)s.", field=name))
        if used.count(name) > 1:
            raise ImportFileError(_l("Two columns go to «%(field)s»: choose one.",
                                     field=FIELD_LABELS[name]))
    if REQUIRED[kind] not in used:
        raise ImportFileError(_l("Choose the column for «%(field)s».",
                                 field=FIELD_LABELS[REQUIRED[kind]]))


# --- Values ------------------------------------------------------------------------------


def choice_map(enum_class) -> dict[str, str]:
    """Return {spelling: stored code} for the codes and labels (Russian, English) of an enum."""
    spellings: dict[str, str] = {}
    for member in enum_class:
        spellings[_normal(member.value)] = member.value
        for language in ("ru", "en"):
            with force_locale(language):
                spellings.setdefault(_normal(str(LABELS[enum_class][member])), member.value)
    return spellings


DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y")
DATETIME_FORMATS = ("%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
                    "%d.%m.%Y %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def parse_date(value) -> date:
    """Return a date from a spreadsheet cell or text such as 31.12.1980 or 1980-12-31.

    :raise ValueError: if it is not a date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    with suppress(ValueError):
        # As the screens write it (an export): 12/31/1980 is month first in English.
        parsed = formatting.parse_date_text(text)
        if parsed is not None:
            return parsed
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_datetime(value) -> datetime:
    """Return a date and time; a date alone means 10:00 that day.

    :raise ValueError: if it is not a date.
    """
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    text = _text(value)
    for pattern in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return datetime.combine(parse_date(value), time(10, 0))


@cache
def _max_length(model, name: str) -> int | None:
    column = model.__table__.columns.get(name)
    return getattr(column.type, "length", None) if column is not None else None


# --- Planning ----------------------------------------------------------------------------


@dataclass
class _Lookups:
    """Candidates for matching, loaded in bulk for all rows of a file."""

    by_key: dict[tuple[str, str], list] = field(default_factory=dict)
    companies_by_inn: dict[str, list[Company]] = field(default_factory=dict)
    companies_by_name: dict[str, list[Company]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    covered: set[int] = field(default_factory=set)
    first_call: followup.NextTask | None = None
    # Other managers' live records by key: rows matching them are reported, not applied.
    foreign: dict[tuple[str, str], list] = field(default_factory=dict)
    rename: bool | set[int] = False


def _chunks(session: Session, values: list):
    size = PG_CHUNK if session.get_bind().dialect.name == "postgresql" else CHUNK
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _load_records(session: Session, actor, kind: str, keys: set[tuple[str, str]],
                  foreign: bool = False) -> dict:
    """Return {(key kind, value): [visible records]} for the INNs, e-mails, phones given.

    With `foreign`, the live records of other managers instead (names are not matched).
    """
    model = KINDS[kind]
    found: dict[tuple[str, str], list] = {}
    columns = {"inn": ("inn",), "email": ("email",), "phone": ("phone",)}
    if kind == "contact":
        columns = {"email": ("email", "second_email"), "phone": ("phone", "mobile_phone")}

    def scope_query(query, model_, user):
        if foreign:
            return query.filter(model_.archived.is_(False), model_.owner_id != user.id)
        return visible_query(query, model_, user)

    names_wanted = sorted({value for k, value in keys if k == "name"}) if not foreign else []
    name_column = model.name if kind == "company" else model.last_name
    for chunk in _chunks(session, sorted({value.split(" ")[0] for value in names_wanted}
                                if kind == "contact" else names_wanted)):
        query = scope_query(session.query(model), model, actor).filter(name_column.in_(chunk))
        for record in query.order_by(model.id):
            value = record.name if kind == "company" else record.full_name
            found.setdefault(("name", value), []).append(record)
    for key_kind, names in columns.items():
        values = sorted({value for k, value in keys if k == key_kind})
        for chunk in _chunks(session, values):
            condition = or_(*(getattr(model, name).in_(chunk) for name in names))
            query = scope_query(session.query(model), model, actor).filter(condition)
            wanted = set(chunk)
            for record in query.order_by(model.id):
                for name in names:
                    value = getattr(record, name)
                    if value in wanted:
                        bucket = found.setdefault((key_kind, value), [])
                        if record not in bucket:
                            bucket.append(record)
    return found


def _load_companies(session: Session, actor, inns: set[str], names: set[str], lookups) -> None:
    for chunk in _chunks(session, sorted(inns)):
        query = scope_query(session.query(Company), Company, actor).filter(Company.inn.in_(chunk))
        for company in query.order_by(Company.id):
            lookups.companies_by_inn.setdefault(company.inn, []).append(company)
    for chunk in _chunks(session, sorted(names)):
        # The exact name: SQLite's lower() leaves Cyrillic as it is, so no case folding.
        query = scope_query(session.query(Company), Company, actor).filter(
            Company.name.in_(chunk))
        for company in query.order_by(Company.id):
            lookups.companies_by_name.setdefault(company.name, []).append(company)


def _load_covered(session: Session, kind: str, ids: list[int]) -> set[int]:
    """Return the ids among `ids` that have a planned task."""
    column = Task.company_id if kind == "company" else Task.contact_id
    covered: set[int] = set()
    for chunk in _chunks(session, ids):
        covered.update(session.scalars(select(column).where(
            column.in_(chunk), planned_clause())))
    return covered


def _load_users(session: Session) -> dict[str, User]:
    """Return the users a row's owner may name, by login and by e-mail (lower case)."""
    users: dict[str, User] = {}
    for user in session.scalars(select(User).options(selectinload(User.roles))):
        users[(user.username or "").lower()] = user
        if user.email:
            users.setdefault(user.email.lower(), user)
    return users


@dataclass
class _Parsed:
    plan: RowPlan
    values: dict
    company_ref: tuple[str | None, str | None] = (None, None)
    owner: str | None = None


def _parse_row(kind: str, row: list, mapping: dict[int, str], plan: RowPlan,
               choices: dict) -> _Parsed:
    """Turn the cells of a row into field values; record the first problem on the plan."""
    parsed = _Parsed(plan=plan, values={})
    cells = {name: (row[index] if index < len(row) else None)
             for index, name in mapping.items() if name}
    try:
        _parse_cells(KINDS[kind], cells, parsed, choices)
    except ValidationError as error:
        column = FIELD_LABELS.get(error.field or "", error.field or "")
        plan.reject(_l("%(field)s: %(message)s", field=column, message=error.message))
    _add_match_keys(kind, parsed.values, plan)
    return parsed


def _parse_cells(model, cells: dict, parsed: _Parsed, choices: dict) -> None:
    """Store each non-empty cell where it belongs, stopping at the first bad one.

    :raise ValidationError: naming the field of the first bad cell.
    """
    company_inn = company_name = None
    try:
        for name, cell in cells.items():
            text = _text(cell)
            if not text:
                continue
            value = _CELL_PARSERS.get(name, _plain_text)(name, cell, text, choices)
            if name == "company_inn":
                company_inn = value
            elif name == "company":
                company_name = value
            elif name == "owner":
                parsed.owner = value
            else:
                parsed.values[name] = value
                _check_cell_length(model, name, value)
    finally:
        # Kept even for a rejected row, as before: only the values read so far count.
        parsed.company_ref = (company_inn, company_name)


def _check_cell_length(model, name: str, value) -> None:
    """Refuse a text longer than its column holds.

    :raise ValidationError: naming the field.
    """
    length = _max_length(model, name)
    if length and isinstance(value, str) and len(value) > length:
        raise ValidationError(_l("Too long: at most %(count)s characters.", count=length), name)


def _plain_text(name: str, cell, text: str, choices: dict) -> str:
    return text


def _inn_cell(name: str, cell, text: str, choices: dict) -> str:
    return v.clean_inn(text, field=name)


def _email_cell(name: str, cell, text: str, choices: dict) -> str:
    return v.clean_email(text, field=name)


def _phone_cell(name: str, cell, text: str, choices: dict) -> str:
    return v.clean_phone(text, field=name)


def _status_cell(name: str, cell, text: str, choices: dict) -> str:
    status = choices[ClientStatus].get(_normal(text))
    if status is None:
        raise ValidationError(_l("Status: unknown value."), name)
    return status


def _task_type_cell(name: str, cell, text: str, choices: dict) -> str:
    task_type = choices[TaskType].get(_normal(text))
    if task_type is None:
        raise ValidationError(_l("Type: unknown value."), name)
    return task_type


def _birthday_cell(name: str, cell, text: str, choices: dict) -> date:
    try:
        return parse_date(cell)
    except ValueError:
        raise ValidationError(_l("Not a date: write it as 31.12.1980."), name) from None


def _task_due_cell(name: str, cell, text: str, choices: dict) -> datetime:
    try:
        return parse_datetime(cell)
    except ValueError:
        raise ValidationError(
            _l("Not a date and time: write it as 31.12.2026 10:00."), name) from None


# How each field's cell is read; any other field keeps the cell's trimmed text.
_CELL_PARSERS = {
    "inn": _inn_cell,
    "company_inn": _inn_cell,
    "email": _email_cell,
    "second_email": _email_cell,
    "phone": _phone_cell,
    "mobile_phone": _phone_cell,
    "status": _status_cell,
    "birthday": _birthday_cell,
    "task_type": _task_type_cell,
    "task_due": _task_due_cell,
}


def _add_match_keys(kind: str, values: dict, plan: RowPlan) -> None:
    """List the keys a row matches existing records by: INN, e-mail, phone, else name."""
    for key_kind in (("inn",) if kind == "company" else ()) + ("email", "phone"):
        if values.get(key_kind):
            plan.keys.append((key_kind, values[key_kind]))
    if not plan.keys:
        # Nothing better to match on: the exact name, so that a second run adds no copies.
        name = values.get("name") if kind == "company" else _full_name(values)
        if name:
            plan.keys.append(("name", name))


def _full_name(values: dict) -> str:
    parts = (values.get("last_name"), values.get("first_name"), values.get("middle_name"))
    return " ".join(part for part in parts if part)


def plan(session: Session, actor, kind: str, table: Table, mapping: dict[int, str],
         now: datetime | None = None, rename: bool | set[int] = False) -> Plan:
    """Say for every row what the import would do, without writing anything.

    `now` (the team's local time by default) sets when default first calls are due.
    `rename`: True, or the lines whose file name may replace a matched record's name;
    elsewhere the name stays and the row says so. A row matching another manager's
    client by INN, e-mail or phone is reported ("foreign") and never applied.

    :raise ImportFileError: if the mapping is not usable.
    """
    if kind not in KINDS:
        raise ImportFileError(_l("Choose what to import: companies or contacts."))
    check_mapping(kind, mapping, actor)
    choices = {ClientStatus: choice_map(ClientStatus), TaskType: choice_map(TaskType)}
    parsed = [_parse_row(kind, row, mapping, RowPlan(line=number), choices)
              for number, row in enumerate(table.rows, start=2)]
    lookups = _Lookups(users=_load_users(session) if "owner" in mapping.values() else {},
                       first_call=import_tasks.first_call(now or local_now()), rename=rename)
    keys = {key for item in parsed if item.plan.action != "reject" for key in item.plan.keys}
    with session.no_autoflush:
        lookups.by_key = _load_records(session, actor, kind, keys)
        if not sees_everything(actor):
            lookups.foreign = _load_records(session, actor, kind, keys, foreign=True)
        if kind == "contact":
            inns = {item.company_ref[0] for item in parsed if item.company_ref[0]}
            names = {item.company_ref[1] for item in parsed if item.company_ref[1]}
            _load_companies(session, actor, inns, names, lookups)
        ids = sorted({record.id for found in lookups.by_key.values() for record in found})
        lookups.covered = _load_covered(session, kind, ids)
        claimed: dict[object, int] = {}
        for item in parsed:
            if item.plan.action != "reject":
                _decide(actor, kind, item, lookups, claimed)
    return Plan(kind=kind, rows=[item.plan for item in parsed], first_call=lookups.first_call)


def _match(item: _Parsed, lookups: _Lookups, company: Company | None = None):
    """Return the existing record the row matches (INN, e-mail, phone in that order).

    A row with none of them matches by exact name (a contact: within the same company).

    :raise ValidationError: if several visible records match.
    """
    for key in item.plan.keys:
        found = lookups.by_key.get(key, [])
        if key[0] == "name" and found and isinstance(found[0], Contact):
            company_id = company.id if company is not None else None
            found = [record for record in found if record.company_id == company_id]
        if len(found) > 1:
            raise ValidationError(
                _l("Several records have this %(field)s (%(value)s): merge them first.",
                   field=FIELD_LABELS[key[0]], value=key[1]), key[0])
        if found:
            return found[0]
    return None


def _company_of(item: _Parsed, lookups: _Lookups) -> Company | None:
    inn, name = item.company_ref
    if inn:
        found = lookups.companies_by_inn.get(inn, [])
        if not found:
            raise ValidationError(_l("Company: no company with INN %(inn)s.", inn=inn),
                                  "company")
    elif name:
        found = lookups.companies_by_name.get(name, [])
        if not found:
            raise ValidationError(_l("Company: no company named «%(name)s».", name=name),
                                  "company")
    else:
        return None
    if len(found) > 1:
        raise ValidationError(_l("Company: several companies match; give the INN."), "company")
    return found[0]


def _owner_of(item: _Parsed, lookups: _Lookups) -> User | None:
    if not item.owner:
        return None
    user = lookups.users.get(item.owner.lower())
    if user is None:
        raise ValidationError(
            _l("Owner: no user with the login or e-mail «%(value)s».", value=item.owner),
            "owner")
    if not can_own_clients(user):
        raise ValidationError(
            _l("Owner: «%(value)s» cannot own clients; name a manager.", value=item.owner),
            "owner")
    if not user.active:
        raise ValidationError(_l("Owner: this user is not active."), "owner")
    return user


def _task_of(values: dict) -> followup.NextTask | None:
    subject = values.pop("task_subject", None)
    due_at = values.pop("task_due", None)
    task_type = values.pop("task_type", None) or TaskType.CALL.value
    if subject is None and due_at is None:
        return None
    if not subject:
        raise ValidationError(_l("Next task: say what to do."), "task_subject")
    if due_at is None:
        raise ValidationError(_l("Next task: set the date and time."), "task_due")
    # Checked here too, so that the dry run already rejects the row (not the whole run).
    v.check_planned_time(due_at, local_now(), "task_due", FIELD_LABELS["task_due"])
    return followup.NextTask(type=task_type, subject=subject, due_at=due_at)


def _columns(model) -> list[str]:
    return [column.key for column in model.__table__.columns]


def _decide(actor, kind: str, item: _Parsed, lookups: _Lookups, claimed: dict) -> None:
    """Match, check and compare one row; fill its plan with the action and the changes."""
    plan_ = item.plan
    values = dict(item.values)
    try:
        task = _task_of(values)
        company = _company_of(item, lookups) if kind == "contact" else None
        existing = _match(item, lookups, company)
        if existing is None and _report_foreign(item, lookups):
            return
        _refuse_repeated_record(existing, plan_.keys, claimed)
        draft = _checked_draft(actor, kind, item, lookups, existing, company, values)
    except ValidationError as error:
        plan_.reject(error.message)
        return
    plan_.label = draft.name if kind == "company" else draft.full_name
    plan_.company = company
    _plan_changes(plan_, KINDS[kind], draft, existing)
    _hold_name(kind, plan_, lookups.rename)
    _plan_first_task(plan_, draft, existing, task, lookups)
    _claim(plan_, existing, claimed)


def _report_foreign(item: _Parsed, lookups: _Lookups) -> bool:
    """Mark a row whose INN, e-mail or phone is another manager's client; tell if it was."""
    for key in item.plan.keys:
        found = lookups.foreign.get(key, [])
        if found:
            owner = formatting.person_name(found[0].owner)
            item.plan.action = "foreign"
            item.plan.label = str(item.values.get("name") or _full_name(item.values))
            item.plan.messages.append(str(_l(
                "%(field)s %(value)s belongs to a client of %(owner)s: not imported.",
                field=FIELD_LABELS[key[0]], value=key[1], owner=owner)))
            return True
    return False


def _hold_name(kind: str, plan_: RowPlan, rename: bool | set[int]) -> None:
    """Keep a matched record's name unless renaming was chosen for the row or the file."""
    if plan_.record is None or rename is True or plan_.line in (rename or set()):
        return
    held = [name for name in NAME_FIELDS[kind] if name in plan_.changes]
    if not held:
        return
    new = " ".join(str(plan_.changes.pop(name)) for name in held)
    plan_.old = {name: value for name, value in plan_.old.items() if name not in held}
    plan_.name_kept = True
    plan_.label = str(plan_.record) if kind == "company" else plan_.record.full_name
    plan_.messages.append(str(_l("The name stays «%(old)s» (the file says «%(new)s»): choose "
                                 "to rename it.", old=plan_.label, new=new)))
    if not plan_.changes and plan_.action == "update":
        plan_.action = "unchanged"


def _refuse_repeated_record(existing, keys: list, claimed: dict) -> None:
    """Refuse a row that names the same record as an earlier row of the file.

    :raise ValidationError: naming the earlier line.
    """
    lines = [claimed[existing.id]] if existing is not None and existing.id in claimed else []
    if existing is None:
        lines = [claimed[key] for key in keys if key in claimed]
    if lines:
        raise ValidationError(_l("The same record as in line %(line)s.", line=lines[0]), None)


def _checked_draft(actor, kind: str, item: _Parsed, lookups: _Lookups, existing,
                   company: Company | None, values: dict):
    """Return a detached copy of the record as the row would leave it, checked by the rules.

    :raise ValidationError: if the owner, a rule or a column's length refuses it.
    """
    model = KINDS[kind]
    owner = _owner_of(item, lookups)
    if owner is not None:
        values["owner_id"] = owner.id
    if company is not None:
        values["company_id"] = company.id
    # Check a detached copy: the existing values with the file's on top.
    base = {name: getattr(existing, name) for name in _columns(model)} if existing else {}
    base.pop("version", None)
    draft = model(**{**base, **values})
    if kind == "company":
        records.check_company(actor, draft)
    else:
        records.check_contact(actor, draft)
    _check_draft_lengths(model, draft)
    return draft


def _check_draft_lengths(model, draft) -> None:
    """Refuse a record whose text, merged from the file and the database, is too long.

    :raise ValidationError: naming the field.
    """
    for name in _columns(model):
        length = _max_length(model, name)
        value = getattr(draft, name)
        if length and isinstance(value, str) and len(value) > length:
            raise ValidationError(
                _l("%(field)s: too long, at most %(count)s characters.",
                   field=FIELD_LABELS.get(name, name), count=length), name)


def _plan_changes(plan_: RowPlan, model, draft, existing) -> None:
    """Set the row's action (create, update, unchanged) and the values it writes."""
    checked = {name: getattr(draft, name) for name in _columns(model)
               if name not in ("id", "version", "birthday_key")}
    if existing is None:
        plan_.action = "create"
        plan_.changes = {name: value for name, value in checked.items() if value is not None}
        return
    plan_.record = existing
    plan_.changes = {name: value for name, value in checked.items()
                     if value != getattr(existing, name)}
    plan_.old = {name: getattr(existing, name) for name in plan_.changes}
    plan_.action = "update" if plan_.changes else "unchanged"


def _plan_first_task(plan_: RowPlan, draft, existing, task, lookups: _Lookups) -> None:
    """Give a live client left without a planned task the file's task or the first call."""
    live = followup.is_live(draft)
    plan_.revive = existing is not None and live and not followup.is_live(existing)
    if not live or (existing is not None and existing.id in lookups.covered):
        return
    if task is not None:
        plan_.task = task
    elif existing is None or plan_.revive:
        plan_.task, plan_.first_call = lookups.first_call, True
    if plan_.task is not None and plan_.action == "unchanged":
        plan_.action = "update"


def _claim(plan_: RowPlan, existing, claimed: dict) -> None:
    """Remember the record and keys this row took, so that a later row naming them is refused."""
    if existing is not None:
        claimed[existing.id] = plan_.line
    for key in plan_.keys:
        claimed.setdefault(key, plan_.line)


# --- Writing -----------------------------------------------------------------------------


def run(session: Session, actor, kind: str, table: Table, mapping: dict[int, str],
        now: datetime | None = None, rename: bool | set[int] = False) -> Plan:
    """Plan the import again, then write created and updated rows in one transaction.

    Rejected rows are skipped (the plan names them and why). A live client created or
    revived gets its first task; revived rows are locked first (see the module's notes).

    :raise ImportFileError: if the mapping is not usable.
    :raise DomainError: if writing failed; then nothing was written.
    """
    result = plan(session, actor, kind, table, mapping, now, rename)
    model = KINDS[kind]
    set_actor(session, actor)
    try:
        writes = [row for row in result.rows if row.action in ("create", "update")]
        import_tasks.lock_records(session, [row.record for row in writes
                                            if row.revive or row.task is not None])
        with session.no_autoflush:
            for row in writes:
                is_new = row.record is None
                record = model() if is_new else row.record
                for name, value in row.changes.items():
                    setattr(record, name, value)
                if row.company is not None:
                    record.company = row.company
                spec = _task_spec(row, result.first_call)
                # The plan compared every row's INN, e-mail and phone in bulk: a visible
                # match is this very update, another manager's is reported and skipped.
                task = saving.save_record(session, actor, record, is_new=is_new,
                                          next_task=spec, require_cover=False,
                                          allow_duplicate=True)
                if spec is not None:
                    row.task = spec if task is not None else None
                    row.first_call = row.first_call and row.task is not None
                if is_new:
                    session.add(record)
        session.commit()
    except DomainError as error:
        session.rollback()
        raise DomainError(_l("Nothing was imported: %(reason)s", reason=error.message)) \
            from error
    except Exception as error:
        session.rollback()
        raise DomainError(_l("Nothing was imported: the database refused the data.")) \
            from error
    return result


def _task_spec(row: RowPlan, first_call) -> followup.NextTask | None:
    """Return the first task a created or revived live client gets, asked again under the lock.

    The dry run may have seen a planned task that has been completed since: then a
    revived client gets the first call after all; and one that has a task now gets none
    (save_record attaches a task only to a record left without one).
    """
    spec = row.task
    if spec is None and (row.record is None or row.revive):
        spec, row.first_call = first_call, True
    return spec
