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


def _filter_arguments(view_name: str, *filters: tuple[str, str, object]) -> list[tuple]:
    """Return the address arguments of FAB's filters (column, filter kind, value or values).

    The filter's number in the address is looked up, not written by hand: it is the
    filter's place among those FAB offers for the column.
    """
    search = _view(view_name)._filters.get_search_filters()
    arguments = []
    for column, kind, value in filters:
        index = next(n for n, flt in enumerate(search[column]) if flt.arg_name == kind)
        for item in value if isinstance(value, list | tuple) else [value]:
            arguments.append((f"_flt_{index}_{column}", str(item)))
    return arguments


def list_url(view_name: str, *filters: tuple[str, str, object]) -> str:
    """Return the address of a list with FAB's filters (column, filter kind, value or values)."""
    return url_for(f"{view_name}.list") + "?" + urlencode(_filter_arguments(view_name, *filters))


def _closed_stage_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Stage.id).where(Stage.is_open.is_(False))
                                .order_by(Stage.id)))


class _PerMember:
    """A figure's list address for each member: the figure's filters, then whose rows.

    The address and the figure's filters are written once; a member only adds the
    owner's filter (a team of 20 has about 150 links).
    """

    def __init__(self, view_name: str, member_column: str, *filters) -> None:
        self.base = url_for(f"{view_name}.list") + "?"
        self.fixed = urlencode(_filter_arguments(view_name, *filters))
        self.member_argument = _filter_arguments(
            view_name, (member_column, "rel_o_m", 0))[0][0]

    def __call__(self, user_id: int | None) -> str:
        if not user_id:
            return self.base + self.fixed
        return f"{self.base}{self.member_argument}={int(user_id)}&{self.fixed}"


def _per_member_page(endpoint: str):
    base = url_for(endpoint)
    return lambda user_id: f"{base}?owner={int(user_id)}" if user_id else base


def figure_links(session: Session, day: TeamDay) -> dict[int, dict[str, str]]:
    """Return {user id (0: the totals): {figure: the list showing exactly its rows}}."""
    now: datetime = day.now
    today = now.date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    moment = now.isoformat(timespec="seconds")
    planned = ("state", "eq", TaskState.PLANNED.value)
    done = ("state", "eq", TaskState.DONE.value)
    figures = {
        "overdue": _PerMember("TaskView", "owner", planned, ("due_at", "lt", moment)),
        "today": _PerMember("TaskView", "owner", planned, ("due_at", "gt", moment),
                            ("due_at", "lt", tomorrow)),
        "done_today": _PerMember("TaskView", "done_by", done,
                                 ("done_at", "eq", today.isoformat())),
        "done_week": _PerMember(
            "TaskView", "done_by", done,
            ("done_at", "gt", (day.week_start - timedelta(days=1)).isoformat()),
            ("done_at", "lt", tomorrow)),
        "without_next_task": _per_member_page("QueueView.index"),
        "inbox": _per_member_page("InboxView.index"),
        "past_close": _PerMember("DealView", "owner",
                                 ("expected_close_date", "lt", today.isoformat()),
                                 ("stage", "nrel_o_m", _closed_stage_ids(session))),
    }
    return {member.user_id: {name: link(member.user_id) for name, link in figures.items()}
            for member in [*day.members, day.total]}
