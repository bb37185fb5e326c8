"""Settings: one pydantic-settings class read from SAMEDAY_* variables and an optional .env file.

Sections are nested models; a variable names its section and field joined by one underscore:
`SAMEDAY_DATABASE_URL`, `SAMEDAY_SECURITY_SECRET_KEY`, `SAMEDAY_OPERATION_CUTOFF`.
Nothing here reads the environment at import time: entry points call `Settings()` once.
"""

from __future__ import annotations

import secrets
from datetime import time
from enum import StrEnum
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra import outbound
from infra.models.customer_service import CompensationKind
from infra.models.planning import ReplanTrigger
from infra.models.tracking import FailureReason

MIN_SECRET_KEY_CHARS = 32
MIN_METRICS_TOKEN_CHARS = 16


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class DatabaseSettings(BaseModel):
    # A file in the working directory: the embedded mode needs no server.
    url: str = "sqlite:///sameday.sqlite3"
    echo: bool = False
    # Connections one process keeps open, and how many more it may open at a peak. Requests
    # are admitted to the database no more at once than both together leave after the
    # background work's (api.admission), so none waits for a connection.
    pool_size: int = Field(default=10, ge=1, le=200)
    max_overflow: int = Field(default=10, ge=0, le=200)
    # How long an admitted request may wait for a connection before it is a 503.
    pool_timeout_s: float = Field(default=10.0, gt=0, le=300)
    # How long a request waits for admission (a busy server) before it is a 503 server_busy.
    admission_wait_s: float = Field(default=10.0, gt=0, le=300)


class SecuritySettings(BaseModel):
    # Signs the access tokens (HS256). Required in production; generated per process otherwise.
    secret_key: SecretStr | None = None
    token_ttl_s: int = Field(default=8 * 3600, ge=60, le=7 * 24 * 3600)

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY_CHARS:
            raise ValueError(f"must be at least {MIN_SECRET_KEY_CHARS} characters")
        return value


class PlanningSettings(BaseModel):
    solver_time_limit_s: int = Field(default=10, ge=1, le=3600)
    # Run queued plan jobs in a thread of the API process (the embedded mode).
    run_jobs_in_process: bool = True
    # A solve still running this long after its time limit is killed and its job failed.
    job_timeout_margin_s: int = Field(default=60, ge=5, le=3600)
    # A running job whose runner has not renewed its lease for this long is considered dead.
    job_lease_s: int = Field(default=30, ge=5, le=3600)
    # A day with more visits than split_above_visits is split per depot, a depot with more than
    # split_zone_visits into zones, and the parts are solved side by side by split_workers
    # processes (unset: one per core). The 320-order demo day is solved whole.
    split: bool = True
    split_above_visits: int = Field(default=500, ge=1, le=1_000_000)
    split_zone_visits: int = Field(default=250, ge=10, le=1_000_000)
    split_workers: int | None = Field(default=None, ge=1, le=256)
    # Who solves queued jobs: a runner thread of the API process (`in_process`, the embedded
    # mode) or `sameday worker` processes fed through Redis (`celery`, needs redis_url).
    executor: Literal["in_process", "celery"] = "in_process"
    # A Celery job whose worker died this many times (its lease ran out) is failed; before that
    # it is queued again.
    job_max_attempts: int = Field(default=3, ge=1, le=100)


class MapSettings(BaseModel):
    # Background tiles of the dispatcher map; empty draws routes on a blank background, which
    # needs no internet.
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
    )


