"""Every model, imported so that their tables join FAB's metadata (and Alembic sees them)."""

from flask_appbuilder.security.sqla.models import User

from app.models.client_created_month import ClientCreatedMonth
from app.models.company import Company
from app.models.contact import Contact
from app.models.deal import Deal
from app.models.deal_closed_month import DealClosedMonth
from app.models.deal_stage_month import DealStageMonth
from app.models.history import HistoryEntry
from app.models.inbox_item import InboxItem
from app.models.intake_turn import IntakeTurn
from app.models.key_holders import KeyHolders
from app.models.profile import UserProfile
from app.models.reassignment import Reassignment
from app.models.sales_plan import SalesPlan
from app.models.stage import Stage
from app.models.task import Task
from app.models.task_done_day import TaskDoneDay

__all__ = [
    "ClientCreatedMonth", "Company", "Contact", "Deal", "DealClosedMonth", "DealStageMonth",
    "HistoryEntry", "InboxItem", "IntakeTurn", "KeyHolders", "Reassignment", "SalesPlan",
    "Stage", "Task", "TaskDoneDay", "User", "UserProfile",
]
