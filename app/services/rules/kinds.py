"""What the rules need to know about each kind of record, in one table.

The next-task rule, the history and the archive treat a company, a contact, a deal and a
task differently: which task column points at it, which links a follow-up task carries,
which company / contact / deal its history belongs to, how a message names it, what
goes to the archive with it. Each kind says so here once, so that a new kind is one
entry of `KINDS`, not a branch in every rule.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, false, select

from app.models import Company, Contact, Deal, Reassignment, Stage, Task
from app.models.enums import LIVE_CLIENT_STATUSES

Links = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """One kind of record as the rules see it."""

    model: type
    # Its name in the history and in the archive's addresses.
    entity: str
    # The task column pointing at a record of this kind (None: tasks hang on nothing).
    task_link: Any
    # Whether a record (not archived) must have a planned task.
    live: Callable[[Any], bool]
    # The SQL condition of `live`, archived rows left out, for the queue.
    live_where: Callable[[], Any] | None
    # The company, contact and deal a follow-up task of the record is linked to.
    task_links: Callable[[Any], Links]
    # The company, contact and deal ids the record's history entries carry.
    context: Callable[[Any], dict[str, int | None]]
    # The record named in a message ("client «Alpha»").
    describe: Callable[[Any], str]
    # What the archive takes along besides tasks: (batch attribute, model, condition);
    # None when nothing goes with the record, its tasks included.
    dependents: Callable[[Any], list | None]
    # The rows that may point at a record of this kind: (label, model, column).
    referrers: tuple = ()
    # Whether its saves hold its stage (a deal's stage must not change kind meanwhile).
    holds_stage: bool = False
    # The fields its name is made of (duplicates compare them); empty: not a client.
    name_fields: tuple = ()
    # The referrers (by label) that move to the kept record when two are merged.
    merge_moves: tuple = ()


def _live_status(column):
    """Return `column IN ('potential', 'active')` with the values written into the SQL.

    The queue's partial indexes carry this very condition; SQLite uses such an index only
    when the query repeats it word for word, which a bound parameter would not.
    """
    values = bindparam(f"live_{column.table.name}", list(LIVE_CLIENT_STATUSES),
                       expanding=True, literal_execute=True)
    return column.in_(values)


def _ids(company_id=None, contact_id=None, deal_id=None) -> dict[str, int | None]:
    return {"company_id": company_id, "contact_id": contact_id, "deal_id": deal_id}


def _links(company=None, contact=None, deal=None) -> Links:
    return {"company": company, "contact": contact, "deal": deal}


COMPANY = Kind(
    model=Company,
    entity="company",
    task_link=Task.company_id,
    live=lambda company: company.status in LIVE_CLIENT_STATUSES,
    live_where=lambda: (Company.archived == false()) & _live_status(Company.status),
    task_links=lambda company: _links(company=company),
    context=lambda company: _ids(company_id=company.id),
    describe=lambda company: str(_l("client «%(name)s»", name=company.name)),
    dependents=lambda company: [
        ("contacts", Contact, Contact.company_id == company.id),
        ("deals", Deal, Deal.company_id == company.id),
    ],
    referrers=(("contacts", Contact, Contact.company_id), ("deals", Deal, Deal.company_id),
               ("tasks", Task, Task.company_id),
               ("reassignments", Reassignment, Reassignment.company_id),
               ("merged", Company, Company.merged_into_id)),
    name_fields=("name",),
    merge_moves=("contacts", "deals", "tasks"),
)

# A contact is a client only without a company (a private person); a contact person's
# deals and tasks belong to the company.
CONTACT = Kind(
    model=Contact,
    entity="contact",
    task_link=Task.contact_id,
    live=lambda contact: contact.company_id is None and contact.company is None
    and contact.status in LIVE_CLIENT_STATUSES,
    live_where=lambda: (Contact.archived == false()) & Contact.company_id.is_(None)
    & _live_status(Contact.status),
    task_links=lambda contact: _links(company=contact.company, contact=contact),
    context=lambda contact: _ids(company_id=contact.company_id, contact_id=contact.id),
    describe=lambda contact: str(_l("client %(name)s", name=contact.full_name)),
    dependents=lambda contact: None if contact.company_id is not None else [
        ("deals", Deal, (Deal.contact_id == contact.id) & Deal.company_id.is_(None)),
    ],
    referrers=(("deals", Deal, Deal.contact_id), ("tasks", Task, Task.contact_id),
               ("merged", Contact, Contact.merged_into_id)),
    name_fields=("last_name", "first_name", "middle_name"),
    merge_moves=("deals", "tasks"),
)

DEAL = Kind(
    model=Deal,
    entity="deal",
    task_link=Task.deal_id,
    live=lambda deal: deal.stage is not None and deal.stage.is_open,
    live_where=lambda: (Deal.archived == false())
    & Deal.stage_id.in_(select(Stage.id).where(Stage.is_open)),
    # A deal of a company is followed up with the company; a private deal with its client.
    task_links=lambda deal: _links(
        company=deal.company, contact=deal.contact if deal.company is None else None,
        deal=deal),
    context=lambda deal: _ids(company_id=deal.company_id, contact_id=deal.contact_id,
                              deal_id=deal.id),
    describe=lambda deal: str(_l("deal «%(title)s»", title=deal.title)),
    dependents=lambda deal: [],
    referrers=(("tasks", Task, Task.deal_id),),
    holds_stage=True,
)

TASK = Kind(
    model=Task,
    entity="task",
    task_link=None,
    live=lambda task: False,
    live_where=None,
    task_links=lambda task: _links(company=task.company, contact=task.contact,
                                   deal=task.deal),
    context=lambda task: _ids(company_id=task.company_id, contact_id=task.contact_id,
                              deal_id=task.deal_id),
    describe=lambda task: str(_l("task «%(subject)s»", subject=task.subject)),
    dependents=lambda task: None,
)

KINDS = {kind.model: kind for kind in (COMPANY, CONTACT, DEAL, TASK)}
BY_ENTITY = {kind.entity: kind for kind in KINDS.values()}


def kind_of(record) -> Kind:
    """Return the kind of a company, contact, deal or task.

    :raise KeyError: for any other object.
    """
    return KINDS[type(record)]


def kind_of_model(model: type) -> Kind:
    """Return the kind whose records are rows of `model`.

    :raise KeyError: for any other model.
    """
    return KINDS[model]
