"""The customer's tracking page: reached by the order's unguessable code, no sign-in."""

from __future__ import annotations

from fastapi import APIRouter

PUBLIC_PATHS = frozenset({"/track/{code}", "/track/{code}/feedback"})

router = APIRouter(tags=["customer tracking"])
