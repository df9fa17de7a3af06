"""Append-only records: evidence is written once and never changed (DESIGN.md §Security).

`save()` on an existing row, `delete()`, and queryset `update()` / `delete()` raise.
Only a database administrator can still alter rows, and the hashes stored on the
records let anyone detect it.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an evidence record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} est en ajout seul : modification interdite.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model.__name__} est en ajout seul : suppression interdite.")

    # Django's bulk paths that would bypass save().
    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AppendOnlyError(f"{self.model.__name__} est en ajout seul : modification interdite.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} est en ajout seul : modification interdite.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} est en ajout seul : suppression interdite.")
