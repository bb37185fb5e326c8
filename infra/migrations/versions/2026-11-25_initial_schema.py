"""Initial schema: accounts, depots, fleet, orders, idempotency records, plans and plan jobs.

Revision ID: 758953a63d03
Revises:
Create Date: 2026-11-25 02:03:45.219688
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "758953a63d03"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "depot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lng", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depot")),
        sa.UniqueConstraint("code", name=op.f("uq_depot_code")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "dispatcher", "courier", name="role", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_table(
        "courier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("depot_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["depot_id"], ["depot.id"], name=op.f("fk_courier_depot_id_depot")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_courier_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier")),
        sa.UniqueConstraint("user_id", name=op.f("uq_courier_user_id")),
    )
    with op.batch_alter_table("courier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courier_depot_id"), ["depot_id"], unique=False)

    op.create_table(
        "customer_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_code", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("delivery", "pickup", name="orderkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "plannable",
                "held",
                "planned",
                "out_for_delivery",
                "delivered",
                "failed",
                "cancelled",
                name="orderstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("recipient_phone", sa.String(length=32), nullable=True),
        sa.Column("recipient_email", sa.String(length=254), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lng", sa.Double(), nullable=False),
        sa.Column(
            "location_source",
            sa.Enum("given", "geocoded", name="locationsource", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("service_s", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("handling", sa.JSON(), nullable=False),
        sa.Column("notes", sa.String(length=1000), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_customer_order_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_customer_order_depot_id_depot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_order")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_customer_order_tracking_code")),
    )
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_order_depot_id"), ["depot_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_customer_order_reference"), ["reference"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_order_service_date"), ["service_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_order_status"), ["status"], unique=False)

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_idempotency_record_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint(
            "user_id", "operation", "key", name=op.f("uq_idempotency_record_user_id_operation_key")
        ),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "published", "superseded", name="planstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_distance_m", sa.Integer(), nullable=False),
        sa.Column("total_duration_s", sa.Integer(), nullable=False),
        sa.Column("total_cost_cents", sa.Integer(), nullable=False),
        sa.Column("orders_planned", sa.Integer(), nullable=False),
        sa.Column("orders_unserved", sa.Integer(), nullable=False),
        sa.Column("solver_status", sa.String(length=64), nullable=True),
        sa.Column("solver_objective", sa.Integer(), nullable=True),
        sa.Column("solve_time_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_plan_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["depot_id"], ["depot.id"], name=op.f("fk_plan_depot_id_depot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_depot_id"), ["depot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_service_date"), ["service_date"], unique=False)

    op.create_table(
        "vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "bicycle",
                "cargo_bike",
                "scooter",
                "car",
                "van",
                "truck",
                name="vehicletype",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("depot_id", sa.Integer(), nullable=True),
        sa.Column("max_weight_g", sa.Integer(), nullable=False),
        sa.Column("max_volume_cm3", sa.Integer(), nullable=False),
        sa.Column("max_parcels", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("shift_start", sa.Time(), nullable=False),
        sa.Column("shift_end", sa.Time(), nullable=False),
        sa.Column("cost_per_km_cents", sa.Integer(), nullable=False),
        sa.Column("cost_per_hour_cents", sa.Integer(), nullable=False),
        sa.Column("fixed_cost_cents", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "in_service", "out_of_service", name="vehiclestatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["depot_id"], ["depot.id"], name=op.f("fk_vehicle_depot_id_depot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle")),
        sa.UniqueConstraint("code", name=op.f("uq_vehicle_code")),
    )
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicle_depot_id"), ["depot_id"], unique=False)

    op.create_table(
        "order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_order_line_order_id_customer_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_order_line_order_id_line_no")),
    )
    op.create_table(
        "order_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
            name=op.f("fk_order_window_order_id_customer_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_window")),
    )
    with op.batch_alter_table("order_window", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_window_order_id"), ["order_id"], unique=False)

    op.create_table(
        "parcel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("volume_cm3", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_parcel_order_id_customer_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel")),
    )
    with op.batch_alter_table("parcel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcel_order_id"), ["order_id"], unique=False)

    op.create_table(
        "plan_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="jobstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("time_limit_s", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_plan_job_depot_id_depot")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_plan_job_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_plan_job_requested_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_job")),
    )
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_job_service_date"), ["service_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_plan_job_status"), ["status"], unique=False)

    op.create_table(
        "plan_unserved",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("reason_text", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
            name=op.f("fk_plan_unserved_order_id_customer_order"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_unserved_plan_id_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_unserved")),
        sa.UniqueConstraint("plan_id", "order_id", name=op.f("uq_plan_unserved_plan_id_order_id")),
    )
    with op.batch_alter_table("plan_unserved", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_unserved_order_id"), ["order_id"], unique=False)

    op.create_table(
        "shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["courier.id"], name=op.f("fk_shift_courier_id_courier")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_shift_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift")),
        sa.UniqueConstraint("courier_id", "day", name=op.f("uq_shift_courier_id_day")),
    )
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_shift_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=True),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("planned_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned", "departed", "done", name="routestatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("departed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["courier.id"], name=op.f("fk_route_courier_id_courier")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_route_plan_id_plan")),
        sa.ForeignKeyConstraint(["shift_id"], ["shift.id"], name=op.f("fk_route_shift_id_shift")),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_route_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route")),
        sa.UniqueConstraint("plan_id", "sequence", name=op.f("uq_route_plan_id_sequence")),
        sa.UniqueConstraint("plan_id", "vehicle_id", name=op.f("uq_route_plan_id_vehicle_id")),
    )
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_route_courier_id"), ["courier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_route_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_route_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "stop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("planned_arrival_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_service_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_departure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("load_weight_g_after", sa.Integer(), nullable=False),
        sa.Column("load_volume_cm3_after", sa.Integer(), nullable=False),
        sa.Column("load_parcels_after", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_stop_order_id_customer_order")
        ),
        sa.ForeignKeyConstraint(["route_id"], ["route.id"], name=op.f("fk_stop_route_id_route")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stop")),
        sa.UniqueConstraint("route_id", "sequence", name=op.f("uq_stop_route_id_sequence")),
    )
    with op.batch_alter_table("stop", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stop_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stop", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stop_order_id"))

    op.drop_table("stop")
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_route_shift_id"))
        batch_op.drop_index(batch_op.f("ix_route_courier_id"))

    op.drop_table("route")
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_shift_day"))

    op.drop_table("shift")
    with op.batch_alter_table("plan_unserved", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_unserved_order_id"))

    op.drop_table("plan_unserved")
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_job_status"))
        batch_op.drop_index(batch_op.f("ix_plan_job_service_date"))

    op.drop_table("plan_job")
    with op.batch_alter_table("parcel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parcel_order_id"))

    op.drop_table("parcel")
    with op.batch_alter_table("order_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_window_order_id"))

    op.drop_table("order_window")
    op.drop_table("order_line")
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_depot_id"))

    op.drop_table("vehicle")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_service_date"))
        batch_op.drop_index(batch_op.f("ix_plan_depot_id"))

    op.drop_table("plan")
    op.drop_table("idempotency_record")
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_order_status"))
        batch_op.drop_index(batch_op.f("ix_customer_order_service_date"))
        batch_op.drop_index(batch_op.f("ix_customer_order_reference"))
        batch_op.drop_index(batch_op.f("ix_customer_order_depot_id"))

    op.drop_table("customer_order")
    with op.batch_alter_table("courier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courier_depot_id"))

    op.drop_table("courier")
    op.drop_table("user_account")
    op.drop_table("depot")
