"""The before_request hooks that run ahead of every other, in one stated order.

Flask runs before_request hooks in the order they were added, and AppBuilder adds its
own (the login limiter, FAB's user) while it starts. These must come before all of them:

1. `start_request`: the request id, so that even a refused request is logged with it;
2. `forget_previous_locale`: each request chooses its language anew, before any text;
3. `cap_upload`: the import's size limit, before the CSRF check reads the whole body;
4. `cap_intake_form`: the public website form's small limit, for the same reason;
5. the security manager's `before_request`: `g.user` set before the limiter may refuse
   (its 429 page draws the menu of the logged-in user).
"""

from flask import Flask


def put_first(app: Flask, hooks: list) -> None:
    """Put `hooks` ahead of every other before_request hook of the app, in this order."""
    registered = app.before_request_funcs.setdefault(None, [])
    registered[:] = [*hooks, *(hook for hook in registered if hook not in hooks)]


def install_first_hooks(app: Flask) -> None:
    """Run the hooks listed in this module's notes first, in that order."""
    from app.logging_setup import start_request
    from app.views.import_view import cap_upload
    from app.views.intake_form import cap_intake_form
    from app.views.locale import forget_previous_locale

    put_first(app, [start_request, forget_previous_locale, cap_upload, cap_intake_form,
                    app.appbuilder.sm.before_request])
