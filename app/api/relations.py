"""Turn the ids an API client sends into the records they name, as the user may see them."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, Stage, User
from app.services.errors import ValidationError
from app.services.rules.visibility import scope_query


@dataclass(frozen=True)
class Relation:
    """An id field of the API: the relationship it sets and what to say when it is wrong."""

    attribute: str
    model: type
    message: object
    scoped: bool = True


RELATIONS = {
    "owner_id": Relation("owner", User, _l("Owner: choose the manager responsible."),
                         scoped=False),
    "company_id": Relation("company", Company, _l("Company: no such company.")),
    "contact_id": Relation("contact", Contact, _l("Contact: no such contact.")),
    "deal_id": Relation("deal", Deal, _l("Deal: no such deal.")),
    "stage_id": Relation("stage", Stage, _l("Stage: choose a stage of the pipeline."),
                         scoped=False),
}


def resolve(session: Session, actor, relation: Relation, record_id: int | None):
    """Return the record an id names, or None for no id.

    Companies, contacts and deals are looked up as the actor sees them: another
    manager's record, or an archived one, is not found. Whether the owner may be
    assigned is the services' rule (records.stamp_owner_and_audit).

    :raise ValidationError: naming the relation if there is no such record.
    """
    if record_id is None:
        return None
    if relation.scoped:
        query = scope_query(session.query(relation.model), relation.model, actor)
        found = query.filter(relation.model.id == record_id).one_or_none()
    else:
        found = session.get(relation.model, record_id)
    if found is None:
        raise ValidationError(relation.message, relation.attribute)
    return found


def apply_changes(session: Session, actor, record, data: dict) -> None:
    """Set the loaded fields on the record, ids through their relationships.

    :raise ValidationError: if an id names no record the actor may use.
    """
    # Nothing is flushed half-applied: the rules check the whole change first.
    with session.no_autoflush:
        for name, value in data.items():
            relation = RELATIONS.get(name)
            if relation is None:
                setattr(record, name, value)
                continue
            # Both sides, so that the rules see the change before anything is flushed.
            found = resolve(session, actor, relation, value)
            setattr(record, relation.attribute, found)
            setattr(record, name, found.id if found is not None else None)
