"""What the CRM keeps about a user beyond FAB's account: language, calendar secret, sessions."""

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship


class UserProfile(Model):
    __tablename__ = "user_profile"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    # The secret part of the personal calendar feed URL; regenerated on request.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The language the user chose last (ru / en), remembered across logins.
    locale: Mapped[str | None] = mapped_column(String(8))
    # Stamped into every session cookie and token; raising it (logout, new password,
    # deactivation) ends them all, whichever process or host issued them.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False,
                                                 server_default=text("0"), default=0)

    # Whether new leads of the inbox come to this manager in turn (the admin switches it).
    takes_leads: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                              server_default=true(), default=True)

    user = relationship("User", lazy="joined")
