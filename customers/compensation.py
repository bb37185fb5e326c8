"""Compensation: breaches of the promise measured from stop events, issued once per rule and
order, told through the outbox and booked on the customer's ledger; dispatchers issue or void
by hand."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from customers.errors import CompensationAlreadyVoided, CompensationNotFound
from infra.models import (
    Compensation,
    CompensationKind,
    CompensationStatus,
    LedgerEntry,
    Order,
    StopEvent,
    StopEventKind,
)
from infra.settings import CompensationRule, ServiceSettings
from orders import service as orders
from orders import timeline
from tracking import notifications

_DONE = (StopEventKind.DELIVERED, StopEventKind.PICKUP_DONE)


@dataclass(frozen=True, slots=True)
class Award:
    kind: CompensationKind
    points: int | None = None
    amount_cents: int | None = None


def customer_key(order: Order) -> str:
    """Who the ledger books for: the recipient's e-mail, else phone digits, else the order."""
    if order.recipient_email:
        return order.recipient_email.strip().lower()
    if order.recipient_phone:
        return "tel:" + re.sub(r"\D", "", order.recipient_phone)
    return f"order:{order.tracking_code}"


def late_by(order: Order, done_at: datetime) -> timedelta | None:
    """How long after the end of its promised window the visit was done; None when it was in
    a window (or before one, or the order has no window)."""
    if not order.windows or any(w.starts_at <= done_at <= w.ends_at for w in order.windows):
        return None
    ended = [w.ends_at for w in order.windows if w.ends_at < done_at]
    return done_at - max(ended) if ended else None


def breach_of(rule: CompensationRule, order: Order, events: Sequence[StopEvent]) -> str | None:
    """What the events show of the rule's breach, in the customer's words; None if nothing."""
    if rule.breach == "late":
        done = next((e for e in events if e.kind in _DONE), None)
        late = late_by(order, done.occurred_at) if done else None
        if late is None or late <= timedelta(minutes=rule.late_by_min):
            return None
        return f"{round(late.total_seconds() / 60)} min late"
    failed = next(
        (
            e
            for e in events
            if e.kind is StopEventKind.FAILED and e.failure_reason in rule.failure_reasons
        ),
        None,
    )
    if failed is None or failed.failure_reason is None:
        return None
    return f"failed attempt: {failed.failure_reason.value.replace('_', ' ')}"


def evaluate_order(
    session: Session, order: Order, *, settings: ServiceSettings, now: datetime
) -> list[Compensation]:
    """Issues what the order's stop events earn under the rules and was not issued yet.

    Idempotent: one compensation per (order, rule), guarded by a unique constraint, so a
    replayed event or a second evaluation issues nothing new. An order with a failed attempt
    for an excluded reason (the customer's side) earns nothing.
    """
    events = list(
        session.scalars(
            select(StopEvent).where(StopEvent.order_id == order.id).order_by(StopEvent.id)
        )
    )
    if not events or any(e.failure_reason in settings.excluded_failure_reasons for e in events):
        return []
    issued_rules = set(
        session.scalars(select(Compensation.rule).where(Compensation.order_id == order.id))
    )
    issued = []
    for rule in settings.compensation_rules:
        if rule.name in issued_rules:
            continue
        why = breach_of(rule, order, events)
        if why is None:
            continue
        award = Award(rule.kind, rule.points, rule.amount_cents)
        compensation = _issue(session, order, award, why, rule=rule.name, by_id=None, now=now)
        if compensation is not None:
            issued.append(compensation)
    return issued


def issue_by_hand(
    session: Session, order_id: int, award: Award, *, reason: str, by_id: int, now: datetime
) -> Compensation:
    """A dispatcher's compensation, with a reason. Raises OrderNotFound."""
    order = orders.get_order(session, order_id)
    compensation = _issue(session, order, award, reason, rule=None, by_id=by_id, now=now)
    assert compensation is not None  # without a rule nothing can collide
    return compensation


