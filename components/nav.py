"""The pages of the app as data (DESIGN.md §6): one row per page — its file, title, icon, URL,
the roles that may open it and its navigation section.

app.py builds each role's `st.navigation` from these rows, and guards every page run with the
same row (components/signin.py), so adding a page or changing who may see it is one row here.
A page a role may not open is left out of that role's navigation altogether (hidden pages
would stay reachable by URL, DESIGN.md §8): only a hidden stand-in that runs nothing holds
its URL, and the guard refuses it, as it refuses the page should it run all the same.

Who sees what today: the views, every role, each filtered to its own scope; 督办, the users
of a region (province, prefecture, county); administration (data imports, the audit log,
users), admin only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from data import accounts
from data.config import REPO_ROOT

EVERY_ROLE = frozenset(accounts.ROLES)
ADMIN = frozenset({"admin"})
REGION_ROLES = frozenset({"province", "prefecture", "county"})  # who issues or answers 督办


@dataclass(frozen=True)
class PageRow:
    """One page: what st.Page is given, and who may open it."""

    path: str  # the page file, relative to the repository root (app.py's folder)
    title: str
    icon: str
    url_path: str
    roles: frozenset[str]
    section: str = ""  # navigation section heading; "" lists the page without one
    role_titles: Mapping[str, str] = field(default_factory=dict)  # a role's own title
    default: bool = False  # the page "/" opens

    def allows(self, role: str | None) -> bool:
        return role in self.roles

    def title_for(self, role: str | None) -> str:
        return self.role_titles.get(role or "", self.title)

    def refusal(self) -> str:
        """The Chinese message for a role this page is not open to."""
        who = "、".join(accounts.ROLE_LABELS[r] for r in accounts.ROLES if r in self.roles)
        return f"{self.title}仅供{who}使用。"


PAGES: tuple[PageRow, ...] = (
    PageRow(
        "pages/overview.py",
        "全省总览",
        ":material/dashboard:",
        "overview",
        EVERY_ROLE,
        section="看板",
        role_titles={"prefecture": "全市总览", "county": "本县总览"},
        default=True,
    ),
    PageRow("pages/homes.py", "儿童之家", ":material/home:", "homes", EVERY_ROLE, section="看板"),
    PageRow(
        "pages/staffing.py", "队伍建设", ":material/groups:", "staffing", EVERY_ROLE, section="看板"
    ),
    PageRow(
        "pages/interventions.py",
        "个案与关爱",
        ":material/volunteer_activism:",
        "interventions",
        EVERY_ROLE,
        section="看板",
    ),
    PageRow(
        "pages/institutions.py",
        "机构与保障",
        ":material/account_balance:",
        "institutions",
        EVERY_ROLE,
        section="看板",
    ),
    PageRow(
        "pages/county.py",
        "县区详情",
        ":material/location_on:",
        "county",
        EVERY_ROLE,
        section="看板",
    ),
    PageRow(
        "pages/rankings.py",
        "红黑榜",
        ":material/leaderboard:",
        "rankings",
        EVERY_ROLE,
        section="看板",
    ),
    PageRow(
        "pages/alerts.py",
        "预警",
        ":material/notification_important:",
        "alerts",
        EVERY_ROLE,
        section="看板",
    ),
    PageRow(
        "pages/supervision.py",
        "督办",
        ":material/assignment:",
        "supervision",
        REGION_ROLES,
        section="看板",
    ),
    PageRow(
        "pages/briefing.py",
        "会议简报",
        ":material/description:",
        "briefing",
        EVERY_ROLE,
        section="汇报",
    ),
    PageRow(
        "pages/presentation.py",
        "汇报模式",
        ":material/slideshow:",
        "presentation",
        EVERY_ROLE,
        section="汇报",
    ),
    PageRow(
        "pages/data.py", "数据管理", ":material/upload_file:", "data", ADMIN, section="系统管理"
    ),
    PageRow("pages/audit.py", "审计日志", ":material/history:", "audit", ADMIN, section="系统管理"),
    PageRow(
        "pages/users.py",
        "用户管理",
        ":material/manage_accounts:",
        "users",
        ADMIN,
        section="系统管理",
    ),
)


def rows_for(role: str | None) -> list[PageRow]:
    """The rows `role` may open, in table order. None (nobody signed in yet): the rows every
    role may open, only so a deep link keeps its path through the sign-in form (none of them
    is run then)."""
    if role is None:
        return [r for r in PAGES if r.roles >= EVERY_ROLE]
    return [r for r in PAGES if r.allows(role)]


def navigation(
    role: str | None, counts: Mapping[str, int] | None = None
) -> dict[str, list[st.Page]]:
    """What app.py passes to st.navigation for `role`: its rows as st.Page, by section;
    `counts` (by url_path) are shown after a page's title, "督办（2）", when above zero."""
    sections: dict[str, list[st.Page]] = {}
    allowed = rows_for(role)
    for r in allowed:
        n = (counts or {}).get(r.url_path, 0)
        title = r.title_for(role) + (f"（{n}）" if n else "")
        page = st.Page(r.path, title=title, icon=r.icon, url_path=r.url_path, default=r.default)
        sections.setdefault(r.section, []).append(page)
    for r in PAGES:
        if r not in allowed:
            sections.setdefault(r.section, []).append(stand_in(r))
    return sections


