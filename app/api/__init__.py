"""The REST API under /api/v1/: companies, contacts, deals, tasks and the pipeline stages."""


def register_apis(appbuilder) -> None:
    """Add every resource of the API to the app (JWT login is FAB's /api/v1/security)."""
    from app.api.company import CompanyApi
    from app.api.contact import ContactApi
    from app.api.deal import DealApi
    from app.api.first_call import FirstCallApi
    from app.api.inbox import InboxApi
    from app.api.intake import IntakeApi
    from app.api.merge import MergeApi
    from app.api.search import SearchApi
    from app.api.stage import StageApi
    from app.api.task import TaskApi

    for api in (CompanyApi, ContactApi, DealApi, TaskApi, StageApi):
        appbuilder.add_api(api)
    for api in (FirstCallApi, SearchApi, InboxApi, IntakeApi, MergeApi):
        appbuilder.add_api(api)
