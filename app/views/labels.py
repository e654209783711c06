"""The field labels of the screens (kept in app.labels, shared with export and import)."""

from app.labels import LABELS

__all__ = ["LABELS"]
