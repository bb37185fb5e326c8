"""Limits and checks of single order fields, shared by the JSON schemas and the CSV reader.

Each check returns None when the value is acceptable, else the reason it is not.
"""

from __future__ import annotations

import re

MAX_NAME_CHARS = 200
MAX_PHONE_CHARS = 32
MAX_EMAIL_CHARS = 254
MAX_ADDRESS_CHARS = 500
MAX_NOTES_CHARS = 1000
MAX_REFERENCE_CHARS = 64
MAX_SKU_CHARS = 64

MAX_WEIGHT_KG = 1000.0
MAX_VOLUME_L = 5000.0
MAX_PARCEL_COUNT = 999
MAX_PARCEL_GROUPS = 50
MAX_LINES = 200
MAX_QUANTITY = 100_000
MAX_WINDOWS = 4
MAX_SERVICE_S = 4 * 3600
DEFAULT_SERVICE_S = 300
MAX_PRIORITY = 9
MAX_HANDLING = 8

_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]{2,31}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_HANDLING = re.compile(r"[a-z][a-z0-9_]{0,31}")
_SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def text_problem(value: str, max_chars: int) -> str | None:
    if not value.strip():
        return "must not be blank"
    if len(value) > max_chars:
        return f"must have at most {max_chars} characters"
    if any(ch == "\x00" or "\ud800" <= ch <= "\udfff" for ch in value):
        return "contains a NUL or an unpaired surrogate character"
    return None


def phone_problem(value: str) -> str | None:
    if _PHONE.fullmatch(value) is None:
        return "must be a phone number: digits, spaces and ()./- with an optional leading +"
    return None


def email_problem(value: str) -> str | None:
    if len(value) > MAX_EMAIL_CHARS or _EMAIL.fullmatch(value) is None:
        return "must be an e-mail address like name@example.org"
    return None


def handling_problem(value: str) -> str | None:
    if _HANDLING.fullmatch(value) is None:
        return "must be a lowercase word such as 'chilled' (a-z, 0-9, _; at most 32 characters)"
    return None


def sku_problem(value: str) -> str | None:
    if len(value) > MAX_SKU_CHARS or _SKU.fullmatch(value) is None:
        return f"must be letters, digits and ._/- (at most {MAX_SKU_CHARS} characters)"
    return None


def kg_to_g(kg: float) -> int:
    return round(kg * 1000)


def litres_to_cm3(litres: float) -> int:
    return round(litres * 1000)
