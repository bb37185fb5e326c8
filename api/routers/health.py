"""Liveness and database reachability; the one endpoint open to anonymous callers."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep
from api.schemas.common import ResponseModel
from infra.db import ping

router = APIRouter(tags=["health"])


class Health(ResponseModel):
    status: str


@router.get("/health")
def health(session: SessionDep) -> Health:
    """Public: answers when the process is up and the database answers a query."""
    ping(session)
    return Health(status="ok")
