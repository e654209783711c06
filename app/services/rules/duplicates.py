"""No client twice: a company or contact whose INN, phone or e-mail another record has is
refused until the user says "save anyway"; similar names are suggested.

Part of the one write path (saving.save_record): every entry point (forms, API, first
call, import, inbox) passes `allow_duplicate` explicitly.

- Same INN, phone (any of a contact's two) or e-mail (any of two): a duplicate. Compared on
  the search keys the write path stores (E.164 phones, lower-cased e-mails), each by its
  own index; archived records and the record itself never count. Any owner counts: a
  manager learns whose client it is, and only the owner's name if it is not theirs.
- Similar names (companies, private clients): the legal form is stripped ("ООО Ромашка"
  is "Ромашка") and the rest scored by rapidfuzz. Candidates come from the name index
  (SQLite FTS5, PostgreSQL trigrams) by the name's longest word, at most CANDIDATES of
  them: the table is never scored whole. A similar name alone does not refuse the save;
  it is handed back as a warning.
- An edit is checked only for what it changes: a record saved anyway once is not refused
  again at every later edit of its notes.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz, process
from sqlalchemy import false, func, inspect, literal, select, union_all
from sqlalchemy.orm import Session

from app.formatting import person_name
from app.models import Company, Contact
from app.services.errors import DomainError
from app.services.rules import name_words, search_keys
from app.services.rules.kinds import kind_of
from app.services.rules.visibility import can_see

# Legal forms written before or after a name; they say nothing about which client it is.
LEGAL_FORMS = frozenset({
    "ооо", "оао", "зао", "пао", "ао", "ип", "нко", "ано", "тоо", "чп", "пк", "гуп", "муп",
    "фгуп", "llc", "ltd", "inc", "corp", "gmbh", "plc", "ooo", "oao", "zao", "pao", "ao",
    "ip", "co", "limited", "company",
})
# Rows read per look-up: a phone, e-mail or INN has a handful; a name's word a few hundred.
KEY_LIMIT = 20
CANDIDATES = 200
# Scores (0-100) from which two names are said to be alike.
COMPANY_SCORE = 85
PERSON_SCORE = 90
# Shortest word worth a name look-up: shorter ones match half the table.
MIN_WORD = 3
# Suggestions shown at most.
SHOWN = 10
REASONS = ("inn", "phone", "email", "name")
REASON_LABELS = {"inn": _l("same INN"), "phone": _l("same phone"),
                 "email": _l("same e-mail"), "name": _l("similar name")}
_WARNINGS = "duplicate_warnings"


@dataclass
class Match:
    """Another record that looks like the one being saved, why, and whether the user sees it."""

    record: Company | Contact
    reasons: list[str]
    visible: bool
    score: int | None = None

    @property
    def type(self) -> str:
        """The API's type: "company" or "contact"."""
        return type(self.record).__tablename__

    @property
    def id(self) -> int | None:
        """The record's id, only for a user who may open it."""
        return self.record.id if self.visible else None

    @property
    def owner(self) -> str:
        """The owner's name, shown to everyone: it says whom to ask."""
        return person_name(self.record.owner) if self.record.owner is not None else ""

    @property
    def title(self) -> str | None:
        """The record's name, only for a user who may open it."""
        return str(self.record) if self.visible else None

    @property
    def labelled_reasons(self) -> list[tuple[str, str]]:
        """Return (reason, its words in the user's language) for each reason."""
        return [(reason, str(REASON_LABELS[reason])) for reason in self.reasons]

    @property
    def exact(self) -> bool:
        """Tell whether an INN, phone or e-mail matched (not only the name)."""
        return any(reason != "name" for reason in self.reasons)

    def describe(self) -> str:
        """Say what matched in the user's language, with no detail of a hidden record."""
        why = ", ".join(str(REASON_LABELS[reason]) for reason in self.reasons)
        if self.visible:
            return str(_l("«%(name)s» (%(why)s; owner %(owner)s)", name=self.title, why=why,
                          owner=self.owner))
        return str(_l("a client of %(owner)s (%(why)s)", owner=self.owner, why=why))

    def as_json(self) -> dict:
        """Return the match as the API shows it: the id only where the user may see it."""
        answer = {"type": self.type, "owner": self.owner, "reasons": list(self.reasons)}
        if self.visible:
            answer.update(id=self.record.id, title=self.title)
        return answer


class DuplicateFound(DomainError):
    """Another record has the same INN, phone or e-mail; `matches` says which and whose."""

    def __init__(self, matches: list[Match]) -> None:
        listed = "; ".join(match.describe() for match in matches[:SHOWN])
        super().__init__(_l("This looks like a client you already have: %(matches)s. Check "
                            "it, or save anyway.", matches=listed), "allow_duplicate")
        self.matches = matches


