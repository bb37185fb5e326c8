"""Refusals of the reports: a period that cannot be reported."""

from __future__ import annotations

from infra.errors import Invalid


class InvalidPeriod(Invalid):
    code = "invalid_period"
    title = "Invalid report period"
