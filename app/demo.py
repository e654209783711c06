"""Demo data: a believable sales team with its clients, deals and tasks, written in bulk.

`generate_demo` fills an empty database in one transaction: the team (a head of sales and
managers, all with DEMO_PASSWORD), companies with their contact persons, private clients,
deals in every stage of the pipeline, tasks (done with their results, cancelled, planned)
and the history entries of all of them. Every live client and every open deal gets a
planned task, as the key rule says. Rows are written in bulk with ids assigned here (COPY
on PostgreSQL, batched INSERTs elsewhere), so 100,000 companies take a minute or two.
Times are naive in the team's time zone, like every time the CRM stores.
"""

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from math import log

from faker import Faker
from sqlalchemy import JSON, func, insert, select, text
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, HistoryEntry, Stage, Task
from app.models.enums import ClientStatus, StageKind, TaskState, TaskType
from app.models.mixins import local_now
from app.services.rules.history import plain
from app.services.rules.next_task import refresh_all
from app.services.rules.search_keys import keys_of
from app.services.rules.setup import analyze_tables
from app.services.rules.summaries import rebuild as rebuild_summaries

DEMO_PASSWORD = "demo-password"
HEAD_USERNAME = "head"
MANAGER_USERNAME = "manager{}"
TEAM_EMAIL_DOMAIN = "example.com"

INSERT_CHUNK = 5000  # rows per INSERT (executemany) outside PostgreSQL
COMPANIES_PER_BATCH = 2000  # companies generated before their rows are written
PRIVATE_CLIENT_SHARE = 0.2  # private clients, as a share of the number of companies
NAME_POOL_SIZE = 400  # names of each kind drawn from Faker (fewer once duplicates go)

STAGE_CODES = ("cold", "first_contact", "needs", "proposal", "negotiation", "won", "lost")
BUSINESS_MODELS = (Company, Contact, Deal, Task)
WRITTEN = (*BUSINESS_MODELS, HistoryEntry)  # in foreign-key order
# Records whose search keys (phones, e-mails, name words) are written with them.
SEARCHED = ("company", "contact", "deal")

LIVE = (ClientStatus.POTENTIAL.value, ClientStatus.ACTIVE.value)
CLIENT_STATUS_WEIGHTS = {
    ClientStatus.ACTIVE.value: 45,
    ClientStatus.POTENTIAL.value: 40,
    ClientStatus.LOST.value: 15,
}
# How likely each stage is for a deal, by the status of its client.
STAGE_WEIGHTS = {
    ClientStatus.ACTIVE.value: (8, 10, 12, 14, 12, 30, 14),
    ClientStatus.POTENTIAL.value: (25, 25, 20, 12, 6, 0, 12),
    ClientStatus.LOST.value: (0, 0, 0, 0, 0, 25, 75),
}
COMPANY_DEAL_WEIGHTS = (20, 35, 30, 15)  # 0, 1, 2 or 3 deals: 1.4 a company
PRIVATE_DEAL_WEIGHTS = (40, 45, 15)  # 0, 1 or 2 deals: 0.75 a private client
CONTACT_WEIGHTS = (50, 30, 20)  # 1, 2 or 3 contact persons a company
TASK_HISTORY = 2  # at most this many done tasks on each client and each deal, besides the last

# (city, phone code, first digits of the postcode, tax region), Moscow most often.
CITIES = (
    ("Москва", "495", "1", "77"),
    ("Москва", "499", "1", "77"),
    ("Москва", "495", "1", "77"),
    ("Санкт-Петербург", "812", "19", "78"),
    ("Екатеринбург", "343", "620", "66"),
    ("Новосибирск", "383", "630", "54"),
    ("Самара", "846", "443", "63"),
    ("Ростов-на-Дону", "863", "344", "61"),
    ("Казань", "843", "420", "16"),
    ("Нижний Новгород", "831", "603", "52"),
    ("Краснодар", "861", "350", "23"),
    ("Красноярск", "391", "660", "24"),
    ("Пермь", "342", "614", "59"),
    ("Воронеж", "473", "394", "36"),
    ("Челябинск", "351", "454", "74"),
)
MOBILE_CODES = tuple(code for code in range(900, 1000) if code != 930)
FREE_MAIL_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru")

LEGAL_FORMS = ("ООО", "АО", "ПАО", "ЗАО", "ИП")
LEGAL_FORM_WEIGHTS = (70, 10, 2, 4, 14)
NAME_HEADS = (
    "Техно", "Строй", "Агро", "Энерго", "Пром", "Мед", "Трейд", "Логи", "Инфо", "Сиб",
    "Урал", "Волга", "Нева", "Север", "Юг", "Эко", "Альфа", "Вектор", "Гранд", "Мега",
    "Спектр", "Орион", "Атлант", "Кедр",
)
NAME_TAILS = (
    "снаб", "сервис", "маш", "комплект", "торг", "систем", "проект", "лайн", "тех", "хим",
    "строй", "пласт", "мет", "ресурс", "инвест", "софт", "транс", "опт",
)
NAME_ENDINGS = ("", "", "", "", "", "", " Плюс", "-М", " Групп", "-Центр")

