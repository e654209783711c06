"""The head's team day: the table of the team's figures, each one a link to its rows."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Stage
from app.models.enums import TaskState
from app.services.queries.team_day import TeamDay


def _view(name: str):
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == name:
            return view
    raise LookupError(name)


def list_url(view_name: str, *filters: tuple[str, str, object]) -> str:
    """Return the address of a list with FAB's filters (column, filter kind, value or values).

    The filter's number in the address is looked up, not written by hand: it is the
    filter's place among those FAB offers for the column.
    """
    search = _view(view_name)._filters.get_search_filters()
    arguments = []
    for column, kind, value in filters:
        index = next(n for n, flt in enumerate(search[column]) if flt.arg_name == kind)
        for item in value if isinstance(value, list | tuple) else [value]:
            arguments.append((f"_flt_{index}_{column}", str(item)))
    return url_for(f"{view_name}.list") + "?" + urlencode(arguments)


def _closed_stage_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Stage.id).where(Stage.is_open.is_(False))
                                .order_by(Stage.id)))


def figure_links(session: Session, day: TeamDay) -> dict[int, dict[str, str]]:
    """Return {user id (0: the totals): {figure: the list showing exactly its rows}}."""
    now: datetime = day.now
    today = now.date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    moment = now.isoformat(timespec="seconds")
    closed = _closed_stage_ids(session)
    planned = ("state", "eq", TaskState.PLANNED.value)
    done = ("state", "eq", TaskState.DONE.value)
    links = {}
    for member in [*day.members, day.total]:
        owner = [("owner", "rel_o_m", member.user_id)] if member.user_id else []
        doer = [("done_by", "rel_o_m", member.user_id)] if member.user_id else []
        links[member.user_id] = {
            "overdue": list_url("TaskView", *owner, planned, ("due_at", "lt", moment)),
            "today": list_url("TaskView", *owner, planned, ("due_at", "gt", moment),
                              ("due_at", "lt", tomorrow)),
            "done_today": list_url("TaskView", *doer, done, ("done_at", "eq", today.isoformat())),
            "done_week": list_url(
                "TaskView", *doer, done,
                ("done_at", "gt", (day.week_start - timedelta(days=1)).isoformat()),
                ("done_at", "lt", tomorrow)),
            "without_next_task": url_for("QueueView.index", **(
                {"owner": member.user_id} if member.user_id else {})),
            "inbox": url_for("InboxView.index", **(
                {"owner": member.user_id} if member.user_id else {})),
            "past_close": list_url("DealView", *owner,
                                   ("expected_close_date", "lt", today.isoformat()),
                                   ("stage", "nrel_o_m", closed)),
        }
    return links
