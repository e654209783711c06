"""Report screens: each a chart drawn on the server as inline SVG, with its numbers as a table.

Nothing loads from another host and no script runs: pygal renders the SVG here without its
tooltip library (`js=[]`) and without its inline config script (removed by an XML filter),
and escapes every label, so a client or user name stays text.
"""

import secrets
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial

import pygal
from flask import g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from pygal.style import Style

from app.extensions import db
from app.formatting import (
    day_month_text,
    minutes_text,
    number_text,
    parse_month_text,
    percent_text,
    reader_language,
)
from app.models.inbox_item import InboxSource, inbox_label
from app.models.mixins import local_now
from app.security_headers import csp_nonce
from app.services.queries import reports, speed_to_lead
from app.services.rules.validation import EARLIEST, LATEST
from app.services.rules.visibility import sees_everything
from app.views.arguments import small_int

DEFAULT_MONTHS = 12
DEFAULT_WEEKS = 8
CHART_STYLE = Style(
    font_family='"Helvetica Neue", Helvetica, Arial, sans-serif',
    background="transparent",
    plot_background="#ffffff",
    foreground="#333333",
    foreground_strong="#333333",
    foreground_subtle="#cccccc",
    colors=(
        "#337ab7",
        "#d9534f",
        "#5cb85c",
        "#f0ad4e",
        "#5bc0de",
        "#777777",
        "#8e44ad",
        "#16a085",
        "#c0392b",
        "#2c3e50",
    ),
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=11,
    tooltip_font_size=12,
    no_data_font_size=20,
)


# --- request arguments -----------------------------------------------------------------


def manager_choice(user) -> int | None:
    """Return the manager chosen with `?manager=` (Head and Admin only), or None for all."""
    if not sees_everything(user):
        return None
    return small_int(request.values.get("manager"))


def _bounded_int(name: str, default: int, high: int) -> int:
    value = small_int(request.args.get(name))
    return min(max(value, 1), high) if value is not None else default


def _month_arg(name: str) -> date | None:
    """Read a month typed the user's way (12.2026, 12/2026) or ISO; None when absent or bad.

    A month outside the years the CRM accepts is moved to the nearest one it does.
    """
    try:
        day = parse_month_text(request.args.get(name))
    except ValueError:
        return None
    if day is None:
        return None
    return min(max(day, EARLIEST.date()), LATEST.date().replace(day=1))


def period_choice(today: date) -> reports.Period:
    """Return the period asked for: `?from=&to=` months, or the last `?months=` (12)."""
    first, last = _month_arg("from"), _month_arg("to")
    if first is not None or last is not None:
        last = last or today
        first = first or reports.add_months(last, 1 - DEFAULT_MONTHS)
        return reports.Period.between(first, last)
    return reports.Period.last_months(
        today, _bounded_int("months", DEFAULT_MONTHS, reports.MAX_MONTHS)
    )


@dataclass
class Filters:
    """What the report is asked for: one manager (or all), a period, a number of weeks."""

    manager_id: int | None
    period: reports.Period
    weeks: int


# --- formatting and charts -------------------------------------------------------------


def month_text(month: date) -> str:
    """ноябрь 2026 in Russian, November 2026 in English."""
    return format_date(month, "LLLL yyyy")


def month_short(month: date) -> str:
    """нояб. 2026 in Russian, Nov 2026 in English: the chart's axis."""
    return format_date(month, "LLL yyyy")