def core_words(text: str | None) -> list[str]:
    """Return the folded words of a name without legal forms ("ООО «Ромашка»" -> ромашка)."""
    return [word for word in search_keys.words(text) if word not in LEGAL_FORMS]


def _changed(record, name: str, is_new: bool) -> bool:
    return is_new or inspect(record).attrs[name].history.has_changes()


def _key_lookups(record, is_new: bool) -> list[tuple[str, object, str]]:
    """Return (reason, column, value) for each key of the record that a save sets anew."""
    model = type(record)
    if model is Company:
        keys = [("inn", "inn", [Company.inn]), ("phone", "phone_e164", [Company.phone_e164]),
                ("email", "email_key", [Company.email_key])]
    else:
        phones = [Contact.phone_e164, Contact.mobile_phone_e164]
        emails = [Contact.email_key, Contact.second_email_key]
        keys = [("phone", "phone_e164", phones), ("phone", "mobile_phone_e164", phones),
                ("email", "email_key", emails), ("email", "second_email_key", emails)]
    lookups = []
    for reason, attribute, columns in keys:
        value = getattr(record, attribute)
        if value and _changed(record, attribute, is_new):
            lookups += [(reason, column_, value) for column_ in columns
                        if (reason, column_, value) not in lookups]
    return lookups


def _others(model, record):
    query = select(model).where(model.archived == false())
    if record.id is not None:
        query = query.where(model.id != record.id)
    return query


def same_keys(session: Session, record, is_new: bool) -> dict[int, tuple[object, list[str]]]:
    """Return {id: (record, reasons)} of other live records sharing an INN, phone or e-mail."""
    model = type(record)
    found: dict[int, tuple[object, list[str]]] = {}
    for reason, column_, value in _key_lookups(record, is_new):
        # One look-up per column: an OR of two columns makes SQLite scan the table.
        statement = _others(model, record).where(column_ == value).limit(KEY_LIMIT)
        for other in session.scalars(statement).unique():
            reasons = found.setdefault(other.id, (other, []))[1]
            if reason not in reasons:
                reasons.append(reason)
    return found


def _is_company(record) -> bool:
    return kind_of(record).name_fields == ("name",)


def _name_words(record) -> list[str]:
    parts = " ".join(getattr(record, name) or "" for name in kind_of(record).name_fields)
    # A company's legal form ("ООО") says nothing of who it is; a person's name is all words.
    return core_words(parts) if _is_company(record) else search_keys.words(parts)


def _names_alike(record, other) -> int:
    return _words_alike(_name_words(record), _name_words(other), _is_company(record))


def _words_alike(mine: list[str], theirs: list[str], company: bool) -> int:
    """Score two names by their folded words (0-100)."""
    if not mine or not theirs:
        return 0
    # "Филиал 1" and "Филиал 2" are two clients, however alike the letters.
    if {word for word in mine if word.isdigit()} != {word for word in theirs if word.isdigit()}:
        return 0
    if company:
        return int(fuzz.token_sort_ratio(" ".join(mine), " ".join(theirs)))
    if min(len(mine), len(theirs)) >= 2:
        # A person named in full and the same person without the patronymic.
        return int(fuzz.token_set_ratio(" ".join(mine), " ".join(theirs)))
    return int(fuzz.ratio(" ".join(mine), " ".join(theirs)))


def name_candidates(session: Session, model, *words: str, columns: tuple = ()):
    """Return a statement of the live rows whose name has a word starting with one of `words`.

    The records, or only `columns` of them. The name's text index answers it
    (rules/name_words.py).
    """
    query = select(*(columns or (model,))).where(model.archived == false())
    if model is Contact:
        # Private clients only; written so that no company_id index is chosen over the name's.
        query = query.where(func.coalesce(Contact.company_id, 0) == 0)
    return name_words.starting(session, query, model, list(words), every=False)


def _search_word(record) -> str | None:
    """Return the start of the record's rarest name word, the one candidates are found by."""
    words = [word for word in _name_words(record) if len(word) >= MIN_WORD]
    if not words:
        return None
    # The longest word is the rarest: the fewest candidates to score. Its last letters
    # are left out, so that a typo or an ending there ("Ромашки") still finds it.
    longest = max(words, key=len)
    return longest[:max(MIN_WORD, len(longest) - 2)]