INDUSTRIES = (
    "Розничная торговля", "Оптовая торговля", "Строительство", "Производство",
    "Информационные технологии", "Логистика", "Медицина", "Образование", "Финансы",
    "Сельское хозяйство", "Ресторанный бизнес", "Недвижимость", "Энергетика",
    "Телекоммуникации", "Гостиничный бизнес",
)
SOURCES = (
    "Сайт", "Рекомендация", "Выставка", "Холодный звонок", "Контекстная реклама", "Тендер",
    "Социальные сети", "Повторное обращение",
)
POSITIONS = (
    "Генеральный директор", "Коммерческий директор", "Финансовый директор",
    "Главный бухгалтер", "Менеджер по закупкам", "Руководитель отдела закупок",
    "Офис-менеджер", "Технический директор", "Главный инженер", "Юрист",
    "Директор по развитию", "Начальник склада",
)
CLIENT_LOST_REASONS = (
    "Выбрали конкурента", "Нет бюджета", "Компания закрылась", "Не отвечает на звонки",
    "Потребность пропала", "Не устроила цена",
)
DEAL_LOST_REASONS = (
    "Цена выше, чем у конкурентов", "Проект отложен", "Нет бюджета",
    "Выбрали другого поставщика", "Не подошли сроки поставки",
    "Клиент перестал выходить на связь",
)
COMPANY_DEAL_TITLES = (
    "Поставка оборудования", "Поставка расходных материалов", "Сервисное обслуживание",
    "Внедрение учётной системы", "Аренда спецтехники", "Поставка офисной мебели",
    "Разработка сайта", "Монтаж вентиляции", "Поставка спецодежды",
    "Обслуживание автопарка", "Поставка серверов", "Обучение персонала",
    "Аудит закупок", "Поставка упаковки", "Грузоперевозки",
)
PRIVATE_DEAL_TITLES = (
    "Ремонт квартиры", "Кухонный гарнитур", "Установка кондиционера", "Замена окон",
    "Страхование автомобиля", "Дизайн-проект интерьера", "Обслуживание котла",
    "Шкаф-купе на заказ",
)
TASK_SUBJECTS = {
    TaskType.CALL.value: (
        "Позвонить: уточнить потребность", "Звонок: обсудить условия",
        "Перезвонить по коммерческому предложению", "Позвонить: напомнить об оплате",
        "Звонок: узнать решение",
    ),
    TaskType.MEETING.value: (
        "Встреча: презентация продукта", "Встреча в офисе клиента",
        "Переговоры по договору", "Демонстрация решения",
    ),
    TaskType.EMAIL.value: (
        "Отправить коммерческое предложение", "Отправить договор на согласование",
        "Выслать прайс-лист", "Отправить счёт",
    ),
    TaskType.OTHER.value: (
        "Подготовить договор", "Согласовать скидку с руководителем",
        "Подготовить расчёт стоимости", "Проверить оплату",
    ),
}
TASK_TYPES = tuple(TASK_SUBJECTS)
TASK_TYPE_WEIGHTS = (55, 15, 20, 10)  # call, meeting, email, other
TASK_RESULTS = (
    "Договорились о встрече на следующей неделе", "Клиент получил КП, обещал ответить",
    "Уточнили объём и сроки поставки", "Не дозвонились, перезвонить",
    "Клиент просит скидку 5%", "Согласовали условия оплаты",
    "Отправили договор, ждём подписи", "Клиент доволен, планирует повторный заказ",
    "ЛПР в отпуске, вернётся через две недели", "Провели презентацию, интерес высокий",
)
CANCEL_NOTES = ("Клиент перенёс встречу", "Задача больше не актуальна", "Дубль задачи")
WON_RESULT = "Договор подписан, оплата получена"
PREFERENCES = (
    "Предпочитает звонки после 11:00", "Пьёт чай, не кофе", "Болеет за «Зенит»",
    "Общаться только по почте", "Увлекается рыбалкой", "Не любит долгих совещаний",
    "Ценит пунктуальность", "Коллекционирует вина",
)

_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        (
            "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya"
        ).split(),
        strict=True,
    )
)


INN_10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_12_WEIGHTS = ((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))


class DemoRefused(Exception):
    """The demo data was not generated; the message says why."""


@dataclass(frozen=True)
class _Person:
    """A Russian full name of one gender."""

    last: str
    first: str
    middle: str
    female: bool


@dataclass(frozen=True)
class _Pools:
    """Names, company names and streets drawn once from Faker, then combined for every row."""

    last: dict[bool, list[str]]
    first: dict[bool, list[str]]
    middle: dict[bool, list[str]]
    made_up_names: list[str]
    faker_names: list[str]
    streets: list[str]


