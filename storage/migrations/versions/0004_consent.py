"""consent_events: an append-only consent history per customer (who, when, why)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("brand_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_consent_events_brand_id_brands")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.create_index("ix_consent_brand_customer", ["brand_id", "customer_id"])
    # Opt-outs recorded before the history existed become its first rows.
    op.execute(
        sa.text(
            "INSERT INTO consent_events (brand_id, customer_id, status, actor, source, reason, "
            "created_at) SELECT brand_id, customer_id, 'opted_out', 'migration', source, "
            "'recorded before the consent history', updated_at FROM customers "
            "WHERE CAST(data AS TEXT) LIKE :spaced OR CAST(data AS TEXT) LIKE :tight"
        ).bindparams(spaced='%"opted_out": true%', tight='%"opted_out":true%')
    )


def downgrade() -> None:
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_brand_customer")
    op.drop_table("consent_events")
