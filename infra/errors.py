"""Domain error kinds: every refusal a service raises subclasses one of these.

Each concrete error has a stable `code`, a human `detail` naming the object, and the ids
involved; `api/errors.py` maps the kinds to HTTP statuses in one table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

IdValue = int | str | None


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One bad input: `field` is a dotted path (or a CSV column); `row` is a CSV line number."""

    field: str
    reason: str
    row: int | None = None


class DomainError(Exception):
    """Base of all refusals; subclasses set `code` and `title`."""

    code: ClassVar[str] = "domain_error"
    title: ClassVar[str] = "Request refused"
    # False when the request path holds a secret (a tracking code) the body must not repeat.
    instance_in_body: ClassVar[bool] = True

    def __init__(self, detail: str, **ids: IdValue) -> None:
        super().__init__(detail)
        self.detail = detail
        self.ids: Mapping[str, IdValue] = ids


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict with the current state"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed"


class Unavailable(DomainError):
    """An outside service the request depends on (e.g. the geocoder) did not answer."""

    code = "service_unavailable"
    title = "A service this request needs is unavailable"


class Invalid(DomainError):
    """The input breaks a rule; `problems` lists every offending field."""

    code = "invalid_input"
    title = "Invalid input"

    def __init__(self, detail: str, problems: Sequence[FieldProblem] = (), **ids: IdValue) -> None:
        super().__init__(detail, **ids)
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
