"""draft_requests (brand_id, created_at): the review queue's newest-first page reads the
brand's newest requests instead of sorting all of them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("draft_requests", schema=None) as batch_op:
        batch_op.create_index("ix_draft_requests_brand_created", ["brand_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("draft_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_draft_requests_brand_created")
