"""Depot scoping: a dispatcher may belong to one depot; existing users stay unscoped (NULL).

Revision ID: f3a5c7e9b1d2
Revises: e8c3a5b7d9f1
Create Date: 2026-11-25 13:40:12.402118
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3a5c7e9b1d2"
down_revision: str | None = "e8c3a5b7d9f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("depot_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_account_depot_id"), ["depot_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_user_account_depot_id_depot"),
            "depot",
            ["depot_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_user_account_depot_id_depot"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_account_depot_id"))
        batch_op.drop_column("depot_id")
