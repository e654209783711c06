"""The hooks that must run before every other one do, in the order app/first_hooks.py says."""

from app.logging_setup import start_request
from app.views.import_view import cap_upload
from app.views.intake_form import cap_intake_form
from app.views.locale import forget_previous_locale


def test_the_first_hooks_run_first_in_their_stated_order(app):
    hooks = app.before_request_funcs[None]
    first = [start_request, forget_previous_locale, cap_upload, cap_intake_form,
             app.appbuilder.sm.before_request]
    assert hooks[:5] == first
    # Each once: FAB's own g.user hook may come again later, ours are not repeated.
    assert [hook for hook in hooks if hook in first[:4]] == first[:4]
    assert len(hooks) > 5, "AppBuilder's hooks come after them"
