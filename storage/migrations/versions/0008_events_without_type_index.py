"""events: drop the (brand_id, type, at) index. Every read of events names the customer
(by id or by range) or the draft; this index only cost writes (an ingest put each event at a
random place in it: at 30,000 customers a third of the ingest's time) and misled SQLite's
planner, which took it for queries that also named the customers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_brand_type_at")


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_brand_type_at", ["brand_id", "type", "at"])
