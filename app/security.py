"""FAB's security manager with the CRM's rule on leaving users."""

from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView

from app.services.users import check_user_deletable


class CrmUserDBModelView(UserDBModelView):
    """FAB's user screen, refusing to delete a user who still owns records."""

    def pre_delete(self, item) -> None:
        """Refuse deleting an owner of records.

        :raise DomainError: when the user owns companies, contacts, deals or tasks.
        """
        check_user_deletable(self.datamodel.session, item)


class CrmSecurityManager(SecurityManager):
    userdbmodelview = CrmUserDBModelView