def _refused_by_the_guard() -> None:
    """The body of a stand-in: never reached, app.py's guard refuses the row first."""


def stand_in(row: PageRow) -> st.Page:
    """A hidden page at `row`'s URL for a role that may not open it, so that a bookmarked
    /users opened by a county user (or before the sign-in) is 无权访问 in Chinese, or after
    the sign-in the page itself, instead of Streamlit's English "Page not found" dialog and
    the main page (issue 18.2). The page file is never passed (DESIGN.md §8): the stand-in
    runs nothing, and app.py's guard refuses it by its row before it would."""
    return st.Page(
        _refused_by_the_guard, title=row.title, url_path=row.url_path, visibility="hidden"
    )


def follow_return(sections: dict[str, list[st.Page]], chosen: st.Page, key: str) -> None:
    """A page file run before app.py on a server's first request hands over to app.py with
    the page it was asked for in the query parameter `key` (components/db.get_context): go
    there once the navigation knows its pages. An unknown name is dropped; a page the role
    may not open is its stand-in, which the guard refuses in Chinese."""
    wanted = st.query_params.get(key)
    if wanted is None:
        return
    rest = {k: v for k, v in st.query_params.to_dict().items() if k != key}
    del st.query_params[key]
    target = next((p for ps in sections.values() for p in ps if p.url_path == wanted), None)
    if target is not None and target.url_path != chosen.url_path:
        st.switch_page(target, query_params=rest)


def row(path: str | Path) -> PageRow:
    """The row of a page file: a path relative to the repository root ("pages/audit.py") or
    a page's own `__file__`. KeyError for a file that is not in the table."""
    p = Path(path)
    if p.is_absolute():
        p = p.resolve()
        root = REPO_ROOT.resolve()
        p = p.relative_to(root) if p.is_relative_to(root) else p
    for r in PAGES:
        if r.path == p.as_posix():
            return r
    raise KeyError(f"{path} is not a page of components/nav.py")


def row_of(page: st.Page, role: str | None) -> PageRow | None:
    """The row of the page st.navigation chose from `navigation(role)` (None: not a page of
    the table). The default page reports the URL "" (st.Page's convention for "/"), so it is
    the role's default row, or its first as st.navigation takes when none is marked."""
    if page.url_path == "":
        rows = rows_for(role)
        return next((r for r in rows if r.default), rows[0] if rows else None)
    return next((r for r in PAGES if r.url_path == page.url_path), None)
