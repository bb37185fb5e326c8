"""The demo day: reproducible from its seed, all but its tracking codes, which cannot be guessed."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.demo_day import REFERENCE_PREFIX, seed_demo
from infra.models import Order

ZONE = ZoneInfo("Europe/Tallinn")
DAY = date(2025, 3, 4)
# Tracking codes carry at least 80 random bits: 14 base64url characters or more.
MIN_BITS = 80
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Seeded:
    codes: dict[str, str]  # by reference
    details: dict[str, tuple[object, ...]]  # by reference: all the rest drawn from the seed


def _seed(session: Session) -> Seeded:
    """Seeds a small demo day inside a savepoint that is then rolled back, so the next call
    seeds the same day afresh."""
    with session.begin_nested() as seeding:
        seed_demo(session, day=DAY, zone=ZONE, order_count=30, vehicle_count=3)
        orders = session.scalars(select(Order).where(Order.reference.startswith(REFERENCE_PREFIX)))
        seeded = Seeded({}, {})
        for o in orders:
            assert o.reference is not None
            seeded.codes[o.reference] = o.tracking_code
            seeded.details[o.reference] = (
                o.recipient_name,
                o.recipient_phone,
                o.address,
                o.notes,
                o.received_at,
                o.lat,
                o.lng,
            )
        seeding.rollback()
    return seeded


def _bits(code: str) -> int:
    """The bits a base64url code of this length holds (a seeded code could have as many: that
    it differs from one seeding to the next is what shows they are random)."""
    assert BASE64URL.fullmatch(code), code
    return len(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))) * 8


def test_the_demo_days_tracking_codes_are_distinct_random_and_not_derived_from_the_seed(
    session,
):
    first, second = _seed(session), _seed(session)

    assert len(first.codes) == 30
    for seeded in (first, second):
        codes = list(seeded.codes.values())
        assert len(set(codes)) == len(codes)
        assert all(len(code) >= 14 and _bits(code) >= MIN_BITS for code in codes), codes
    # The same seed seeds the same day, but not the same codes: those come from `secrets`.
    assert first.details == second.details
    assert set(first.codes.values()).isdisjoint(second.codes.values())
