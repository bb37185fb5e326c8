"""Request dependencies: settings, the per-request transaction, the clock, the geocoder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

import anyio
from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from api.schemas.common import MAX_ID
from infra.clock import Clock
from infra.geocoding import Geocoder
from infra.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back.

    Async so that opening the session costs no hand-over to a worker thread (nothing is asked
    of the database until the handler's first statement); ending it talks to the database, in
    a worker thread.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        session.begin()
        yield session
    except BaseException:
        # Shielded: a request cancelled (its client gone) still gives its connection back.
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_end, session, commit=False)
        raise
    await run_in_threadpool(_end, session, commit=True)


def _end(session: Session, *, commit: bool) -> None:
    """Commits (or rolls back) and closes: as `with session, session.begin()` ends."""
    with session:
        if commit:
            session.commit()
        else:
            session.rollback()


async def get_now(request: Request) -> datetime:
    """The application's clock: the real one, or the settable clock of a simulated day."""
    clock: Clock = request.app.state.clock
    return clock.now()


async def get_geocoder(request: Request) -> Geocoder | None:
    geocoder: Geocoder | None = request.app.state.geocoder
    return geocoder


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the transaction ends (commits) before the response is sent, so a client
# never sees a success whose commit then fails.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
NowDep = Annotated[datetime, Depends(get_now)]
GeocoderDep = Annotated[Geocoder | None, Depends(get_geocoder)]
# Path ids are bounded so that no input can overflow a database integer.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
