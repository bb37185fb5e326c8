"""Tracking: position pings, insert-only stop events, customer feedback.

Revision ID: 61514b1f00dd
Revises: 9d54108444b2
Create Date: 2026-11-25 03:07:00.282954
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "61514b1f00dd"
down_revision: str | None = "9d54108444b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_feedback_order_id_customer_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("order_id", name=op.f("uq_feedback_order_id")),
    )
    op.create_table(
        "position_ping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=False),
        sa.Column("device_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lng", sa.Double(), nullable=False),
        sa.Column("accuracy_m", sa.Double(), nullable=True),
        sa.Column("speed_m_s", sa.Double(), nullable=True),
        sa.Column("heading_deg", sa.Double(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["courier.id"], name=op.f("fk_position_ping_courier_id_courier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_ping")),
        sa.UniqueConstraint(
            "courier_id", "device_at", name=op.f("uq_position_ping_courier_id_device_at")
        ),
    )
    op.create_table(
        "stop_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stop_id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=False),
        sa.Column("client_event_id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "arrived",
                "delivered",
                "failed",
                "pickup_done",
                name="stopeventkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lng", sa.Double(), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=True),
        sa.Column("signature_ref", sa.String(length=200), nullable=True),
        sa.Column("photo_ref", sa.String(length=200), nullable=True),
        sa.Column(
            "failure_reason",
            sa.Enum(
                "not_at_home",
                "address_not_found",
                "refused",
                "damaged",
                "no_access",
                name="failurereason",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["courier.id"], name=op.f("fk_stop_event_courier_id_courier")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_stop_event_order_id_customer_order")
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["route.id"], name=op.f("fk_stop_event_route_id_route")
        ),
        sa.ForeignKeyConstraint(["stop_id"], ["stop.id"], name=op.f("fk_stop_event_stop_id_stop")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stop_event")),
        sa.UniqueConstraint(
            "courier_id", "client_event_id", name=op.f("uq_stop_event_courier_id_client_event_id")
        ),
    )
    with op.batch_alter_table("stop_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stop_event_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stop_event_route_id"), ["route_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stop_event_stop_id"), ["stop_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stop_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stop_event_stop_id"))
        batch_op.drop_index(batch_op.f("ix_stop_event_route_id"))
        batch_op.drop_index(batch_op.f("ix_stop_event_order_id"))

    op.drop_table("stop_event")
    op.drop_table("position_ping")
    op.drop_table("feedback")
