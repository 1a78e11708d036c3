"""The reporting database (DESIGN.md §3, a contract: add columns, never rename).

Enumerations are stored as English codes; `data.labels` maps them to Chinese.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    false,
    true,
)

metadata = MetaData()

CODE = String(12)  # 6-digit adcode, 9-digit township, 12-digit village


def _code_fk(name: str = "region_code", nullable: bool = False) -> Column:
    return Column(name, CODE, ForeignKey("regions.code"), nullable=nullable)


regions = Table(
    "regions",
    metadata,
    Column("code", CODE, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("level", String(16), nullable=False),  # province, prefecture, county, township, village
    Column("parent_code", CODE, ForeignKey("regions.code"), nullable=True),
    Column("kind", String(16), nullable=True),  # town/township/street; village/community
    Column("is_former_poverty_county", Boolean, nullable=False, server_default=false()),
    Column("population", Integer, nullable=True),
    Index("ix_regions_parent_code", "parent_code"),
    Index("ix_regions_level", "level"),
)

children_homes = Table(
    "children_homes",
    metadata,
    Column("id", Integer, primary_key=True),
    _code_fk("village_code"),
    Column("name", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # operating, building, closed
    Column("is_demonstration", Boolean, nullable=False, server_default=false()),
    Column("established_on", Date, nullable=True),
    Column("closed_on", Date, nullable=True),
    Column("funding_yuan", Numeric(14, 2), nullable=True),
    Index("ix_children_homes_village_code", "village_code"),
)

home_activities = Table(
    "home_activities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("home_id", Integer, ForeignKey("children_homes.id"), nullable=False),
    Column("activity_on", Date, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("participants", Integer, nullable=True),
    Index("ix_home_activities_home_id_activity_on", "home_id", "activity_on"),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("role", String(16), nullable=False),  # supervisor (township), director (village)
    _code_fk(),
    Column("name", String(64), nullable=False),
    Column("gender", String(1), nullable=True),  # F, M
    Column("phone", String(20), nullable=True),
    Column("is_female_committee_member", Boolean, nullable=False, server_default=false()),
    Column("is_dedicated", Boolean, nullable=False, server_default=false()),
    Column("background", String(32), nullable=True),
    Column("appointed_on", Date, nullable=False),
    Column("left_on", Date, nullable=True),
    Column("is_registered", Boolean, nullable=False, server_default=false()),
    Column("info_updated_on", Date, nullable=True),
    Index("ix_staff_region_code", "region_code"),
)

trainings = Table(
    "trainings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("trained_on", Date, nullable=False),
    Column("kind", String(16), nullable=False),  # initial, annual
    Column("passed", Boolean, nullable=False, server_default=false()),
    Index("ix_trainings_staff_id", "staff_id"),
)

children = Table(
    "children",
    metadata,
    Column("id", Integer, primary_key=True),
    _code_fk("village_code"),
    Column("category", String(16), nullable=False),  # left_behind, difficulty
    Column("left_behind_type", String(32), nullable=True),
    Column("difficulty_type", String(32), nullable=True),
    Column("name", String(64), nullable=False),
    Column("gender", String(1), nullable=True),
    Column("birth_date", Date, nullable=True),
    Column("id_number", String(18), nullable=True),
    Column("guardian_type", String(16), nullable=True),
    Column("guardianship_quality", String(16), nullable=True),
    Column("health_status", String(16), nullable=True),
    Column("school_stage", String(24), nullable=True),
    Column("in_school", Boolean, nullable=True),
    Column("registered_on", Date, nullable=False),
    Column("exited_on", Date, nullable=True),
    Column("updated_on", Date, nullable=True),
    Index("ix_children_village_code", "village_code"),
)

visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", Integer, ForeignKey("children.id"), nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=True),
    Column("visited_on", Date, nullable=False),
    Column("method", String(8), nullable=True),  # home, phone
    Column("concern_found", Boolean, nullable=False, server_default=false()),
    Index("ix_visits_visited_on_child_id", "visited_on", "child_id"),
    Index("ix_visits_child_id", "child_id"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", Integer, ForeignKey("children.id"), nullable=True),
    _code_fk(),
    Column("source", String(24), nullable=False),
    Column("concern", String(24), nullable=False),
    Column("risk_level", String(8), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("assessed_on", Date, nullable=True),
    Column("status", String(16), nullable=False),  # received, assessing, in_progress, closed
    Column("due_on", Date, nullable=True),
    Column("closed_on", Date, nullable=True),
    Index("ix_cases_region_code", "region_code"),
    Index("ix_cases_due_on", "due_on"),  # 0003_case_dates
    Index("ix_cases_received_on", "received_on"),  # 0003_case_dates
)

referrals = Table(
    "referrals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("department", String(32), nullable=False),
    Column("referred_on", Date, nullable=False),
    Column("responded_on", Date, nullable=True),
    Index("ix_referrals_case_id", "case_id"),
    Index("ix_referrals_referred_on", "referred_on"),
)

care_actions = Table(
    "care_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", Integer, ForeignKey("children.id"), nullable=False),
    Column("action_type", String(24), nullable=False),
    Column("provider_type", String(24), nullable=True),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date, nullable=True),
    Index("ix_care_actions_child_id", "child_id"),
)

institutions = Table(
    "institutions",
    metadata,
    Column("id", Integer, primary_key=True),
    _code_fk(),
    Column("kind", String(32), nullable=False),
    Column("is_regional", Boolean, nullable=False, server_default=false()),
    Column("status", String(16), nullable=False),  # transformed, designated, pending
    Column("capacity", Integer, nullable=True),
    Column("children_in_care", Integer, nullable=True),
    Index("ix_institutions_region_code", "region_code"),
)

service_purchases = Table(
    "service_purchases",
    metadata,
    Column("id", Integer, primary_key=True),
    _code_fk(),
    Column("year", Integer, nullable=False),
    Column("item", String(32), nullable=False),
    Column("amount_yuan", Numeric(14, 2), nullable=False),
    Column("provider_org", String(128), nullable=True),
    Index("ix_service_purchases_region_code_year", "region_code", "year"),
)

kpi_snapshots = Table(
    "kpi_snapshots",
    metadata,
    Column("region_code", CODE, ForeignKey("regions.code"), primary_key=True),
    Column("period", String(7), primary_key=True),  # 'YYYY-MM'
    Column("metric", String(40), primary_key=True),
    Column("numerator", Float, nullable=True),
    Column("denominator", Float, nullable=True),
    Column("value", Float, nullable=True),
    Index("ix_kpi_snapshots_period_metric", "period", "metric"),
)

# Breakdowns of the thematic panels (issue 16), written by the rollup beside kpi_snapshots for
# every county and month: one row per (county, month, panel, category), e.g. ('care',
# 'family_support') = active children with an active 亲情关爱 action on D. Prefectures and the
# province are the sums of their counties, so the pages read counties only. Not part of the
# loaders' contract (DESIGN.md §3): nothing loads it, the rollup rebuilds it.
panel_counts = Table(
    "panel_counts",
    metadata,
    Column("region_code", CODE, ForeignKey("regions.code"), primary_key=True),
    Column("period", String(7), primary_key=True),  # 'YYYY-MM'
    Column("panel", String(24), primary_key=True),
    Column("category", String(40), primary_key=True),
    Column("value", Float, nullable=False),
    Index("ix_panel_counts_period_panel", "period", "panel"),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("file_name", String(255), nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("rows_in", Integer, nullable=True),
    Column("rows_loaded", Integer, nullable=True),
    Column("status", String(16), nullable=False),
    Column("errors_json", Text, nullable=True),
    Column("imported_by", String(64), nullable=True),
    Column("imported_at", DateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=True),
    Column("action", String(32), nullable=False),
    Column("target", String(255), nullable=True),
    # 0004_sessions: where a sign-in came from, and the hash chain (data/audit.py): each row's
    # row_hash covers its own fields and the previous row's row_hash.
    Column("client_addr", String(64), nullable=True),
    Column("user_agent", String(255), nullable=True),
    Column("row_hash", String(64), nullable=True),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_username_at", "username", "at"),  # 0002_auth
    Index("ix_audit_log_action_at", "action", "at"),  # 0002_auth
)

app_users = Table(
    "app_users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # province, prefecture, county, admin
    Column("region_code", CODE, ForeignKey("regions.code"), nullable=True),
    Column("is_active", Boolean, nullable=False, server_default=true()),
    # 0002_auth (not in the contract; times UTC): lock-out after repeated failures, password
    # age, last sign-in, and the dedicated permission to see unmasked personal data.
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("failed_since", DateTime, nullable=True),
    Column("locked_until", DateTime, nullable=True),
    Column("password_changed_at", DateTime, nullable=True),
    Column("last_sign_in_at", DateTime, nullable=True),
    Column("can_view_personal", Boolean, nullable=False, server_default=false()),
    # 0004_sessions: a generated or reset password must be changed at the next sign-in.
    Column("must_change_password", Boolean, nullable=False, server_default=false()),
)

# Not part of the contract (0004_sessions): server-side sign-in sessions (components/
# session.py). The browser holds a random token in an HttpOnly cookie; only its SHA-256 is
# kept here (token_hash, set when the browser claims the cookie). Times UTC.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # random; names the session inside the server
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("claim_hash", String(64), nullable=True, unique=True),  # one-time cookie hand-off
    Column("claim_expires_at", DateTime, nullable=True),
    Column("username", String(64), ForeignKey("app_users.username"), nullable=False),
    Column("via", String(16), nullable=False),  # password, oidc
    Column("identity", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("ended_at", DateTime, nullable=True),
    Column("end_reason", String(32), nullable=True),
    Column("client_addr", String(64), nullable=True),
    Column("user_agent", String(255), nullable=True),
    Index("ix_auth_sessions_username", "username"),
)

# Not part of the contract (0005_supervision; issue 17): 督办 tasks a province or prefecture
# user issues to a county (or a province user to a prefecture) and their history. Statuses:
# pending 待反馈, answered 已反馈, closed 已销号, returned 退回 (data/supervision.py has the
# rules). metric null = a free-text matter (`matter`). The figure and gap at issue are kept as
# seen then. Times UTC; deadline and done_on are calendar days.
supervision_tasks = Table(
    "supervision_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    _code_fk(),  # the county or prefecture that must answer
    Column("metric", String(40), nullable=True),
    Column("matter", String(200), nullable=True),
    Column("period", String(7), nullable=True),  # 'YYYY-MM' of the figure at issue
    Column("value_at_issue", Float, nullable=True),
    Column("gap_at_issue", Float, nullable=True),
    Column("requirement", Text, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("issuer_region", CODE, ForeignKey("regions.code"), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("answer", Text, nullable=True),  # the latest answer
    Column("done_on", Date, nullable=True),  # the latest answer's "done by"
    Column("answered_at", DateTime, nullable=True),
    Column("closed_at", DateTime, nullable=True),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_supervision_tasks_region_status", "region_code", "status"),
    Index("ix_supervision_tasks_issuer_region", "issuer_region"),
)

supervision_events = Table(
    "supervision_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("supervision_tasks.id"), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # issue, answer, accept, send_back
    Column("body", Text, nullable=True),  # requirement, answer or reason, as written
    Column("done_on", Date, nullable=True),
    Column("deadline", Date, nullable=True),  # issue: the deadline; send_back: a new one
    Index("ix_supervision_events_task_id", "task_id"),
    Index("ix_supervision_events_action_at", "action", "at"),
)

# Not part of the contract: key/value facts about the database itself (demo flag, data date).
app_meta = Table(
    "app_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=True),
)

RAW_TABLES = (
    regions,
    children_homes,
    home_activities,
    staff,
    trainings,
    children,
    visits,
    cases,
    referrals,
    care_actions,
    institutions,
    service_purchases,
)
