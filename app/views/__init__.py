"""One place that registers every screen of the CRM with its menu."""

from flask_babel import lazy_gettext as _l

from app import formatting


def register_views(appbuilder) -> None:
    """Add every view to the app, with stable menu names and translated labels."""
    _register_inbox(appbuilder)
    _register_clients(appbuilder)
    _register_sales(appbuilder)
    _register_reports(appbuilder)
    _register_planning(appbuilder)
    _register_team(appbuilder)
    _register_archive(appbuilder)
    _register_administration(appbuilder)
    _register_calendar(appbuilder)
    _register_import(appbuilder)
    _register_lookup(appbuilder)
    _register_request_checks(appbuilder)
    _register_menu_counters(appbuilder)
    _register_assets(appbuilder)
    _register_template_filters(appbuilder)


def _register_inbox(appbuilder) -> None:
    from app.views.inbox import InboxView

    # In the Clients menu; the menu bar's labelled counter "Inbox N" leads to it too
    # (a top-level item of its own would push the admin's menu bar onto two lines).
    appbuilder.add_view(
        InboxView, "Inbox", label=_l("Inbox"), icon="fa-inbox", category="Clients",
        category_label=_l("Clients"), category_icon="fa-users",
    )


def _register_clients(appbuilder) -> None:
    from app.views.company import CompanyView
    from app.views.contact import ContactView
    from app.views.first_call import FirstCallView

    appbuilder.add_view(
        CompanyView, "Companies", label=_l("Companies"), icon="fa-building",
        category="Clients", category_label=_l("Clients"), category_icon="fa-users",
    )
    appbuilder.add_view(
        ContactView, "Contacts", label=_l("Contacts"), icon="fa-address-book",
        category="Clients",
    )
    appbuilder.add_view(
        FirstCallView, "New client from a call", label=_l("New client from a call"),
        icon="fa-phone-volume", category="Clients",
    )


def _register_merge(appbuilder) -> None:
    from app.views.duplicates import DuplicatesView
    from app.views.merge import MergeView

    appbuilder.add_view_no_menu(MergeView)
    # The head's report of pairs that look like one client (config.FAB_ROLES).
    appbuilder.add_view(
        DuplicatesView, "Duplicates", label=_l("Duplicates"), icon="fa-clone",
        category="Team",
    )


def _register_sales(appbuilder) -> None:
    from app.views.deal import DealView
    from app.views.queue import QueueView
    from app.views.task import TaskView

    appbuilder.add_view(
        DealView, "Deals", label=_l("Deals"), icon="fa-handshake", category="Sales",
        category_label=_l("Sales"), category_icon="fa-chart-line",
    )
    appbuilder.add_view(
        TaskView, "Tasks", label=_l("Tasks"), icon="fa-list-check", category="Sales",
    )
    appbuilder.add_view(
        QueueView, "Queue", label=_l("Without a next task"), icon="fa-triangle-exclamation",
        category="Sales",
    )


def _register_reports(appbuilder) -> None:
    from app.views.board import PipelineView
    from app.views.reports import (
        FunnelReportView,
        NewClientsReportView,
        NoNextTaskReportView,
        SpeedToLeadReportView,
        TaskReportView,
        WonLostReportView,
    )

    appbuilder.add_view(
        PipelineView, "Pipeline", label=_l("Deal board"), icon="fa-table-columns",
        category="Sales",
    )
    reports = (
        (FunnelReportView, "Sales funnel", _l("Sales funnel"), "fa-filter"),
        (WonLostReportView, "Won and lost", _l("Won and lost deals"), "fa-scale-balanced"),
        (TaskReportView, "Tasks by manager", _l("Tasks by manager"), "fa-list-check"),
        (NoNextTaskReportView, "No next task by manager", _l("Without a next task, by manager"),
         "fa-triangle-exclamation"),
        (NewClientsReportView, "New clients", _l("New clients"), "fa-user-plus"),
        (SpeedToLeadReportView, "Speed to lead", _l("Speed to lead"), "fa-stopwatch"),
    )
    for view, name, label, icon in reports:
        appbuilder.add_view(
            view, name, label=label, icon=icon, category="Reports",
            category_label=_l("Reports"), category_icon="fa-chart-column",
        )


def _register_planning(appbuilder) -> None:
    from app.models.mixins import local_now
    from app.services.queries.cadence import is_off_cadence
    from app.views.cadence import OffCadenceView
    from app.views.forecast import ForecastView
    from app.views.plan import PlanView

    appbuilder.add_view(
        OffCadenceView, "Off cadence", label=_l("Off cadence"), icon="fa-hourglass-half",
        category="Sales",
    )
    appbuilder.add_view(
        PlanView, "Sales plan", label=_l("Sales plan"), icon="fa-bullseye", category="Reports",
    )
    appbuilder.add_view(
        ForecastView, "Forecast", label=_l("Forecast"), icon="fa-chart-area",
        category="Reports",
    )
    appbuilder.app.context_processor(_my_plan_block)
    appbuilder.app.add_template_global(is_off_cadence, "crm_off_cadence")
    appbuilder.app.add_template_global(lambda: local_now().date(), "crm_today")
    appbuilder.app.context_processor(_leads_waiting_block)


