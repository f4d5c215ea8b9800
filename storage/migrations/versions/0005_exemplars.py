"""exemplars: approved drafts (as approved) kept as examples of a brand's voice

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exemplars",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("draft_id", sa.String(length=32), nullable=True),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_exemplars_brand_id_brands")
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_exemplars_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exemplars")),
    )
    with op.batch_alter_table("exemplars", schema=None) as batch_op:
        batch_op.create_index("ix_exemplars_brand_kind", ["brand_id", "kind"])


def downgrade() -> None:
    with op.batch_alter_table("exemplars", schema=None) as batch_op:
        batch_op.drop_index("ix_exemplars_brand_kind")
    op.drop_table("exemplars")
