"""Request dependencies: settings, the per-request transaction, the clock, the geocoder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from api.schemas.common import MAX_ID
from infra.clock import Clock
from infra.geocoding import Geocoder
from infra.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session


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
