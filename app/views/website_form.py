"""Administration → Website form: the HTML a website pastes to send its leads to the inbox."""

from flask import current_app
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from app.views.intake_form import allowed_origins


def form_snippet(base_url: str) -> str:
    """Return a plain HTML form posting to this CRM's intake, with the hidden honeypot."""
    action = escape(base_url.rstrip("/") + "/intake/form")
    words = {key: escape(str(text)) for key, text in {
        "name": _l("Your name"), "company": _l("Company"), "phone": _l("Phone"),
        "email": _l("E-mail"), "message": _l("Message"), "send": _l("Send"),
        "honeypot": _l("Leave this field hidden and empty: robots fill it, people never "
                       "see it."),
    }.items()}
    return f"""<form method="post" action="{action}" accept-charset="utf-8">
  <input type="text" name="name" placeholder="{words['name']}" maxlength="255">
  <input type="text" name="company" placeholder="{words['company']}" maxlength="255">
  <input type="tel" name="phone" placeholder="{words['phone']}" maxlength="64">
  <input type="email" name="email" placeholder="{words['email']}" maxlength="255">
  <textarea name="message" placeholder="{words['message']}" maxlength="5000"></textarea>
  <input type="hidden" name="page" value="">
  <input type="hidden" name="utm_source" value="">
  <input type="hidden" name="utm_medium" value="">
  <input type="hidden" name="utm_campaign" value="">
  <!-- {words['honeypot']} -->
  <div style="position:absolute;left:-10000px" aria-hidden="true">
    <input type="text" name="website" tabindex="-1" autocomplete="off" value="">
  </div>
  <button type="submit">{words['send']}</button>
</form>"""


class WebsiteFormView(BaseView):
    route_base = "/website-form"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """Show the form to paste into the website, and what the CRM accepts."""
        config = current_app.config
        return self.render_template(
            "crm/website_form.html", title=_l("Website form"),
            snippet=form_snippet(config.get("CRM_BASE_URL") or ""),
            origins=sorted(allowed_origins(current_app)),
            limit=config.get("CRM_INTAKE_RATE_LIMIT"),
            minutes=config.get("CRM_LEAD_ANSWER_MINUTES"),
        )
