"""Shared schema pieces: the strict base model and bounded text and id types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from orders import fields as order_fields

MAX_ID = 2_147_483_647


class RequestModel(BaseModel):
    """Unknown fields, NaN and infinities are refused rather than ignored."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _checked(problem: Callable[[str], str | None]) -> AfterValidator:
    """A pydantic validator from one of the shared field checks (a reason, or None when fine)."""

    def check(value: str) -> str:
        reason = problem(value)
        if reason is not None:
            raise ValueError(reason)
        return value

    return AfterValidator(check)


_no_control = _checked(lambda value: order_fields.text_problem(value, max_chars=10_000))
_phone = _checked(order_fields.phone_problem)
_email = _checked(order_fields.email_problem)
_handling = _checked(order_fields.handling_problem)
_sku = _checked(order_fields.sku_problem)


def _bounded(max_chars: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_chars)


Name = Annotated[str, _bounded(order_fields.MAX_NAME_CHARS), _no_control]
Address = Annotated[str, _bounded(order_fields.MAX_ADDRESS_CHARS), _no_control]
Notes = Annotated[str, _bounded(order_fields.MAX_NOTES_CHARS), _no_control]
Reference = Annotated[str, _bounded(order_fields.MAX_REFERENCE_CHARS), _no_control]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
]
Phone = Annotated[str, _bounded(order_fields.MAX_PHONE_CHARS), _phone]
Email = Annotated[str, _bounded(order_fields.MAX_EMAIL_CHARS), _email]
Skill = Annotated[str, StringConstraints(strip_whitespace=True), _handling]
Sku = Annotated[str, _bounded(order_fields.MAX_SKU_CHARS), _sku]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Lng = Annotated[float, Field(ge=-180, le=180)]
Cents = Annotated[int, Field(ge=0, le=100_000_000)]


class FieldError(ResponseModel):
    field: str
    reason: str
    row: int | None = None


class Problem(ResponseModel):
    """An RFC 9457 problem; the ids involved in a refusal appear as extra members."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[FieldError] | None = None
