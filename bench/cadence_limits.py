"""The benchmark's open stages expect a touch every two weeks, as a head would set them.

The demo leaves every stage without a limit, so the off-cadence page had nothing to count
and answered at once. With two weeks, most of the demo's open deals are off cadence (their
last touches are spread over two years): the page's worst case.
"""

from sqlalchemy import select

from app.models import Stage

CADENCE_DAYS = 14


def set_cadence_limits(session, days: int = CADENCE_DAYS) -> int:
    """Give every open stage a limit of `days` between touches; return how many stages."""
    stages = [stage for stage in session.scalars(select(Stage)) if stage.is_open]
    for stage in stages:
        stage.max_days_between_touches = days
    session.commit()
    return len(stages)
