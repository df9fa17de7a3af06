from delivery.models.history import HistoryEntry, HistoryKind
from delivery.models.pipeline import Delivery, StageDate
from delivery.models.scope import ChangeRequest, RuleWaiver

__all__ = ["ChangeRequest", "Delivery", "HistoryEntry", "HistoryKind", "RuleWaiver", "StageDate"]
