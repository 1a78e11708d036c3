"""supervision: 督办 tasks and their history (issue 17)

Revision ID: 0005_supervision
Revises: 0004_sessions
Create Date: 2026-12-03 21:50:00

Only two new tables, neither needed by the loaders (DESIGN.md section 3 contract unchanged):
supervision_tasks (one row per task, its current status) and supervision_events (every
issue, answer, acceptance and return, as written). Written by data/supervision.py. Times UTC.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_supervision"
down_revision = "0004_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supervision_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=True),
        sa.Column("matter", sa.String(length=200), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("value_at_issue", sa.Float(), nullable=True),
        sa.Column("gap_at_issue", sa.Float(), nullable=True),
        sa.Column("requirement", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issuer_region", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["issuer_region"], ["regions.code"]),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supervision_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supervision_tasks_region_status", ["region_code", "status"], unique=False
        )
        batch_op.create_index("ix_supervision_tasks_issuer_region", ["issuer_region"], unique=False)
    op.create_table(
        "supervision_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["supervision_tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supervision_events", schema=None) as batch_op:
        batch_op.create_index("ix_supervision_events_task_id", ["task_id"], unique=False)
        batch_op.create_index("ix_supervision_events_action_at", ["action", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("supervision_events", schema=None) as batch_op:
        batch_op.drop_index("ix_supervision_events_action_at")
        batch_op.drop_index("ix_supervision_events_task_id")
    op.drop_table("supervision_events")
    with op.batch_alter_table("supervision_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_supervision_tasks_issuer_region")
        batch_op.drop_index("ix_supervision_tasks_region_status")
    op.drop_table("supervision_tasks")