def _ticks(highest: int) -> list[int]:
    """Return whole-number axis marks from 0 to at least `highest`, about 6 of them."""
    steps = (factor * 10**power for power in range(15) for factor in (1, 2, 5))
    step = next(step for step in steps if highest / step <= 6)
    top = max(-(-highest // step) * step, step)
    return list(range(0, top + 1, step))


def _without_scripts(root):
    """Drop the script pygal writes into every chart (its config for the tooltips).

    `js=[]` removes the tooltip library, but the inline config script stays; the charts
    need no script at all, and a page under a strict CSP would refuse it.
    """
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


# The chart is drawn once per set of figures (see `bar_chart`); each page then puts its
# own nonce where this mark stands.
_NONCE_MARK = f"crm-nonce-{secrets.token_hex(8)}"
# Charts kept drawn, by their figures and language.
CHARTS_KEPT = 128


def _style_with_nonce_mark(root):
    """Mark the chart's own <style> for the page's Content-Security-Policy nonce."""
    for element in root.iter():
        if str(element.tag).rsplit("}", 1)[-1] == "style":
            element.set("nonce", _NONCE_MARK)
    return root


def bar_chart(
    labels: list[str],
    series: list[tuple[str, list[int]]],
    *,
    stacked: bool = False,
    horizontal: bool = False,
    height: int = 360,
) -> Markup:
    """Render counts as an SVG bar chart, one colour per series; escapes every label.

    Horizontal charts list the labels top down, in the order of the table beside them.
    Drawing is two thirds of a report's time: a chart is drawn once for given figures in
    a language and kept (CHARTS_KEPT of them); new figures draw a new one.
    """
    drawn = _drawn_chart(tuple(str(label) for label in labels),
                         tuple((str(name), tuple(numbers)) for name, numbers in series),
                         stacked, horizontal, height, str(get_locale()))
    return Markup(drawn.replace(_NONCE_MARK, csp_nonce()))


@lru_cache(maxsize=CHARTS_KEPT)
def _drawn_chart(labels: tuple, series: tuple, stacked: bool, horizontal: bool, height: int,
                 _language: str) -> str:
    kinds = {
        (False, False): pygal.Bar,
        (True, False): pygal.StackedBar,
        (False, True): pygal.HorizontalBar,
        (True, True): pygal.HorizontalStackedBar,
    }
    if horizontal:  # pygal draws the first label at the bottom
        labels = labels[::-1]
        series = tuple((name, numbers[::-1]) for name, numbers in series)
    columns = [
        list(column) for column in zip(*(numbers for _name, numbers in series), strict=False)
    ]
    highest = max((sum(c) if stacked else max(c) for c in columns if c), default=0)
    chart = kinds[(stacked, horizontal)](
        style=CHART_STYLE,
        js=[],
        disable_xml_declaration=True,
        width=900,
        height=height,
        legend_at_bottom=True,
        show_legend=len(series) > 1,
        # Values on the bars while they stay readable; the table has them all anyway.
        print_values=len(series) <= 3,
        print_zeroes=False,
        truncate_label=-1,
        truncate_legend=-1,
        x_label_rotation=30 if len(labels) > 8 and not horizontal else 0,
        no_data_text=str(_l("No data")),
        value_formatter=number_text,
        formatter=number_text,
    )
    chart.add_xml_filter(_without_scripts)
    chart.add_xml_filter(_style_with_nonce_mark)
    chart.x_labels = list(labels)
    if highest:
        chart.config.y_labels = _ticks(highest)
        chart.config.range = (0, _ticks(highest)[-1])
        for name, numbers in series:
            chart.add(name, list(numbers))
    else:  # a short box saying "no data", without an empty grid
        chart.config.height = 120
        chart.config.show_y_labels = chart.config.show_y_guides = False
        chart.config.show_x_labels = chart.config.show_x_guides = False
    return chart.render(is_unicode=True)


# --- the screens -----------------------------------------------------------------------


class ReportView(BaseView):
    """A report screen: the filters, then the chart and its table, built by `build`."""

    default_view = "index"
    template = "crm/report_base.html"
    report_title = _l("Reports")
    explanation = ""
    uses_period = False
    uses_weeks = False

    @expose("/")
    @has_access
    def index(self):
        """Show the report for the chosen manager (Head and Admin) and period."""
        user = g.user
        today = local_now().date()
        filters = Filters(
            manager_id=manager_choice(user),
            period=period_choice(today),
            weeks=_bounded_int("weeks", DEFAULT_WEEKS, reports.MAX_WEEKS),
        )
        managers = reports.team(db.session) if sees_everything(user) else None
        language = reader_language()
        return self.render_template(
            self.template,
            title=self.report_title,
            explanation=self.explanation,
            filters=filters,
            managers=managers,
            uses_period=self.uses_period,
            uses_weeks=self.uses_weeks,
            # Bound to the request's language once: a report writes hundreds of numbers.
            number=partial(number_text, language=language),
            percent=partial(percent_text, language=language),
            month_text=month_text,
            day_month=day_month_text,
            **self.build(user, filters),
        )

    def build(self, user, filters: Filters) -> dict:
        """Return the figures and charts of the report for the template."""
        raise NotImplementedError


class FunnelReportView(ReportView):
    route_base = "/reports/funnel"
    template = "crm/report_funnel.html"
    report_title = _l("Sales funnel")
    explanation = _l(
        "Open deals at each stage of the pipeline. Conversion: the deals at this stage or "
        "further along, as a share of the deals at the previous stage or further along."
    )

    def build(self, user, filters: Filters) -> dict:
        """Count open deals per stage, with amounts and conversion."""
        rows = reports.funnel(db.session, user, filters.manager_id)
        chart = bar_chart(
            [row.stage.label for row in rows],
            [(str(_l("Deals")), [row.count for row in rows])],
        )
        totals: reports.Amounts = {}
        for row in rows:
            for currency, amount in row.amounts.items():
                totals[currency] = totals.get(currency, 0) + amount
        return {
            "rows": rows,
            "chart": chart,
            "total": sum(row.count for row in rows),
            "total_amounts": totals,
        }


class WonLostReportView(ReportView):
    route_base = "/reports/won-lost"
    template = "crm/report_won_lost.html"
    report_title = _l("Won and lost deals")
    explanation = _l("Deals closed in each month, by the date they were closed.")
    uses_period = True

    def build(self, user, filters: Filters) -> dict:
        """Count and sum the deals won and lost per month, with the top lost reasons."""
        data = reports.won_lost(db.session, user, filters.period, filters.manager_id)
        chart = bar_chart(
            [month_short(row.month) for row in data.months],
            [
                (str(_l("Won")), [row.won for row in data.months]),
                (str(_l("Lost")), [row.lost for row in data.months]),
            ],
        )
        reasons_chart = bar_chart(
            [reason or str(_l("not specified")) for reason, _count in data.reasons],
            [(str(_l("Lost deals")), [count for _reason, count in data.reasons])],
            horizontal=True,
            height=max(160, 40 * len(data.reasons) + 60),
        )
        return {"data": data, "chart": chart, "reasons_chart": reasons_chart}


class TaskReportView(ReportView):
    route_base = "/reports/tasks"
    template = "crm/report_tasks.html"
    report_title = _l("Tasks by manager")
    explanation = _l(
        "Tasks done in each week (weeks start on Monday), and planned tasks whose time has passed."
    )
    uses_weeks = True

    def build(self, user, filters: Filters) -> dict:
        """Count the tasks done per manager per week, and overdue tasks per manager."""
        data = reports.task_activity(
            db.session, user, local_now(), filters.weeks, filters.manager_id
        )
        chart = bar_chart(
            [day_month_text(monday) for monday in data.weeks],
            [(row.name, row.done) for row in data.managers],
        )
        overdue_chart = bar_chart(
            [row.name for row in data.managers],
            [(str(_l("Overdue tasks")), [row.overdue for row in data.managers])],
            horizontal=True,
            height=max(160, 40 * len(data.managers) + 60),
        )
        return {"data": data, "chart": chart, "overdue_chart": overdue_chart}


class NoNextTaskReportView(ReportView):
    route_base = "/reports/no-next-task"
    template = "crm/report_no_next_task.html"
    report_title = _l("Without a next task, by manager")
    explanation = _l("Live clients and open deals that have no planned task, per manager.")

    def build(self, user, filters: Filters) -> dict:
        """Count the live clients and open deals without a planned task, per manager."""
        rows = reports.without_next_task(db.session, user, filters.manager_id)
        chart = bar_chart(
            [row.name for row in rows],
            [
                (str(_l("Companies")), [row.companies for row in rows]),
                (str(_l("Private clients")), [row.private_clients for row in rows]),
                (str(_l("Open deals")), [row.deals for row in rows]),
            ],
            stacked=True,
        )
        total = reports.ManagerGaps(
            0,
            "",
            sum(r.companies for r in rows),
            sum(r.private_clients for r in rows),
            sum(r.deals for r in rows),
        )
        return {"rows": rows, "chart": chart, "total": total}


class NewClientsReportView(ReportView):
    route_base = "/reports/new-clients"
    template = "crm/report_new_clients.html"
    report_title = _l("New clients")
    explanation = _l("Companies and private clients added in each month, by source.")
    uses_period = True

    def build(self, user, filters: Filters) -> dict:
        """Count the clients added per month and source."""
        data = reports.new_clients(db.session, user, filters.period, filters.manager_id)
        names = {source: source_label(source) for source in data.sources}
        chart = bar_chart(
            [month_short(row.month) for row in data.months],
            [
                (names[source], [row.by_source.get(source, 0) for row in data.months])
                for source in data.sources
            ],
            stacked=True,
        )
        return {"data": data, "chart": chart, "source_names": names}


def source_label(source: str | None) -> str:
    """Name a source column: the source itself, 'other sources' or 'not specified'."""
    if source is None:
        return str(_l("not specified"))
    if source == reports.OTHER_SOURCES:
        return str(_l("other sources"))
    return source


# What "answered within" each of speed_to_lead.BOUNDS reads as.
BOUND_LABELS = (_l("Within 15 minutes"), _l("Within an hour"), _l("Within a day"))


class SpeedToLeadReportView(ReportView):
    route_base = "/reports/speed-to-lead"
    template = "crm/report_speed_to_lead.html"
    report_title = _l("Speed to lead")
    explanation = _l(
        "Time from a lead's arrival (website form, call, e-mail) to the first done task on "
        "it, for the leads received in each week (weeks start on Monday). Shares are of the "
        "leads answered or still waiting; leads declined without an answer are counted apart."
    )
    uses_weeks = True

    def build(self, user, filters: Filters) -> dict:
        """Measure how soon leads were answered, per week, manager and source."""
        source = request.args.get("source")
        source = source if source in speed_to_lead.SOURCES else None
        data = speed_to_lead.speed_report(
            db.session, user, local_now(), filters.weeks, filters.manager_id, source
        )
        for monday, row in zip(data.weeks, data.by_week, strict=True):
            row.key, row.name = monday.isoformat(), day_month_text(monday)
        for row in data.by_source:
            row.name = inbox_label(InboxSource, row.key)
        chart = bar_chart(
            [row.name for row in data.by_week],
            [
                (str(label), [round(row.shares[index] or 0) for row in data.by_week])
                for index, label in enumerate(BOUND_LABELS)
            ],
        )
        return {
            "data": data,
            "chart": chart,
            "source": source,
            "sources": [(code, inbox_label(InboxSource, code)) for code in speed_to_lead.SOURCES],
            "bounds": BOUND_LABELS,
            "minutes": partial(minutes_text, language=reader_language()),
        }
