"""auth: lock-out, password age, personal-data permission on app_users; audit_log indexes

Revision ID: 0002_auth
Revises: 0001_baseline
Create Date: 2026-11-29 10:00:00

Only new nullable or defaulted columns and new indexes (DESIGN.md section 3 contract).
Times are UTC without a zone, as written by data/accounts.py and data/audit.py.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_auth"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("failed_since", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_sign_in_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("can_view_personal", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_username_at", ["username", "at"], unique=False)
        batch_op.create_index("ix_audit_log_action_at", ["action", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_action_at")
        batch_op.drop_index("ix_audit_log_username_at")
    with op.batch_alter_table("app_users", schema=None) as batch_op:
        batch_op.drop_column("can_view_personal")
        batch_op.drop_column("last_sign_in_at")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_since")
        batch_op.drop_column("failed_attempts")
