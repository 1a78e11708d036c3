"""case dates: indexes on cases.due_on and cases.received_on

Revision ID: 0003_case_dates
Revises: 0002_auth
Create Date: 2026-11-28 19:30:00

Only new indexes (DESIGN.md section 3 contract unchanged). The briefing's "new overdue cases
of the month" reads the cases due, or received, since the comparison month's end; with
these indexes that costs the month's cases, not every case ever recorded.
"""

from alembic import op

revision = "0003_case_dates"
down_revision = "0002_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_due_on", ["due_on"], unique=False)
        batch_op.create_index("ix_cases_received_on", ["received_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_received_on")
        batch_op.drop_index("ix_cases_due_on")
