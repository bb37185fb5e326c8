"""Live events for live pages, outbox delivery state (lease, retries), replan proposals.

Revision ID: 37067068b9bd
Revises: 3c1e7a52b9d4
Create Date: 2026-11-25 06:38:34.230730
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "37067068b9bd"
down_revision: str | None = "3c1e7a52b9d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("depot_id", sa.Integer(), nullable=True),
        sa.Column("route_id", sa.Integer(), nullable=True),
        sa.Column("courier_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["courier.id"], name=op.f("fk_live_event_courier_id_courier")
        ),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_live_event_depot_id_depot")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_live_event_order_id_customer_order")
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["route.id"], name=op.f("fk_live_event_route_id_route")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_event")),
    )
    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_event_courier_id"), ["courier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_event_depot_id"), ["depot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_event_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_event_route_id"), ["route_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_live_event_service_date"), ["service_date"], unique=False
        )

    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "pending", "sent", "failed", name="deliverystatus", native_enum=False, length=24
                ),
                nullable=False,
                server_default="pending",
            )
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notification_outbox_status"), ["status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_outbox_order_id_customer_order"),
            "customer_order",
            ["order_id"],
            ["id"],
        )

    # Messages queued before this revision that a sender marked sent.
    op.execute("UPDATE notification_outbox SET status = 'sent' WHERE sent_at IS NOT NULL")

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_plan_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_base_plan_id_plan"), "plan", ["base_plan_id"], ["id"]
        )

    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trigger", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("diff", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "decision",
                sa.Enum(
                    "accepted",
                    "applied",
                    "rejected",
                    "stale",
                    name="replandecision",
                    native_enum=False,
                    length=24,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_job_decided_by_id_user_account"),
            "user_account",
            ["decided_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_plan_job_decided_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decision")
        batch_op.drop_column("diff")
        batch_op.drop_column("trigger")

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_plan_base_plan_id_plan"), type_="foreignkey")
        batch_op.drop_column("base_plan_id")

    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notification_outbox_order_id_customer_order"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_notification_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_notification_outbox_order_id"))
        batch_op.drop_column("failed_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("status")
        batch_op.drop_column("order_id")

    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_event_service_date"))
        batch_op.drop_index(batch_op.f("ix_live_event_route_id"))
        batch_op.drop_index(batch_op.f("ix_live_event_order_id"))
        batch_op.drop_index(batch_op.f("ix_live_event_depot_id"))
        batch_op.drop_index(batch_op.f("ix_live_event_courier_id"))

    op.drop_table("live_event")
