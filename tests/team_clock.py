"""The team's time zone for a test run, chosen far from midnight so "today" stays today.

Tests plan tasks "later today" and "tomorrow" from the app's clock; a run that started at
23:30 in the team's zone would see today's tasks turn overdue under it. When the
environment names no zone, the run keeps Moscow while midnight there is hours away, and
otherwise takes the whole-hour offset where it is about noon. The browser is given the
same zone (tests/browser.py), as a team's browsers share their office's clock.
"""

import os
from datetime import UTC, datetime, timedelta

HOME_ZONE = "Europe/Moscow"
HOME_OFFSET_HOURS = 3
# Hours of the home zone's day a run may start in: a pass takes well under three hours.
SAFE_HOURS = range(3, 21)


def zone_far_from_midnight(now_utc: datetime) -> str:
    """Return Moscow when its day has hours left, else a fixed zone where it is about noon."""
    home_hour = (now_utc + timedelta(hours=HOME_OFFSET_HOURS)).hour
    if home_hour in SAFE_HOURS:
        return HOME_ZONE
    offset = (12 - now_utc.hour + 12) % 24 - 12  # -12 .. +11 hours from UTC
    # The Etc zones' signs are POSIX ones: Etc/GMT-5 is five hours ahead of UTC.
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


os.environ.setdefault("CRM_TIMEZONE", zone_far_from_midnight(datetime.now(UTC)))
TEAM_ZONE = os.environ["CRM_TIMEZONE"]
