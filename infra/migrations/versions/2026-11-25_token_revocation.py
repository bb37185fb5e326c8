"""Token revocation: tokens issued to a user before tokens_revoked_at are refused.

Revision ID: e8c3a5b7d9f1
Revises: d7b2f4a9c1e5
Create Date: 2026-11-25 14:02:41.118204
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e8c3a5b7d9f1"
down_revision: str | None = "d7b2f4a9c1e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tokens_revoked_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("tokens_revoked_at")
