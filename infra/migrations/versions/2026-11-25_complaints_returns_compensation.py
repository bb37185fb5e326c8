"""Customer service: complaints, return requests, compensation and its per-customer ledger.

Revision ID: c6a1e0f2b3d4
Revises: 8a7b9051c308
Create Date: 2026-11-25 10:39:05.851540
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c6a1e0f2b3d4"
down_revision: str | None = "8a7b9051c308"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compensation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=254), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "bonus_points",
                "discount_code",
                name="compensationkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("discount_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum("issued", "voided", name="compensationstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["user_account.id"],
            name=op.f("fk_compensation_issued_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
            name=op.f("fk_compensation_order_id_customer_order"),
        ),
        sa.ForeignKeyConstraint(
            ["voided_by_id"],
            ["user_account.id"],
            name=op.f("fk_compensation_voided_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensation")),
        sa.UniqueConstraint("discount_code", name=op.f("uq_compensation_discount_code")),
        sa.UniqueConstraint("order_id", "rule", name=op.f("uq_compensation_order_id_rule")),
    )
    with op.batch_alter_table("compensation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compensation_customer_key"), ["customer_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_compensation_order_id"), ["order_id"], unique=False)

    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "late",
                "damaged",
                "wrong_item",
                "missing_item",
                "courier_behaviour",
                "other",
                name="complaintcategory",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("photo_ref", sa.String(length=200), nullable=True),
        sa.Column(
            "source",
            sa.Enum("customer", "dispatcher", name="complaintsource", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "resolved",
                "rejected",
                name="complaintstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("response", sa.String(length=2000), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_complaint_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_complaint_order_id_customer_order")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user_account.id"], name=op.f("fk_complaint_owner_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_status"), ["status"], unique=False)

    op.create_table(
        "compensation_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=254), nullable=False),
        sa.Column("compensation_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compensation_id"],
            ["compensation.id"],
            name=op.f("fk_compensation_ledger_compensation_id_compensation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensation_ledger")),
    )
    with op.batch_alter_table("compensation_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compensation_ledger_compensation_id"), ["compensation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compensation_ledger_customer_key"), ["customer_key"], unique=False
        )

    op.create_table(
        "return_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("pickup_order_id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "faulty_goods", "wrong_item", name="returnreason", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("scheduled", "received", name="returnstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.Column("defect", sa.Boolean(), nullable=True),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["stock_batch.id"], name=op.f("fk_return_request_batch_id_stock_batch")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_return_request_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_return_request_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["batch_hold.id"], name=op.f("fk_return_request_hold_id_batch_hold")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
            name=op.f("fk_return_request_order_id_customer_order"),
        ),
        sa.ForeignKeyConstraint(
            ["pickup_order_id"],
            ["customer_order.id"],
            name=op.f("fk_return_request_pickup_order_id_customer_order"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["user_account.id"],
            name=op.f("fk_return_request_received_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_request")),
        sa.UniqueConstraint("pickup_order_id", name=op.f("uq_return_request_pickup_order_id")),
    )
    with op.batch_alter_table("return_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_request_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_request_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_request_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("return_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_request_status"))
        batch_op.drop_index(batch_op.f("ix_return_request_order_id"))
        batch_op.drop_index(batch_op.f("ix_return_request_batch_id"))

    op.drop_table("return_request")
    with op.batch_alter_table("compensation_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compensation_ledger_customer_key"))
        batch_op.drop_index(batch_op.f("ix_compensation_ledger_compensation_id"))

    op.drop_table("compensation_ledger")
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_status"))
        batch_op.drop_index(batch_op.f("ix_complaint_order_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_due_at"))

    op.drop_table("complaint")
    with op.batch_alter_table("compensation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compensation_order_id"))
        batch_op.drop_index(batch_op.f("ix_compensation_customer_key"))

    op.drop_table("compensation")