def similar_pairs(session: Session, companies: list) -> list[tuple[object, object, int]]:
    """Return (company, other, score) for live companies named like each of `companies`.

    One statement for them all (the duplicates report): per search word, up to
    CANDIDATES ids and folded names of the companies holding it, tagged with the word;
    each company is scored against its word's candidates by rapidfuzz in one call; one
    more statement loads the few found alike.
    """
    searched: dict[str, list] = {}
    for company in companies:
        if (word := _search_word(company)) is not None:
            searched.setdefault(word, []).append(company)
    if not searched:
        return []
    arms = [name_candidates(session, Company, word, columns=(
                literal(word).label("word"), Company.id, Company.search_name))
            .limit(CANDIDATES).subquery().select() for word in sorted(searched)]
    candidates: dict[str, list[tuple[int, str]]] = {}
    for word, other_id, name in session.execute(union_all(*arms)):
        candidates.setdefault(word, []).append((other_id, name or ""))
    alike: dict[int, list] = {company.id: [] for company in companies}
    for word, found in candidates.items():
        # The candidates' names as scored: without their legal forms.
        names = [" ".join(part for part in name.split() if part not in LEGAL_FORMS)
                 for _id, name in found]
        for company in searched[word]:
            mine = _name_words(company)
            for _name, score, index in process.extract(
                    " ".join(mine), names, scorer=fuzz.token_sort_ratio,
                    score_cutoff=COMPANY_SCORE, limit=None):
                other_id = found[index][0]
                # The digits rule of _words_alike, for the few that score.
                if other_id != company.id and _words_alike(
                        mine, names[index].split(), company=True) >= COMPANY_SCORE:
                    alike[company.id].append((other_id, int(score)))
    wanted = {other_id for pairs in alike.values() for other_id, _score in pairs}
    others = {other.id: other for other in session.scalars(
        select(Company).where(Company.id.in_(wanted))).unique()} if wanted else {}
    # In the order of `companies`, as the report lists them.
    return [(company, others[other_id], score) for company in companies
            for other_id, score in alike[company.id]]


def similar_names(session: Session, record, is_new: bool) -> dict[int, tuple[object, int]]:
    """Return {id: (record, score)} of live records with a name like this one's.

    Companies and private clients only: two contact persons of the same name at two
    companies are two people.
    """
    # A company's contact person is not a client of their own.
    if getattr(record, "company_id", None) or getattr(record, "company", None) is not None:
        return {}
    names = kind_of(record).name_fields
    if not any(_changed(record, name, is_new) for name in names):
        return {}
    word = _search_word(record)
    if word is None:
        return {}
    model = type(record)
    statement = name_candidates(session, model, word)
    if record.id is not None:
        statement = statement.where(model.id != record.id)
    found = {}
    for other in session.scalars(statement.limit(CANDIDATES)).unique():
        score = _names_alike(record, other)
        if score >= (COMPANY_SCORE if model is Company else PERSON_SCORE):
            found[other.id] = (other, score)
    return found


def find(session: Session, actor, record, *, is_new: bool) -> list[Match]:
    """Return the records the one being saved may duplicate: same keys first, then names.

    Only what the save sets anew is compared (all of it for a new record).
    """
    if type(record) not in (Company, Contact):
        return []
    with session.no_autoflush:
        keys = same_keys(session, record, is_new)
        names = similar_names(session, record, is_new)
    matches = [Match(other, reasons, can_see(other, actor))
               for _id, (other, reasons) in sorted(keys.items())]
    for record_id, (other, score) in sorted(names.items(), key=lambda item: -item[1][1]):
        known = next((match for match in matches if match.record.id == record_id), None)
        if known is not None:
            known.reasons.append("name")
            known.score = score
        else:
            matches.append(Match(other, ["name"], can_see(other, actor), score))
    return matches


def check(session: Session, actor, record, *, is_new: bool, allow_duplicate: bool) -> None:
    """Refuse a company or contact sharing an INN, phone or e-mail, unless it is allowed.

    Similar names alone do not refuse: they are kept as warnings (`warnings`).

    :raise DuplicateFound: carrying every match, unless `allow_duplicate`.
    """
    if allow_duplicate or type(record) not in (Company, Contact):
        return
    matches = find(session, actor, record, is_new=is_new)
    if any(match.exact for match in matches):
        raise DuplicateFound(matches)
    if matches:
        session.info.setdefault(_WARNINGS, []).extend(matches)


def warnings(session: Session) -> list[Match]:
    """Return and forget the similar names the saves of this session were warned about."""
    return session.info.pop(_WARNINGS, [])


def warning_text(matches: list[Match]) -> str:
    """Say which similar clients exist, for a message after a save."""
    listed = "; ".join(match.describe() for match in matches[:SHOWN])
    return str(_l("Saved. Similar clients exist: %(matches)s. If it is the same client, "
                  "merge them.", matches=listed))