def _my_plan_block() -> dict:
    from app.views.plan import my_plan

    # My day's block calls it; other pages never do, so it costs them nothing.
    return {"crm_my_plan": my_plan}


def _leads_waiting_block() -> dict:
    from app.views.leads_waiting import leads_waiting

    # The head's My day calls it (crm/leads_waiting.html); other pages never do.
    return {"crm_leads_waiting": leads_waiting}


def _register_administration(appbuilder) -> None:
    from app.views.admin_access import AccessRightsView
    from app.views.stage import StageView
    from app.views.website_form import WebsiteFormView

    # FAB's "Security" menu (seven technical items) gives way to one Administration menu:
    # users, stages, and the permission screens behind a single "Access rights" page.
    appbuilder.menu.menu[:] = [item for item in appbuilder.menu.menu if item.name != "Security"]
    users = appbuilder.sm.user_view
    appbuilder.add_link(
        "Users", href=f"{users.endpoint}.list", label=_l("Users"), icon="fa-user",
        category="Administration", category_label=_l("Administration"),
        category_icon="fa-screwdriver-wrench",
    )
    appbuilder.add_view(
        StageView, "Stages", label=_l("Pipeline stages"), icon="fa-bars-staggered",
        category="Administration",
    )
    appbuilder.add_view(
        WebsiteFormView, "Website form", label=_l("Website form"), icon="fa-code",
        category="Administration",
    )
    appbuilder.add_view(
        AccessRightsView, "Access rights", label=_l("Access rights"), icon="fa-key",
        category="Administration",
    )


def _register_calendar(appbuilder) -> None:
    from app.views.calendar import CalendarView

    # Reached from My day; the feed itself is public behind its secret token.
    appbuilder.add_view_no_menu(CalendarView)


def _register_import(appbuilder) -> None:
    from app.views.import_view import ImportView

    appbuilder.add_view(
        ImportView, "Import", label=_l("Import"), icon="fa-file-import", category="Clients",
    )


def _register_lookup(appbuilder) -> None:
    from app.views.lookup import LookupView

    # The search behind the company / contact / deal selects of the forms.
    appbuilder.add_view_no_menu(LookupView)
    from app.views.search import SearchView

    # The results page of the menu bar's search box.
    appbuilder.add_view_no_menu(SearchView)


def _register_team(appbuilder) -> None:
    from app.views.reassignment import ReassignmentView, ReassignView

    appbuilder.add_view(
        ReassignView, "Reassign clients", label=_l("Reassign clients"), icon="fa-people-arrows",
        category="Team", category_label=_l("Team"), category_icon="fa-user-group",
    )
    appbuilder.add_view(
        ReassignmentView, "Reassignments", label=_l("Reassignments"), icon="fa-clock-rotate-left",
        category="Team",
    )


def _register_archive(appbuilder) -> None:
    from app.views.archive import ArchiveView

    # Head and Admin only (config.FAB_ROLES); deleting for good is Admin's alone.
    appbuilder.add_view(
        ArchiveView, "Archive", label=_l("Archive"), icon="fa-box-archive", category="Team",
    )
    _register_merge(appbuilder)


def _register_request_checks(appbuilder) -> None:
    from app.views.arguments import clean_list_arguments
    from app.views.counters import forget_queue_count_on_change
    from app.views.text_guard import refuse_unstorable_input

    # In this order, after the first hooks (app/first_hooks.py) and those of AppBuilder.
    for check in (forget_queue_count_on_change, refuse_unstorable_input, clean_list_arguments):
        appbuilder.app.before_request(check)


def _register_menu_counters(appbuilder) -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.views.counters import menu_counters
    from app.views.menu import menu_entries
    from app.views.render_cache import forget_on_access_change

    appbuilder.app.context_processor(
        lambda: {"crm_counters": menu_counters, "crm_menu_entries": menu_entries})
    if not event.contains(Session, "after_flush", forget_on_access_change):
        event.listen(Session, "after_flush", forget_on_access_change)


def _register_assets(appbuilder) -> None:
    from app.views.assets import register_assets

    register_assets(appbuilder.app)


def _register_template_filters(appbuilder) -> None:
    filters = {
        "crm_day_month": formatting.day_month_text,
        "crm_datetime": formatting.datetime_text,
        "crm_date": formatting.date_text,
        "crm_money": formatting.money_text,
        "crm_number": formatting.number_text,
    }
    for name, function in filters.items():
        appbuilder.app.add_template_filter(function, name)
