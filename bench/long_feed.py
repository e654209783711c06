"""A client with a long story for the benchmark: 500 tasks, most done with their results."""

from datetime import timedelta

from sqlalchemy import select

from app.models import Company, Contact, Deal, Stage, Task, User
from app.models.mixins import local_now
from app.services.rules.history import set_actor

TASKS = 500
PLANNED = 10


def add_long_feed_client(session, manager_id: int, tasks: int = TASKS) -> int:
    """Give the manager a company with a person, a deal and `tasks` tasks; return its id.

    Written through the ORM, so that each record gets its history entries as in real use.
    """
    manager = session.get(User, manager_id)
    set_actor(session, manager)
    stage = session.scalar(select(Stage).where(Stage.is_open).order_by(Stage.position))
    company = Company(name="Долгая история", status="active", owner_id=manager_id,
                      phone="+7 495 500-00-00", email="history@example.com")
    person = Contact(last_name="Долгов", first_name="Пётр", company=company,
                     owner_id=manager_id)
    deal = Deal(title="Годовой контракт", company=company, contact=person, stage=stage,
                owner_id=manager_id)
    session.add_all([company, person, deal])
    now = local_now().replace(second=0, microsecond=0)
    for number in range(tasks):
        planned = number < PLANNED
        when = now + timedelta(days=number + 1) if planned else now - timedelta(days=number)
        session.add(Task(
            type="call", subject=f"Звонок {number}", due_at=when, owner_id=manager_id,
            company=company, contact=person if number % 3 == 0 else None,
            deal=deal if number % 2 else None,
            state="planned" if planned else "done",
            result=None if planned else f"Поговорили о поставке, итог {number}",
            done_at=None if planned else when, done_by_id=None if planned else manager_id,
        ))
    session.commit()
    return company.id
