"""panel counts: per-(county, month) breakdowns of the thematic panels (issue 16)

Revision ID: 0006_panel_counts
Revises: 0005_supervision
Create Date: 2026-12-06 19:10:00

One new table, written by the rollup and needed by no loader (DESIGN.md section 3 contract
unchanged): panel_counts (region_code, period, panel, category, value). The thematic pages
read it for a province, prefecture or county instead of scanning the raw records.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_panel_counts"
down_revision = "0005_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "panel_counts",
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("panel", sa.String(length=24), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.PrimaryKeyConstraint("region_code", "period", "panel", "category"),
    )
    with op.batch_alter_table("panel_counts", schema=None) as batch_op:
        batch_op.create_index("ix_panel_counts_period_panel", ["period", "panel"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("panel_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_panel_counts_period_panel")
    op.drop_table("panel_counts")