@dataclass
class _Client:
    """What the deals and tasks of a client need to know about it."""

    owner_id: int
    status: str
    created_at: datetime
    company_id: int | None = None
    contact_id: int | None = None  # the private client
    contact_ids: list[int] = field(default_factory=list)  # contact persons of the company


# -- values ---------------------------------------------------------------------------


@lru_cache(maxsize=20000)
def latin(word: str) -> str:
    """Return a Russian word in Latin letters, lower case, fit for an e-mail address."""
    letters = []
    for char in word.lower():
        if char in _LATIN:
            letters.append(_LATIN[char].strip("_"))
        elif char.isascii() and char.isalnum():
            letters.append(char)
        elif char in " -" and letters and letters[-1] != "-":
            letters.append("-")
    return "".join(letters).strip("-")


@lru_cache(maxsize=20000)
def company_domain(name: str) -> str:
    """Return a believable .ru domain for a company name (its first word when long)."""
    slug = latin(name)
    if len(slug) > 20:
        slug = latin(name.replace(",", " ").split(" ")[0])
    return slug + ".ru"


def inn_check_digit(digits: str, weights: Sequence[int]) -> str:
    """Return the INN check digit of `digits` for the given weights."""
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)


def make_inn(rng: random.Random, region: str, person: bool = False) -> str:
    """Return a random INN of the tax region with valid check digits (12 digits for a person)."""
    office = f"{rng.randint(1, 51):02d}"
    if not person:
        body = region + office + f"{rng.randrange(100000):05d}"
        return body + inn_check_digit(body, INN_10_WEIGHTS)
    body = region + office + f"{rng.randrange(1000000):06d}"
    body += inn_check_digit(body, INN_12_WEIGHTS[0])
    return body + inn_check_digit(body, INN_12_WEIGHTS[1])


def make_phone(rng: random.Random, code: str) -> str:
    """Return a Russian phone number with the code, as +7 495 123-45-67."""
    number = str(rng.randrange(1000000, 10000000))
    if code[0] != "9":
        number = str(rng.randint(2, 9)) + number[1:]  # city numbers start with 2 to 9
    return f"+7 {code} {number[:3]}-{number[3:5]}-{number[5:]}"


def make_mobile(rng: random.Random) -> str:
    """Return a Russian mobile phone number, as +7 916 123-45-67."""
    return make_phone(rng, str(rng.choice(MOBILE_CODES)))


def make_postcode(rng: random.Random, prefix: str) -> str:
    """Return a six-digit postcode starting with the prefix."""
    rest = 6 - len(prefix)
    return prefix + str(rng.randrange(10**rest)).zfill(rest)