class OperationSettings(BaseModel):
    timezone: str = "Europe/Berlin"
    # Orders received at or after this local time are delivered on the next operating day.
    cutoff: time = time(18, 0)
    # ISO weekday numbers (Monday is 1) on which couriers drive.
    operating_weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5, 6})
    # A clock that stands still until an admin sets it (PUT /admin/clock), only forward: for
    # playing a simulated day against the API; refused in production.
    settable_clock: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("operating_weekdays")
    @classmethod
    def _weekdays(cls, value: frozenset[int]) -> frozenset[int]:
        if not value or not value <= set(range(1, 8)):
            raise ValueError("must be a non-empty set of ISO weekdays 1..7")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class SlotSettings(BaseModel):
    """Delivery windows a shop may promise at checkout (GET /slots)."""

    # Candidate windows tile the local day from `first_start` to `last_end`, each this long.
    first_start: time = time(9, 0)
    last_end: time = time(21, 0)
    length_s: int = Field(default=2 * 3600, ge=15 * 60, le=12 * 3600)
    # A window of today is offered only if it starts at least this long from now: the parcel
    # must still be picked, loaded and driven.
    lead_s: int = Field(default=3600, ge=0, le=12 * 3600)
    # Without `parcels` weights, each parcel of a slot query counts this much.
    default_parcel_weight_g: int = Field(default=2000, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _day_has_room(self) -> Self:
        if self.last_end <= self.first_start:
            raise ValueError("last_end must be after first_start")
        return self


class WarehouseSettings(BaseModel):
    # A zone reading outside a batch's range for at least this long holds the batch.
    excursion_grace_s: int = Field(default=1800, ge=0, le=7 * 24 * 3600)


class TrackingSettings(BaseModel):
    # A ping implying a faster move than this from its neighbours (in device time) is refused.
    max_speed_kmh: float = Field(default=150.0, gt=0, le=1000)
    # A ping whose device time is this far ahead of the server clock is refused.
    max_future_skew_s: int = Field(default=120, ge=0, le=3600)
    # A report (ping batch, stop event) whose device time is this far behind the server clock
    # is a backlog sent after the courier was offline: it marks no stop late, since it does
    # not yet know which stops the courier finished meanwhile; the reports after it will.
    report_backlog_s: int = Field(default=120, ge=0, le=3600)
    # An ETA later than its window's end by more than this is flagged as projected late.
    lateness_threshold_s: int = Field(default=300, ge=0, le=24 * 3600)
    # The observed delay factor (actual / planned durations) is kept within these bounds.
    min_delay_factor: float = Field(default=0.8, gt=0, le=1)
    max_delay_factor: float = Field(default=2.0, ge=1, le=10)
    # The customer's ETA window is the ETA plus or minus this, clipped to the promised window.
    eta_margin_s: int = Field(default=900, ge=0, le=4 * 3600)
    # Decimal places of the courier position shown to a customer (3 is about 100 m).
    public_position_decimals: int = Field(default=3, ge=1, le=5)
    # Unknown tracking codes one client may try within the window before it is refused (429).
    code_misses_allowed: int = Field(default=10, ge=1, le=10_000)
    code_miss_window_s: int = Field(default=600, ge=1, le=24 * 3600)
    # The live pages get a route's ETAs again only when one of them moved by this much (or a
    # stop was done): pings come every few seconds, ETAs rarely change that fast.
    live_eta_change_s: int = Field(default=60, ge=0, le=3600)
    # A ping projects its route's ETAs again at most this often (a stop event always does):
    # from one ping to the next they hardly move, and a projection reads the whole route.
    eta_refresh_s: int = Field(default=30, ge=0, le=3600)


class LiveSettings(BaseModel):
    """The live pages' event streams (server-sent events from the live event log)."""

    # Streams one API process keeps open; more are refused (503) so that forgotten tabs
    # cannot take the threads and connections couriers' requests need.
    max_streams: int = Field(default=300, ge=1, le=100_000)
    # How often a process reads the log for events committed elsewhere (another API process,
    # a worker); a commit in this process wakes its streams at once.
    poll_s: float = Field(default=1.0, ge=0.05, le=60)
    # The least time between two reads of the log by a process's reader. Under many commits a
    # second (couriers' pings), each would otherwise wake a read of its own; one read every
    # interval gathers several events, and the delay is small next to a page's refresh. A
    # reader idle for longer answers a commit at once.
    min_read_interval_s: float = Field(default=0.05, ge=0, le=5)
    # An idle stream sends a comment this often, so that proxies keep it open and a vanished
    # client is noticed.
    heartbeat_s: float = Field(default=15.0, ge=1, le=300)
    # Ids are taken at insert and become visible at commit, so a missing id below newer events
    # may be a transaction still committing: the streams wait this long for it before going on
    # without it (its transaction rolled back).
    gap_grace_s: float = Field(default=3.0, ge=0, le=60)
    # How long a browser waits before reconnecting a dropped stream (the SSE retry field).
    retry_ms: int = Field(default=2000, ge=100, le=60_000)


class ReplanSettings(BaseModel):
    # Search time of a replan during the day: it starts from the current plan, so a short
    # search improves it enough, and the day does not wait.
    time_limit_s: int = Field(default=1, ge=1, le=600)
    # A promise that can no longer be kept is kept late (at this cost per hour) rather than
    # dropped, up to this long past the end of its window.
    max_lateness_s: int = Field(default=4 * 3600, ge=0, le=24 * 3600)
    lateness_cost_per_hour: float = Field(default=30.0, ge=0, le=100_000)
    # Triggers whose replans are applied at once; the others are proposed to the dispatcher.
    # A vehicle out of service cannot wait for a decision: its stops must move.
    auto_apply_triggers: frozenset[ReplanTrigger] = frozenset({ReplanTrigger.VEHICLE_OUT})
    # Naming why the optimiser left a stop out re-solves with one constraint relaxed; during
    # the day that gets this much time, not the several seconds a morning plan can spare.
    explain_within_s: float = Field(default=0.3, ge=0.05, le=60)
    # Customers are told about a new ETA when it moves by at least this much.
    eta_change_notice_s: int = Field(default=600, ge=0, le=24 * 3600)
    # Lateness and failed attempts propose at most one replan per plan in this interval.
    min_interval_s: int = Field(default=120, ge=0, le=24 * 3600)
    # A courier on the road may work this long past the end of the shift (past now, once the
    # shift is over) to deliver what is on board: that beats driving it back to the depot.
    finish_grace_s: int = Field(default=2 * 3600, ge=0, le=12 * 3600)


class NotificationSettings(BaseModel):
    """Where customer messages go and how the outbox sender retries.

    Each kind of recipient has its channel: `log` (the embedded default: a log line, and the
    dispatcher page lists the messages) or the real one. Variables have one underscore after
    the section: `SAMEDAY_NOTIFICATIONS_EMAIL_CHANNEL=smtp`.
    """

    # Run the outbox sender in a thread of the API process (the embedded mode); otherwise run
    # `sameday notify` next to it.
    send_in_process: bool = True
    # How often an idle sender looks for due messages.
    poll_s: float = Field(default=2.0, gt=0, le=3600)
    # Messages one sender claims at a time.
    batch_size: int = Field(default=20, ge=1, le=1000)
    # A claimed message is the sender's for this long; if it dies meanwhile, another sender
    # takes the message over afterwards. Longer than any send may take (see the timeouts).
    lease_s: int = Field(default=120, ge=5, le=24 * 3600)
    # A message failing this many attempts is marked failed and left for the dispatcher.
    max_attempts: int = Field(default=8, ge=1, le=100)
    # The wait before attempt n+1 is about backoff_base_s * 2^(n-1), never above backoff_max_s.
    backoff_base_s: float = Field(default=30.0, gt=0, le=24 * 3600)
    backoff_max_s: float = Field(default=3600.0, gt=0, le=7 * 24 * 3600)

    email_channel: Literal["log", "smtp"] = "log"
    sms_channel: Literal["log", "sms"] = "log"
    webhook_channel: Literal["log", "webhook"] = "log"
    # Shown to customers as the link to their tracking page (e.g. https://track.example.com);
    # messages carry no link without it.
    public_url: str | None = None

    email_from: str = "sameday <noreply@localhost>"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # "starttls" upgrades a plain connection (port 587), "ssl" is TLS from the start (465).
    smtp_security: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None

    # Set: every customer message is also queued for the shop's webhook.
    webhook_url: str | None = None
    # Signs each webhook body (HMAC-SHA256) so the shop can tell it came from us.
    webhook_secret: SecretStr | None = None
    # Webhook targets must be public hosts (infra/outbound.py); true also allows this machine
    # and private networks, for development and tests only (refused in production).
    allow_private_webhooks: bool = False

    # The SMS channel hands messages to a provider: `http` posts them to sms_url with the
    # bearer token; `log` writes them to the log as they would be sent.
    sms_provider: Literal["log", "http"] = "log"
    sms_url: str | None = None
    sms_token: SecretStr | None = None
    sms_sender: str | None = None

    # Network timeout of one SMTP or HTTP send.
    send_timeout_s: float = Field(default=15.0, gt=0, le=600)

    @model_validator(mode="after")
    def _channels_configured(self) -> Self:
        problems = []
        if self.email_channel == "smtp" and not self.smtp_host:
            problems.append("the smtp e-mail channel needs SAMEDAY_NOTIFICATIONS_SMTP_HOST")
        if self.webhook_channel == "webhook" and not (self.webhook_url and self.webhook_secret):
            problems.append(
                "the webhook channel needs SAMEDAY_NOTIFICATIONS_WEBHOOK_URL and _WEBHOOK_SECRET"
            )
        if self.webhook_url and not self.allow_private_webhooks:
            refusal = outbound.url_refusal(self.webhook_url, resolver=None)
            if refusal is not None:
                problems.append(
                    f"SAMEDAY_NOTIFICATIONS_WEBHOOK_URL is refused: {refusal}; webhook targets "
                    "must be public hosts"
                )
        if self.sms_channel == "sms" and self.sms_provider == "http" and not self.sms_url:
            problems.append("the http SMS provider needs SAMEDAY_NOTIFICATIONS_SMS_URL")
        if self.backoff_max_s < self.backoff_base_s:
            problems.append("backoff_max_s must not be below backoff_base_s")
        if self.lease_s <= self.send_timeout_s:
            # A send still waiting on the network when its lease ends would be sent twice.
            problems.append("lease_s must be longer than send_timeout_s")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class CompensationRule(BaseModel):
    """One breach of the promise and what it earns: `late` is a delivery (or pickup) later
    than `late_by_min` past the end of the promised window; `failed` a failed attempt whose
    reason is one of `failure_reasons` (the company's fault)."""

    name: str = Field(min_length=1, max_length=32)
    breach: Literal["late", "failed"]
    late_by_min: int = Field(default=0, ge=0, le=24 * 60)
    failure_reasons: frozenset[FailureReason] = frozenset()
    kind: CompensationKind
    points: int | None = Field(default=None, ge=1, le=1_000_000)
    amount_cents: int | None = Field(default=None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _value_for_kind(self) -> Self:
        if self.kind is CompensationKind.BONUS_POINTS and self.points is None:
            raise ValueError(f"rule {self.name!r}: bonus points need 'points'")
        if self.kind is CompensationKind.DISCOUNT_CODE and self.amount_cents is None:
            raise ValueError(f"rule {self.name!r}: a discount code needs 'amount_cents'")
        return self


def _default_rules() -> list[CompensationRule]:
    return [
        CompensationRule(
            name="late",
            breach="late",
            late_by_min=30,
            kind=CompensationKind.BONUS_POINTS,
            points=100,
        ),
        CompensationRule(
            name="failed_attempt",
            breach="failed",
            failure_reasons=frozenset({FailureReason.NO_ACCESS}),
            kind=CompensationKind.DISCOUNT_CODE,
            amount_cents=500,
        ),
        CompensationRule(
            name="damaged",
            breach="failed",
            failure_reasons=frozenset({FailureReason.DAMAGED}),
            kind=CompensationKind.DISCOUNT_CODE,
            amount_cents=1000,
        ),
    ]


class ServiceSettings(BaseModel):
    # Hours a complaint may stay open or in progress before it is overdue.
    complaint_due_h: int = Field(default=24, ge=1, le=30 * 24)
    # Defect complaints and faulty returns on one batch that hold it automatically.
    defect_hold_threshold: int = Field(default=3, ge=1, le=1000)
    compensation_rules: list[CompensationRule] = Field(default_factory=_default_rules)
    # A failed attempt for one of these reasons is the customer's side: the order then earns
    # no automatic compensation at all (not for lateness either).
    excluded_failure_reasons: frozenset[FailureReason] = frozenset(
        {FailureReason.NOT_AT_HOME, FailureReason.ADDRESS_NOT_FOUND, FailureReason.REFUSED}
    )

    @field_validator("compensation_rules")
    @classmethod
    def _unique_names(cls, value: list[CompensationRule]) -> list[CompensationRule]:
        names = [rule.name for rule in value]
        if len(names) != len(set(names)):
            raise ValueError("rule names must be unique")
        return value


class LogSettings(BaseModel):
    # `json`: one JSON object per line (timestamp, level, logger, message, request_id and the
    # record's extras), for a log collector; `text`: lines for a person at a terminal.
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class MetricsSettings(BaseModel):
    """Who may read GET /metrics: a scraper sending this bearer token, or anyone if public."""

    token: SecretStr | None = None
    # For an API reachable only from a private network; the token is then not needed.
    public: bool = False

    @field_validator("token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_METRICS_TOKEN_CHARS:
            raise ValueError(f"must be at least {MIN_METRICS_TOKEN_CHARS} characters")
        return value


class GeocoderSettings(BaseModel):
    # A geopy service name such as "nominatim" or "photon"; None means coordinates are required.
    provider: str | None = None
    user_agent: str = "sameday"
    api_key: SecretStr | None = None
    domain: str | None = None
    timeout_s: float = Field(default=5.0, gt=0, le=60)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAMEDAY_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    _secret_key_generated: bool = PrivateAttr(default=False)

    environment: Environment = Environment.DEVELOPMENT
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    # The production profile's Redis (e.g. redis://127.0.0.1:6379/0): live-stream signals
    # between API processes, shared rate limits, the Celery broker. None: nothing uses Redis.
    redis_url: str | None = None
    # Prefixes every key, channel and queue name in Redis, so that several installations (or
    # test runs) can share one server.
    redis_namespace: str = Field(default="sameday", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    planning: PlanningSettings = Field(default_factory=PlanningSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    operation: OperationSettings = Field(default_factory=OperationSettings)
    geocoder: GeocoderSettings = Field(default_factory=GeocoderSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    replanning: ReplanSettings = Field(default_factory=ReplanSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    slots: SlotSettings = Field(default_factory=SlotSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)

    @model_validator(mode="after")
    def _celery_needs_redis(self) -> Self:
        if self.planning.executor == "celery" and not self.redis_url:
            raise ValueError(
                "SAMEDAY_PLANNING_EXECUTOR=celery needs SAMEDAY_REDIS_URL (its broker)"
            )
        return self

    @model_validator(mode="after")
    def _real_clock_in_production(self) -> Self:
        if self.operation.settable_clock and self.environment is Environment.PRODUCTION:
            raise ValueError("SAMEDAY_OPERATION_SETTABLE_CLOCK must not be set in production")
        return self

    @model_validator(mode="after")
    def _public_webhooks_in_production(self) -> Self:
        if self.notifications.allow_private_webhooks and self.environment is Environment.PRODUCTION:
            raise ValueError(
                "SAMEDAY_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS must not be set in production"
            )
        return self

    @model_validator(mode="after")
    def _secret_key_present(self) -> Self:
        if self.security.secret_key is not None:
            return self
        if self.environment is Environment.PRODUCTION:
            raise ValueError(
                "SAMEDAY_SECURITY_SECRET_KEY must be set in production "
                f"(at least {MIN_SECRET_KEY_CHARS} characters)"
            )
        generated = SecretStr(secrets.token_urlsafe(48))
        self.security = self.security.model_copy(update={"secret_key": generated})
        self._secret_key_generated = True
        return self

    @property
    def secret_key_generated(self) -> bool:
        """True when no key was configured and this process made one up (development only)."""
        return self._secret_key_generated

    @property
    def secret_key(self) -> str:
        key = self.security.secret_key
        assert key is not None  # filled in by the validator
        return key.get_secret_value()
