"""Stops carried over by a replan point at their first row, so events count across plan versions.

Revision ID: 8a7b9051c308
Revises: 37067068b9bd
Create Date: 2026-11-25 06:57:23.214242
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8a7b9051c308"
down_revision: str | None = "37067068b9bd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_stop_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_stop_origin_stop_id"), ["origin_stop_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_stop_origin_stop_id_stop"), "stop", ["origin_stop_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("stop", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_stop_origin_stop_id_stop"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_stop_origin_stop_id"))
        batch_op.drop_column("origin_stop_id")
