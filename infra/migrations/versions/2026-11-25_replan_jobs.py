"""Plan jobs of a kind: replans after a vehicle went out of service, with reason and outcome.

Revision ID: 3c1e7a52b9d4
Revises: 61514b1f00dd
Create Date: 2026-11-25 03:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c1e7a52b9d4"
down_revision: str | None = "61514b1f00dd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        # Jobs queued before this revision were all plans of a day.
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum("plan", "replan", name="jobkind", native_enum=False, length=24),
                nullable=False,
                server_default="plan",
            )
        )
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("base_plan_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("vehicle_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_job_base_plan_id_plan"), "plan", ["base_plan_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_job_vehicle_id_vehicle"), "vehicle", ["vehicle_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_plan_job_vehicle_id_vehicle"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_plan_job_base_plan_id_plan"), type_="foreignkey")
        batch_op.drop_column("outcome")
        batch_op.drop_column("vehicle_id")
        batch_op.drop_column("base_plan_id")
        batch_op.drop_column("reason")
        batch_op.drop_column("kind")
