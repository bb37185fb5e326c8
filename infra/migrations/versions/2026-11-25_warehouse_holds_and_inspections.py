"""Warehouse stock, storage readings, batch holds and their effects; vehicle inspections; outbox.

Revision ID: 9d54108444b2
Revises: 758953a63d03
Create Date: 2026-11-25 03:00:03.194931
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d54108444b2"
down_revision: str | None = "758953a63d03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "inspection_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "vehicle_type",
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
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_inspection_template_created_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_template")),
        sa.UniqueConstraint(
            "vehicle_type", "version", name=op.f("uq_inspection_template_vehicle_type_version")
        ),
    )
    op.create_table(
        "storage_zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "storage_mode",
            sa.Enum(
                "frozen",
                "chilled",
                "ambient",
                "dry",
                name="storagemode",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_storage_zone_depot_id_depot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_zone")),
        sa.UniqueConstraint("depot_id", "code", name=op.f("uq_storage_zone_depot_id_code")),
    )
    op.create_table(
        "inspection_template_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("refrigerated_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["inspection_template.id"],
            name=op.f("fk_inspection_template_item_template_id_inspection_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_template_item")),
        sa.UniqueConstraint(
            "template_id", "code", name=op.f("uq_inspection_template_item_template_id_code")
        ),
    )
    op.create_table(
        "stock_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("lot_number", sa.String(length=64), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("written_off_quantity", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column(
            "storage_mode",
            sa.Enum(
                "frozen",
                "chilled",
                "ambient",
                "dry",
                name="storagemode",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("min_temp_c", sa.Double(), nullable=True),
        sa.Column("max_temp_c", sa.Double(), nullable=True),
        sa.Column("compatibility_group", sa.String(length=32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_stock_batch_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_stock_batch_depot_id_depot")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["storage_zone.id"], name=op.f("fk_stock_batch_zone_id_storage_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_batch")),
        sa.UniqueConstraint(
            "depot_id", "sku", "lot_number", name=op.f("uq_stock_batch_depot_id_sku_lot_number")
        ),
    )
    with op.batch_alter_table("stock_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_batch_sku"), ["sku"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_batch_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "storage_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("temperature_c", sa.Double(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["storage_zone.id"], name=op.f("fk_storage_reading_zone_id_storage_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_reading")),
        sa.UniqueConstraint(
            "zone_id", "measured_at", name=op.f("uq_storage_reading_zone_id_measured_at")
        ),
    )
    with op.batch_alter_table("storage_reading", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_storage_reading_measured_at"), ["measured_at"], unique=False
        )

    op.create_table(
        "batch_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["stock_batch.id"], name=op.f("fk_batch_allocation_batch_id_stock_batch")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_line.id"],
            name=op.f("fk_batch_allocation_order_line_id_order_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_allocation")),
    )
    with op.batch_alter_table("batch_allocation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_batch_allocation_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_batch_allocation_order_line_id"), ["order_line_id"], unique=False
        )

    op.create_table(
        "batch_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "temperature_excursion",
                "defect",
                "wrong_storage_mode",
                "incompatible_neighbour",
                "manual",
                name="holdreason",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active", "released", "returned", name="holdstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("placed_by_id", sa.Integer(), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["stock_batch.id"], name=op.f("fk_batch_hold_batch_id_stock_batch")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["user_account.id"],
            name=op.f("fk_batch_hold_closed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_id"],
            ["user_account.id"],
            name=op.f("fk_batch_hold_placed_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_hold")),
    )
    with op.batch_alter_table("batch_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_hold_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_batch_hold_status"), ["status"], unique=False)

    op.create_table(
        "inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("courier_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("odometer_km", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["inspection.id"], name=op.f("fk_inspection_corrects_id_inspection")
        ),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["courier.id"], name=op.f("fk_inspection_courier_id_courier")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shift.id"], name=op.f("fk_inspection_shift_id_shift")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_inspection_submitted_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["inspection_template.id"],
            name=op.f("fk_inspection_template_id_inspection_template"),
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_inspection_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection")),
    )
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "hold_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "placed", "released", "returned", name="holdeventkind", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"], ["user_account.id"], name=op.f("fk_hold_event_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["batch_hold.id"], name=op.f("fk_hold_event_hold_id_batch_hold")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold_event")),
    )
    with op.batch_alter_table("hold_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hold_event_hold_id"), ["hold_id"], unique=False)

    op.create_table(
        "inspection_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_item_inspection_id_inspection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_item")),
    )
    with op.batch_alter_table("inspection_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_item_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "order_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "previous_status",
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
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["batch_hold.id"], name=op.f("fk_order_hold_hold_id_batch_hold")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_order_hold_order_id_customer_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_hold")),
        sa.UniqueConstraint("hold_id", "order_id", name=op.f("uq_order_hold_hold_id_order_id")),
    )
    with op.batch_alter_table("order_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_hold_order_id"), ["order_id"], unique=False)

    op.create_table(
        "stop_removal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reason_text", sa.String(length=500), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["batch_hold.id"], name=op.f("fk_stop_removal_hold_id_batch_hold")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
            name=op.f("fk_stop_removal_order_id_customer_order"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_stop_removal_plan_id_plan")
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["route.id"], name=op.f("fk_stop_removal_route_id_route")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stop_removal")),
    )
    with op.batch_alter_table("stop_removal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stop_removal_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stop_removal_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stop_removal_route_id"), ["route_id"], unique=False)

    op.create_table(
        "supplier_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("returned_by_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["stock_batch.id"], name=op.f("fk_supplier_return_batch_id_stock_batch")
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["batch_hold.id"], name=op.f("fk_supplier_return_hold_id_batch_hold")
        ),
        sa.ForeignKeyConstraint(
            ["returned_by_id"],
            ["user_account.id"],
            name=op.f("fk_supplier_return_returned_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_return")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_supplier_return_hold_id")),
    )
    with op.batch_alter_table("supplier_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_return_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "vehicle_repair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("repaired_by_id", sa.Integer(), nullable=True),
        sa.Column("repaired_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_vehicle_repair_inspection_id_inspection"),
        ),
        sa.ForeignKeyConstraint(
            ["repaired_by_id"],
            ["user_account.id"],
            name=op.f("fk_vehicle_repair_repaired_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_vehicle_repair_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_repair")),
    )
    with op.batch_alter_table("vehicle_repair", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vehicle_repair_vehicle_id"), ["vehicle_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("vehicle_repair", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_repair_vehicle_id"))

    op.drop_table("vehicle_repair")
    with op.batch_alter_table("supplier_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_return_batch_id"))

    op.drop_table("supplier_return")
    with op.batch_alter_table("stop_removal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stop_removal_route_id"))
        batch_op.drop_index(batch_op.f("ix_stop_removal_plan_id"))
        batch_op.drop_index(batch_op.f("ix_stop_removal_order_id"))

    op.drop_table("stop_removal")
    with op.batch_alter_table("order_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_hold_order_id"))

    op.drop_table("order_hold")
    with op.batch_alter_table("inspection_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_item_inspection_id"))

    op.drop_table("inspection_item")
    with op.batch_alter_table("hold_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hold_event_hold_id"))

    op.drop_table("hold_event")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_shift_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_day"))

    op.drop_table("inspection")
    with op.batch_alter_table("batch_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_hold_status"))
        batch_op.drop_index(batch_op.f("ix_batch_hold_batch_id"))

    op.drop_table("batch_hold")
    with op.batch_alter_table("batch_allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_allocation_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_batch_allocation_batch_id"))

    op.drop_table("batch_allocation")
    with op.batch_alter_table("storage_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storage_reading_measured_at"))

    op.drop_table("storage_reading")
    with op.batch_alter_table("stock_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_batch_zone_id"))
        batch_op.drop_index(batch_op.f("ix_stock_batch_sku"))

    op.drop_table("stock_batch")
    op.drop_table("inspection_template_item")
    op.drop_table("storage_zone")
    op.drop_table("inspection_template")
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_outbox_created_at"))

    op.drop_table("notification_outbox")