def make_birthday(rng: random.Random, today: date, soon: bool) -> date:
    """Return the birthday of a 23 to 65 year old; with `soon`, one in the coming 7 days."""
    age = rng.randint(23, 65)
    if not soon:
        return today - timedelta(days=age * 365 + rng.randrange(365))
    day = today + timedelta(days=rng.randrange(7))
    year = day.year - age
    if (day.month, day.day) == (2, 29):
        year -= year % 4  # a leap year, so that the 29th of February exists
    return date(year, day.month, day.day)


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """Return a random moment from start to end, to the minute (start if the span is empty)."""
    span = int((end - start).total_seconds() // 60)
    if span <= 0:
        return start
    return start + timedelta(minutes=rng.randrange(span + 1))


def faker_company_core(fake: Faker) -> str:
    """Return the name inside the quotes of a Faker company name made of surnames."""
    while True:
        name = fake.company()
        if "«" in name:
            return name.split("«", 1)[1].rstrip("»")
        if name.endswith(" и партнеры"):
            return name.replace("партнеры", "партнёры")


def build_pools(seed: int) -> _Pools:
    """Draw the names, company names and streets from Faker's ru_RU locale."""
    fake = Faker("ru_RU")
    fake.seed_instance(seed)

    def distinct(make) -> list[str]:
        return sorted({make() for _ in range(NAME_POOL_SIZE)})

    made_up = [head + tail for head in NAME_HEADS for tail in NAME_TAILS]
    return _Pools(
        last={False: distinct(fake.last_name_male), True: distinct(fake.last_name_female)},
        first={False: distinct(fake.first_name_male), True: distinct(fake.first_name_female)},
        middle={
            False: distinct(fake.middle_name_male), True: distinct(fake.middle_name_female)
        },
        made_up_names=[name + ending for name in made_up for ending in NAME_ENDINGS],
        faker_names=distinct(lambda: faker_company_core(fake)),
        streets=distinct(fake.street_address),
    )


def status_for_stages(rng: random.Random, stages: Sequence[str]) -> str | None:
    """Return a client status that fits deals in these stages (None when there are none)."""
    if not stages:
        return None
    if "won" in stages:
        return ClientStatus.ACTIVE.value
    if any(code not in ("won", "lost") for code in stages):
        return rng.choice(LIVE)
    return ClientStatus.LOST.value


# -- rows -----------------------------------------------------------------------------


class DemoWriter:
    """Generate the rows of the demo and write them in bulk, with ids assigned here."""

    def __init__(self, session: Session, rng: random.Random, pools: _Pools, now: datetime,
                 stages: dict[str, tuple[int, str]], *, task_history: int = TASK_HISTORY,
                 contact_weights: Sequence[int] = CONTACT_WEIGHTS) -> None:
        self.session = session
        self.rng = rng
        self.task_history = task_history
        self.contact_weights = contact_weights
        self.pools = pools
        self.now = now
        self.today = now.date()
        self.stages = stages
        self.rows: dict[str, list[dict]] = {model.__tablename__: [] for model in WRITTEN}
        self.next_id = {model.__tablename__: max_id(session, model) + 1 for model in WRITTEN}
        self.counts = {"companies": 0, "contacts": 0, "private_clients": 0, "deals": 0,
                       "tasks": 0, "history_entries": 0}
        self.used_inns: set[str] = set()
        self.planned_by_owner: dict[int, int] = {}
        self.birthdays_by_owner: dict[int, int] = {}

    # plumbing

    def new_id(self, table: str) -> int:
        """Return the next free id of the table."""
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def flush(self) -> None:
        """Write the waiting rows, parents before children (COPY on PostgreSQL)."""
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        for model in WRITTEN:
            rows = self.rows[model.__tablename__]
            if rows and postgresql:
                copy_rows(self.session, model.__table__, rows)
            else:
                for start in range(0, len(rows), INSERT_CHUNK):
                    chunk = rows[start:start + INSERT_CHUNK]
                    self.session.execute(insert(model.__table__), chunk)
            rows.clear()

    def stamp(self, owner_id: int, created_at: datetime, changed_at: datetime) -> dict:
        """Return the owner, audit, archive and version columns of a new record."""
        return {
            "owner_id": owner_id, "created_by_id": owner_id, "changed_by_id": owner_id,
            "created_at": created_at, "changed_at": changed_at,
            "archived": False, "archived_at": None, "version": 1,
        }

    def add(self, table: str, row: dict, changes: list[dict] | None = None) -> None:
        """Queue a record row with its history: created, then changed when `changes` given.

        Companies, contacts and deals get their search keys, as the write path sets them.
        """
        if table in SEARCHED:
            row.update(keys_of(table, row))
        self.rows[table].append(row)
        self.log(table, row, "created", row["created_at"], None)
        if changes:
            self.log(table, row, "changed", row["changed_at"], changes)

    def log(self, table: str, row: dict, action: str, at: datetime,
            changes: list[dict] | None) -> None:
        """Queue a history entry of the record, tied to its company, contact and deal."""
        self.counts["history_entries"] += 1
        self.rows["history"].append({
            "id": self.new_id("history"), "at": at, "actor_id": row["owner_id"],
            "entity": table, "entity_id": row["id"], "action": action, "changes": changes,
            "company_id": row["id"] if table == "company" else row.get("company_id"),
            "contact_id": row["id"] if table == "contact" else row.get("contact_id"),
            "deal_id": row["id"] if table == "deal" else row.get("deal_id"),
            "reassignment_id": None,
        })

    # time

    def at_work(self, day: date) -> datetime:
        """Return a moment of working hours (9:00 to 18:00) of the day."""
        return datetime.combine(day, time(self.rng.randint(9, 17), self.rng.randrange(0, 60, 5)))

    def moment(self, start: datetime, end: datetime) -> datetime:
        """Return a moment of working hours from start to end (kept inside them)."""
        days = (end.date() - start.date()).days
        value = self.at_work(start.date() + timedelta(days=self.rng.randint(0, max(days, 0))))
        return min(max(value, start), end)

    def client_since(self) -> datetime:
        """Return when a client was created: from two years to three weeks ago."""
        return self.moment(self.now - timedelta(days=730), self.now - timedelta(days=21))

    # clients

    def person(self) -> _Person:
        """Return a random full name, combined from the pools."""
        female = self.rng.random() < 0.45
        pools, choice = self.pools, self.rng.choice
        return _Person(choice(pools.last[female]), choice(pools.first[female]),
                       choice(pools.middle[female]), female)

    def client_status(self) -> str:
        """Return a random client status, mostly live."""
        return self.rng.choices(list(CLIENT_STATUS_WEIGHTS),
                                weights=list(CLIENT_STATUS_WEIGHTS.values()))[0]

    def add_company(self, owner_id: int, forced_stages: Sequence[str] = ()) -> None:
        """Add a company with its contact persons, deals and tasks."""
        rng = self.rng
        status = status_for_stages(rng, forced_stages) or self.client_status()
        client = _Client(owner_id, status, self.client_since(), company_id=self.new_id("company"))
        city, code, postcode, region = rng.choice(CITIES)
        form = rng.choices(LEGAL_FORMS, weights=LEGAL_FORM_WEIGHTS)[0]
        if form == "ИП":
            person = self.person()
            name = f"ИП {person.last} {person.first[0]}. {person.middle[0]}."
            legal_name = (f"Индивидуальный предприниматель {person.last} {person.first} "
                          f"{person.middle}")
            domain = None
            email = f"{latin(person.last)}.{latin(person.first)}@{rng.choice(FREE_MAIL_DOMAINS)}"
        else:
            pool = self.pools.made_up_names if rng.random() < 0.6 else self.pools.faker_names
            name = rng.choice(pool)
            legal_name = f"{form} «{name}»"
            domain = company_domain(name)
            email = f"{rng.choice(('info', 'office', 'sales'))}@{domain}"
        lost_reason = rng.choice(CLIENT_LOST_REASONS) if status == "lost" else None
        row = {
            "id": client.company_id, "name": name, "legal_name": legal_name,
            "inn": self.unique_inn(region, person=form == "ИП"),
            "industry": rng.choice(INDUSTRIES), "website": domain and f"https://{domain}",
            "phone": make_phone(rng, code), "email": email,
            "address": f"{make_postcode(rng, postcode)}, г. {city}, "
                       f"{rng.choice(self.pools.streets)}",
            "status": status, "lost_reason": lost_reason, "source": rng.choice(SOURCES),
            "notes": None,
            **self.stamp(owner_id, client.created_at, self.moment(client.created_at, self.now)),
        }
        self.add("company", row, self.lost_changes(row))
        self.counts["companies"] += 1
        persons = range(1, len(self.contact_weights) + 1)
        for _ in range(rng.choices(persons, weights=self.contact_weights)[0]):
            client.contact_ids.append(self.add_contact_person(client, domain, code))
        deals = max(len(forced_stages), rng.choices(range(4), weights=COMPANY_DEAL_WEIGHTS)[0])
        self.add_client_work(client, lost_reason, deals, forced_stages)

    def lost_changes(self, row: dict) -> list[dict] | None:
        """Return the history changes of a client marked lost (None for a live client)."""
        if row["status"] != ClientStatus.LOST.value:
            return None
        return [{"field": "status", "old": self.rng.choice(LIVE), "new": row["status"]},
                {"field": "lost_reason", "old": None, "new": row["lost_reason"]}]

    def add_contact_person(self, client: _Client, domain: str | None, code: str) -> int:
        """Add a contact person of the client company; return the contact's id."""
        rng = self.rng
        person = self.person()
        if domain:
            email = f"{latin(person.first)[0]}.{latin(person.last)}@{domain}"
        else:
            email = f"{latin(person.last)}{rng.randint(1, 99)}@{rng.choice(FREE_MAIL_DOMAINS)}"
        office_phone = rng.random() < 0.4
        row = self.person_row(client.owner_id, client.created_at, person)
        row.update({
            "position": rng.choice(POSITIONS), "company_id": client.company_id,
            "phone": make_phone(rng, code) if office_phone else make_mobile(rng),
            "mobile_phone": make_mobile(rng) if office_phone else None, "email": email,
        })
        self.add("contact", row)
        self.counts["contacts"] += 1
        return row["id"]

    def add_private_client(self, owner_id: int) -> None:
        """Add a private client (a contact without a company) with deals and tasks."""
        rng = self.rng
        client = _Client(owner_id, self.client_status(), self.client_since())
        person = self.person()
        row = self.person_row(owner_id, client.created_at, person)
        lost_reason = rng.choice(CLIENT_LOST_REASONS) if client.status == "lost" else None
        row.update({
            "phone": make_mobile(rng),
            "email": f"{latin(person.last)}.{latin(person.first)}{rng.randint(1, 99)}"
                     f"@{rng.choice(FREE_MAIL_DOMAINS)}",
            "status": client.status, "lost_reason": lost_reason, "source": rng.choice(SOURCES),
        })
        client.contact_id = row["id"]
        self.add("contact", row, self.lost_changes(row))
        self.counts["private_clients"] += 1
        deals = rng.choices(range(3), weights=PRIVATE_DEAL_WEIGHTS)[0]
        self.add_client_work(client, lost_reason, deals)

    def person_row(self, owner_id: int, since: datetime, person: _Person) -> dict:
        """Return a contact row with the person's name, birthday and personal notes."""
        rng = self.rng
        birthday = None
        if rng.random() < 0.6:
            seen = self.birthdays_by_owner.get(owner_id, 0)
            self.birthdays_by_owner[owner_id] = seen + 1
            birthday = make_birthday(rng, self.today, soon=seen < 2 or rng.random() < 0.03)
        spouse = None
        if rng.random() < 0.15:
            spouse = (f"{rng.choice(self.pools.first[not person.female])} "
                      f"{rng.choice(self.pools.middle[not person.female])}")
        return {
            "id": self.new_id("contact"), "last_name": person.last,
            "first_name": person.first, "middle_name": person.middle, "position": None,
            "company_id": None, "phone": None, "mobile_phone": None, "email": None,
            "second_email": None, "birthday": birthday,
            "birthday_key": birthday.month * 100 + birthday.day if birthday else None,
            "spouse_name": spouse,
            "preferences": rng.choice(PREFERENCES) if rng.random() < 0.2 else None,
            "status": None, "lost_reason": None, "source": None,
            **self.stamp(owner_id, since, self.moment(since, self.now)),
        }

    def unique_inn(self, region: str, person: bool) -> str:
        """Return an INN of the region that no other demo company has."""
        while True:
            inn = make_inn(self.rng, region, person)
            if inn not in self.used_inns:
                self.used_inns.add(inn)
                return inn

    # deals and tasks

    def add_client_work(self, client: _Client, lost_reason: str | None, deals: int,
                        forced_stages: Sequence[str] = ()) -> None:
        """Add the client's deals, then the tasks kept on the client itself."""
        open_deals = 0
        for number in range(deals):
            if number < len(forced_stages):
                code = forced_stages[number]
            else:
                code = self.rng.choices(STAGE_CODES, weights=STAGE_WEIGHTS[client.status])[0]
            open_deals += self.add_deal(client, code)
        links = self.client_links(client)
        for _ in range(self.rng.randint(0, self.task_history)):
            self.add_past_task(client.owner_id, client.created_at, self.now, links)
        if client.status == ClientStatus.LOST.value:
            result = f"Клиент отказался: {lost_reason}"
            self.add_past_task(client.owner_id, client.created_at, self.now, links, result)
        elif open_deals == 0 or self.rng.random() < 0.3:
            self.add_planned_task(client.owner_id, client.created_at, links)

    def client_links(self, client: _Client) -> dict:
        """Return the task links of a client: the company (and a contact person) or the person."""
        if client.company_id is None:
            return {"company_id": None, "contact_id": client.contact_id, "deal_id": None}
        contact_id = None
        if client.contact_ids and self.rng.random() < 0.5:
            contact_id = self.rng.choice(client.contact_ids)
        return {"company_id": client.company_id, "contact_id": contact_id, "deal_id": None}

    def add_deal(self, client: _Client, code: str) -> int:
        """Add a deal of the client in the stage, with its tasks; return 1 if it is open."""
        rng = self.rng
        stage_id, kind = self.stages[code]
        created_at = self.moment(client.created_at, self.now - timedelta(days=15))
        closed_at = None
        if kind != StageKind.OPEN.value:
            closed_at = self.moment(created_at + timedelta(days=3), self.now - timedelta(hours=1))
            expected = closed_at.date()
        elif rng.random() < 0.1:
            expected = self.today - timedelta(days=rng.randint(1, 20))  # late already
        else:
            expected = self.today + timedelta(days=rng.randint(5, 120))
        private = client.company_id is None
        if private:
            contact_id = client.contact_id
        else:
            contact_id = rng.choice(client.contact_ids) if client.contact_ids else None
        row = {
            "id": self.new_id("deal"),
            "title": rng.choice(PRIVATE_DEAL_TITLES if private else COMPANY_DEAL_TITLES),
            "company_id": client.company_id, "contact_id": contact_id, "stage_id": stage_id,
            "amount": self.deal_amount(private), "currency": "RUB",
            "expected_close_date": expected, "closed_at": closed_at,
            "lost_reason": rng.choice(DEAL_LOST_REASONS) if kind == "lost" else None,
            "notes": None,
            **self.stamp(client.owner_id, created_at,
                         closed_at or self.moment(created_at, self.now)),
        }
        self.add("deal", row, self.stage_changes(row, code))
        self.counts["deals"] += 1
        self.add_deal_tasks(client, row, kind)
        return int(kind == StageKind.OPEN.value)

    def stage_changes(self, row: dict, code: str) -> list[dict] | None:
        """Return the history changes of the deal's last move (None for a new cold deal)."""
        position = STAGE_CODES.index(code)
        if position == 0:
            return None
        if code == "lost":
            previous = self.rng.choice(STAGE_CODES[:5])
        else:
            previous = STAGE_CODES[min(position - 1, 4)]
        changes = [{"field": "stage_id", "old": self.stages[previous][0], "new": row["stage_id"]}]
        if row["closed_at"] is not None:
            changes.append({"field": "closed_at", "old": None, "new": plain(row["closed_at"])})
        if row["lost_reason"] is not None:
            changes.append({"field": "lost_reason", "old": None, "new": row["lost_reason"]})
        return changes

    def deal_amount(self, private: bool) -> Decimal:
        """Return a believable deal amount in roubles (smaller for private clients)."""
        if private:
            amount = min(max(self.rng.lognormvariate(log(90000), 0.8), 5000), 3000000)
            return Decimal(round(amount, -2))
        amount = min(max(self.rng.lognormvariate(log(450000), 1.0), 20000), 60000000)
        return Decimal(round(amount, -3))

    def add_deal_tasks(self, client: _Client, deal: dict, kind: str) -> None:
        """Add the deal's done tasks, and its next planned one while it is open."""
        links = {"company_id": client.company_id, "deal_id": deal["id"],
                 "contact_id": client.contact_id if client.company_id is None else None}
        since, until = deal["created_at"], deal["closed_at"] or self.now
        for _ in range(self.rng.randint(0, self.task_history)):
            self.add_past_task(client.owner_id, since, until, links)
        if kind == StageKind.WON.value:
            self.add_past_task(client.owner_id, since, until, links, WON_RESULT)
        elif kind == StageKind.LOST.value:
            result = f"Сделка проиграна: {deal['lost_reason']}"
            self.add_past_task(client.owner_id, since, until, links, result)
        else:
            self.add_planned_task(client.owner_id, since, links)

    def task_row(self, owner_id: int, links: dict, due_at: datetime, created_at: datetime
                 ) -> dict:
        """Return a planned task row of a random type; callers change what differs."""
        task_type = self.rng.choices(TASK_TYPES, weights=TASK_TYPE_WEIGHTS)[0]
        self.counts["tasks"] += 1
        return {
            "id": self.new_id("task"), "type": task_type,
            "subject": self.rng.choice(TASK_SUBJECTS[task_type]), "due_at": due_at, **links,
            "state": TaskState.PLANNED.value, "result": None, "done_at": None, "done_by_id": None,
            "notes": None,
            **self.stamp(owner_id, created_at, created_at),
        }

    def add_past_task(self, owner_id: int, since: datetime, until: datetime, links: dict,
                      result: str | None = None) -> None:
        """Add a task of the past: done with its result, or now and then cancelled.

        A given result is the closing one: its task falls in the last days before `until`,
        the others before those days.
        """
        rng = self.rng
        last_days = until - timedelta(days=3)
        if result is None:
            due_at = self.moment(since, last_days)
        else:
            due_at = self.moment(max(since, last_days), until - timedelta(hours=1))
        row = self.task_row(owner_id, links, due_at,
                            max(since, due_at - timedelta(days=rng.randint(0, 7))))
        if result is None and rng.random() < 0.07:
            row.update(state=TaskState.CANCELLED.value, notes=rng.choice(CANCEL_NOTES),
                       changed_at=min(due_at, self.now))
            changes = [{"field": "state", "old": "planned", "new": row["state"]}]
        else:
            done_at = min(due_at + timedelta(minutes=rng.randint(5, 240)), until)
            row.update(state=TaskState.DONE.value, result=result or rng.choice(TASK_RESULTS),
                       done_at=done_at, done_by_id=owner_id, changed_at=done_at)
            changes = [{"field": "state", "old": "planned", "new": row["state"]},
                       {"field": "result", "old": None, "new": row["result"]},
                       {"field": "done_at", "old": None, "new": plain(done_at)}]
        self.add("task", row, changes)

    def add_planned_task(self, owner_id: int, since: datetime, links: dict) -> None:
        """Add the next planned task: overdue, due today or (mostly) in the coming weeks.

        Each manager's first task is overdue and the next two are due today, so that every
        manager's day has something in it, whatever the size of the demo.
        """
        rng = self.rng
        seen = self.planned_by_owner.get(owner_id, 0)
        self.planned_by_owner[owner_id] = seen + 1
        draw = rng.random()
        if seen < 1 or (seen >= 3 and draw < 0.12):
            due_at = self.at_work(self.today - timedelta(days=rng.randint(1, 14)))
        elif seen < 3 or draw < 0.2:
            evening = max(datetime.combine(self.today, time(19)), self.now + timedelta(hours=1))
            end = min(evening, datetime.combine(self.today, time(23, 59)))
            due_at = between(rng, self.now + timedelta(minutes=1), end)
        else:
            due_at = self.at_work(self.today + timedelta(days=int(rng.triangular(1, 60, 3))))
        created_at = self.moment(max(since, self.now - timedelta(days=14)), self.now)
        self.add("task", self.task_row(owner_id, links, due_at, created_at))


# -- database -------------------------------------------------------------------------


def max_id(session: Session, model) -> int:
    """Return the highest id of the model's table (0 when empty)."""
    return session.scalar(select(func.max(model.id))) or 0


def copy_rows(session: Session, table, rows: list[dict]) -> None:
    """Write rows (dicts with the same keys) into a PostgreSQL table with COPY."""
    from psycopg import sql

    columns = list(rows[0])
    as_json = [isinstance(table.c[column].type, JSON) for column in columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with session.connection().connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[column] for column in columns]
            if any(as_json):
                values = [json.dumps(value, ensure_ascii=False) if wanted and value is not None
                          else value for value, wanted in zip(values, as_json, strict=True)]
            copy.write_row(values)


def advance_sequences(session: Session) -> None:
    """Move the id sequences past the ids written here (PostgreSQL; SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in WRITTEN:
        table = model.__tablename__
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ),
            {"table": table},
        )


def refuse_unless_empty(session: Session) -> None:
    """Check that no company, contact, deal or task exists, archived ones included.

    :raise DemoRefused: if one does.
    """
    for model in BUSINESS_MODELS:
        if session.scalar(select(model.id).limit(1)) is not None:
            raise DemoRefused(
                f"The database already has records in '{model.__tablename__}': "
                "the demo fills an empty database only."
            )


def pipeline_stages(session: Session) -> dict[str, tuple[int, str]]:
    """Return the id and kind of each default stage, by its code.

    :raise DemoRefused: if a default stage is missing.
    """
    rows = session.execute(
        select(Stage.code, Stage.id, Stage.kind).where(Stage.code.in_(STAGE_CODES))
    )
    stages = {code: (stage_id, kind) for code, stage_id, kind in rows}
    missing = [code for code in STAGE_CODES if code not in stages]
    if missing:
        raise DemoRefused(
            f"Pipeline stages are missing ({', '.join(missing)}): run `crm init` first."
        )
    return stages


def ensure_team(appbuilder, rng: random.Random, pools: _Pools, managers: int) -> list[int]:
    """Find or create the head of sales and the managers; return the managers' ids.

    New users join the current transaction; nothing is committed here.
    :raise DemoRefused: if a role is missing or a user cannot be created.
    """
    manager_ids = []
    team = [(HEAD_USERNAME, "Head")]
    team += [(MANAGER_USERNAME.format(n), "Manager") for n in range(1, managers + 1)]
    for username, role_name in team:
        user = team_member(appbuilder, rng, pools, username, role_name)
        if role_name == "Manager":
            manager_ids.append(user.id)
    return manager_ids


def team_member(appbuilder, rng: random.Random, pools: _Pools, username: str, role_name: str):
    """Return the active user of the username, or a new one; a deactivated one is passed by.

    :raise DemoRefused: if the role is missing or the user cannot be created.
    """
    sm = appbuilder.sm
    base, number = username, 1
    while (user := sm.find_user(username=username)) is not None:
        if user.active:
            return user
        number += 1
        username = f"{base}-{number}"
    role = sm.find_role(role_name)
    if role is None:
        raise DemoRefused(f"The role {role_name} is missing: run `crm init` first.")
    female = rng.random() < 0.5
    user = sm.add_user(
        username, rng.choice(pools.first[female]), rng.choice(pools.last[female]),
        f"{username}@{TEAM_EMAIL_DOMAIN}", role, DEMO_PASSWORD, commit=False,
    )
    if not user:
        raise DemoRefused(f"The demo user {username} could not be created.")
    return user


def generate_demo(appbuilder, session: Session, companies: int = 200, managers: int = 3,
                  seed: int = 2026, *, now: datetime | None = None,
                  task_history: int = TASK_HISTORY,
                  contact_weights: Sequence[int] = CONTACT_WEIGHTS) -> dict[str, int]:
    """Fill an empty database with a sales team, its clients, deals and tasks; return counts.

    Everything, the team included, is written in one transaction: on a failure nothing
    of the demo stays. The same seed and `now` give the same data. `task_history` is the
    most done tasks on a client or a deal besides its closing one (the depth of the task
    history); `contact_weights` weigh 1, 2, 3... contact persons a company.
    :raise DemoRefused: if the database already has business records, lacks the roles or
        stages (`crm init` not run), or the sizes are below one.
    """
    if companies < 1 or managers < 1:
        raise DemoRefused("The demo needs at least one company and one manager.")
    refuse_unless_empty(session)
    stages = pipeline_stages(session)
    pools = build_pools(seed)
    now = (now or local_now()).replace(second=0, microsecond=0)
    try:
        owners = ensure_team(appbuilder, random.Random(seed), pools, managers)
        writer = DemoWriter(session, random.Random(seed), pools, now, stages,
                            task_history=task_history, contact_weights=contact_weights)
        write_clients(writer, owners, companies)
        # The planner has not seen these rows yet: without statistics SQLite reads a
        # deal's last touch along every done task, for each of 150,000 deals.
        analyze_tables(session)
        # Rows went in bulk, past the flush hook: date every record once, set-based.
        refresh_all(session)
        rebuild_summaries(session)
        advance_sequences(session)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return {"users": managers + 1, **writer.counts}


def write_clients(writer: DemoWriter, owners: list[int], companies: int) -> None:
    """Generate the companies, then the private clients, writing them batch by batch.

    The first companies have deals in every stage of the pipeline between them, one stage
    each (or several when there are fewer companies than stages).
    """
    showcase = min(companies, len(STAGE_CODES))
    for index in range(companies):
        forced = [code for n, code in enumerate(STAGE_CODES) if n % showcase == index]
        writer.add_company(owners[index % len(owners)], forced)
        if (index + 1) % COMPANIES_PER_BATCH == 0:
            writer.flush()
    for index in range(round(companies * PRIVATE_CLIENT_SHARE)):
        writer.add_private_client(owners[(companies + index) % len(owners)])
        if (index + 1) % COMPANIES_PER_BATCH == 0:
            writer.flush()
    writer.flush()
