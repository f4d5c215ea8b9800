"""draft jobs: claim token and lease on requests and batch items, batch id and as-of day on
requests; subject per version

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("draft_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_draft_requests_batch_id"), ["batch_id"], unique=False)
    # "pending" requests were being generated when the old schema was in use.
    op.execute("UPDATE draft_requests SET status = 'generating' WHERE status = 'pending'")
    op.execute(
        "UPDATE draft_requests SET batch_id = substr(requested_by, 7) "
        "WHERE requested_by LIKE 'batch:%'"
    )
    with op.batch_alter_table("draft_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=300), nullable=True))
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claim_token")
    with op.batch_alter_table("draft_versions", schema=None) as batch_op:
        batch_op.drop_column("subject")
    op.execute("UPDATE draft_requests SET status = 'pending' WHERE status = 'generating'")
    with op.batch_alter_table("draft_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_requests_batch_id"))
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claim_token")
        batch_op.drop_column("as_of")
        batch_op.drop_column("batch_id")