def _issue(
    session: Session,
    order: Order,
    award: Award,
    reason: str,
    *,
    rule: str | None,
    by_id: int | None,
    now: datetime,
) -> Compensation | None:
    """The new compensation, or None when a concurrent evaluation issued it first."""
    key = customer_key(order)
    code = None
    if award.kind is CompensationKind.DISCOUNT_CODE:
        code = "SD-" + secrets.token_hex(5).upper()
    compensation = Compensation(
        order_id=order.id,
        customer_key=key,
        rule=rule,
        kind=award.kind,
        points=award.points if award.kind is CompensationKind.BONUS_POINTS else None,
        amount_cents=award.amount_cents if award.kind is CompensationKind.DISCOUNT_CODE else None,
        discount_code=code,
        reason=reason[:500],
        status=CompensationStatus.ISSUED,
        issued_by_id=by_id,
        issued_at=now,
    )
    try:
        with session.begin_nested():
            session.add(compensation)
    except IntegrityError:
        return None
    _book(session, compensation, sign=1, note=f"issued: {reason}", now=now)
    details = {
        "kind": compensation.kind.value,
        "points": compensation.points,
        "amount_cents": compensation.amount_cents,
        "discount_code": compensation.discount_code,
        "reason": compensation.reason,
    }
    timeline.record(
        session,
        order.id,
        timeline.COMPENSATION_ISSUED,
        {"compensation_id": compensation.id, "rule": rule, **details},
        at=now,
        actor_id=by_id,
    )
    notifications.notify_customer(
        session, order, notifications.COMPENSATION_ISSUED, now=now, details=details
    )
    return compensation


def _book(
    session: Session, compensation: Compensation, *, sign: int, note: str, now: datetime
) -> None:
    session.add(
        LedgerEntry(
            customer_key=compensation.customer_key,
            compensation_id=compensation.id,
            points=sign * (compensation.points or 0),
            amount_cents=sign * (compensation.amount_cents or 0),
            note=note[:500],
            booked_at=now,
        )
    )
    session.flush()


def get_compensation(session: Session, compensation_id: int) -> Compensation:
    """Raises CompensationNotFound."""
    found = session.get(Compensation, compensation_id)
    if found is None:
        raise CompensationNotFound(
            f"compensation {compensation_id} does not exist", compensation_id=compensation_id
        )
    return found


def void(
    session: Session, compensation_id: int, *, reason: str, by_id: int, now: datetime
) -> Compensation:
    """Takes a compensation back; the ledger books the reverse. It stays issued-once: the
    rule does not issue it again. Raises CompensationNotFound, CompensationAlreadyVoided."""
    compensation = get_compensation(session, compensation_id)
    if compensation.status is CompensationStatus.VOIDED:
        raise CompensationAlreadyVoided(
            f"compensation {compensation_id} was voided at {compensation.voided_at}",
            compensation_id=compensation_id,
        )
    compensation.status = CompensationStatus.VOIDED
    compensation.voided_at, compensation.voided_by_id = now, by_id
    compensation.void_reason = reason[:500]
    _book(session, compensation, sign=-1, note=f"voided: {reason}", now=now)
    timeline.record(
        session,
        compensation.order_id,
        timeline.COMPENSATION_VOIDED,
        {"compensation_id": compensation.id, "reason": compensation.void_reason},
        at=now,
        actor_id=by_id,
    )
    return compensation


def list_compensations(
    session: Session,
    *,
    order_id: int | None = None,
    customer_key: str | None = None,
    depot_id: int | None = None,
) -> list[Compensation]:
    query = select(Compensation).order_by(Compensation.id)
    if depot_id is not None:
        query = query.join(Order, Order.id == Compensation.order_id).where(
            Order.depot_id == depot_id
        )
    if order_id is not None:
        query = query.where(Compensation.order_id == order_id)
    if customer_key is not None:
        query = query.where(Compensation.customer_key == customer_key)
    return list(session.scalars(query))


def ledger(session: Session, key: str) -> list[LedgerEntry]:
    """The customer's movements, oldest first."""
    return list(
        session.scalars(
            select(LedgerEntry).where(LedgerEntry.customer_key == key).order_by(LedgerEntry.id)
        )
    )
