"""Live events: an index on (route_id, kind, id) for a route's latest event of a kind.

Revision ID: a7c9e1f3b5d8
Revises: f3a5c7e9b1d2
Create Date: 2026-12-06 22:05:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a7c9e1f3b5d8"
down_revision: str | None = "f3a5c7e9b1d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_live_event_route_id_kind_id", ["route_id", "kind", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.drop_index("ix_live_event_route_id_kind_id")
