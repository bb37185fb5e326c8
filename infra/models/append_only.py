"""Insert-only mapped classes: logs whose rows are never changed or deleted once written."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import event

_Mapped = TypeVar("_Mapped", bound=type[Any])


class AppendOnlyViolation(RuntimeError):
    """A programming error: code tried to change or delete a row of an insert-only log."""


def insert_only(cls: _Mapped) -> _Mapped:
    """Refuses updates and deletes of `cls` rows made through the ORM."""

    def refuse(_mapper: Any, _connection: Any, target: Any) -> None:
        raise AppendOnlyViolation(
            f"{type(target).__name__} rows are insert-only; write a new row instead"
        )

    event.listen(cls, "before_update", refuse)
    event.listen(cls, "before_delete", refuse)
    return cls
