"""What the user sees of sign-in (DESIGN.md §6): the password form or the single sign-on
button, who is signed in with the sign-out button in the sidebar, the demo accounts the form
points to on a demo database, and the role guard of a page (from its row in
components/nav.py, the same row its place in the navigation comes from).
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import IntegrityError

from components import auth, nav, oidc, session
from components.format import md_text
from components.session import AuthUser
from data import accounts

# Demo accounts (created only on a demo database, passwords printed once to the console).
DEMO_ACCOUNTS: tuple[tuple[str, str, str | None], ...] = (
    ("demo_province", "province", None),
    ("demo_prefecture", "prefecture", "360100"),  # 南昌市
    ("demo_county", "county", "360781"),  # 瑞金市
    ("demo_admin", "admin", None),
)


def sign_in_form(url: str, demo: bool) -> None:
    """The password form (or, with OIDC configured, the single sign-on button)."""
    notice = st.session_state.pop(session.NOTICE_KEY, None)
    if notice:
        st.info(notice, icon=":material/info:")
    if oidc.configured():
        _oidc_sign_in()
        return
    left, _ = st.columns([2, 3])
    with left:
        with st.form("sign_in", clear_on_submit=True, enter_to_submit=True):
            st.markdown("#### 用户登录")
            username = st.text_input("用户名", key="signin_username", autocomplete="username")
            password = st.text_input(
                "密码", type="password", key="signin_password", autocomplete="current-password"
            )
            submitted = st.form_submit_button("登录", type="primary", width="stretch")
        if submitted:
            ok, message = session.sign_in(url, username, password)
            if ok:
                st.rerun()
            st.error(message, icon=":material/lock:")
        st.caption("账号由系统管理员开通。忘记密码或账号被锁定时，请联系系统管理员。")
        if demo:
            st.warning(
                "**演示模式**：演示账号（省级 demo_province、市级 demo_prefecture、县级 "
                "demo_county、管理员 demo_admin）的密码已在启动看板的终端窗口中打印，只打印一次。"
                "遗失时可运行 `.venv/bin/python -m data.users reset demo_province` 重新生成。",
                icon=":material/science:",
            )


def _oidc_sign_in() -> None:
    """The single sign-on button; a logged-in identity without an account is told whom to
    ask, with a way out of the provider's session."""
    if st.user.is_logged_in:
        who = "、".join(oidc.identity_claims()) or "（未知）"
        st.error(
            f"您的统一身份认证账号（{who}）尚未在本系统开通或已停用，请联系系统管理员。",
            icon=":material/lock:",
        )
        st.button("退出统一身份认证", on_click=st.logout, key="oidc_logout")
        return
    st.markdown("#### 用户登录")
    provider = oidc.provider()
    st.button(
        "使用统一身份认证登录",
        type="primary",
        on_click=st.login,
        args=(provider,) if provider else (),
        key="oidc_login",
    )
    st.caption("登录后按您在本系统开通的账号确定可查看的地区。")


def password_change_form(url: str, user: AuthUser) -> None:
    """The forced change of a generated or reset password, before any data is shown. The
    form keeps what was typed when the change is refused, with the reason in Chinese."""
    st.warning(
        "您的密码由管理员设置（新开通或已重置），请先修改密码后再使用系统。",
        icon=":material/key:",
    )
    left, _ = st.columns([2, 3])
    with left:
        with st.form("change_password", enter_to_submit=True):
            st.markdown("#### 修改密码")
            old = st.text_input(
                "原密码", type="password", key="pw_old", autocomplete="current-password"
            )
            new = st.text_input(
                "新密码",
                type="password",
                key="pw_new",
                autocomplete="new-password",
                help=accounts.PASSWORD_RULE,
            )
            again = st.text_input(
                "再次输入新密码", type="password", key="pw_again", autocomplete="new-password"
            )
            submitted = st.form_submit_button("修改密码", type="primary", width="stretch")
        st.caption(accounts.PASSWORD_RULE)
        if submitted:
            if new != again:
                st.error("两次输入的新密码不一致，请重新输入。", icon=":material/error:")
                return
            ok, message = session.change_password(url, user, old, new)
            if ok:
                st.rerun()
            st.error(message, icon=":material/error:")


def cookie_handoff() -> None:
    """Give the browser its sign-in cookie after a sign-in (or drop it after a sign-out):
    every run calls this, before the sign-in form or the page (components/session.py)."""
    session.deliver_cookie(st.get_option("server.baseUrlPath") or "")


def sidebar(url: str, user: AuthUser, region_name: str) -> None:
    """Who is signed in, and the sign-out button."""
    st.sidebar.caption(
        f"当前用户：{md_text(user.username)}（{user.role_label} · {md_text(region_name)}）"
    )
    if st.sidebar.button("退出登录", key="sign_out", icon=":material/logout:"):
        auth.sign_out(url)
        st.rerun()


# ---------------------------------------------------------------- role guard


def guard_page(user: AuthUser | None, row: nav.PageRow | None) -> AuthUser:
    """`user`, when their role may open the page of `row`; otherwise 无权访问 and the run
    stops (nobody signed in, or `row` None: a page that is not in the table, refused too)."""
    if user is not None and row is not None and row.allows(user.role):
        return user
    message = row.refusal() if row is not None else "您无权查看该页面。"
    st.error(f"**无权访问**\n\n{message}", icon=":material/warning:")
    st.stop()


def page_user(url: str, page_file: str) -> AuthUser:
    """For a page's first lines, `user = signin.page_user(ctx.url, __file__)`: the
    signed-in user when their role may open this page (its row in components/nav.py);
    otherwise the refusal, and the run stops."""
    return guard_page(auth.current_user(url), nav.row(page_file))


# ---------------------------------------------------------------- demo accounts


@st.cache_resource(show_spinner=False)
def ensure_demo_accounts(url: str) -> int:
    """On a demo database, create the demo accounts that do not exist yet and print their
    passwords once to the server console (stdout); nothing else keeps them. Runs once per
    server process. Returns how many accounts were created."""
    engine = session.engine(url)
    created = []
    for username, role, region in DEMO_ACCOUNTS:
        if accounts.get_user(engine, username) is not None:
            continue
        code = accounts.demo_region(engine, role, region)
        if code is None:
            continue
        try:
            password = accounts.add_user(
                engine, username, role, code, must_change_password=False
            )  # synthetic accounts, passwords printed once: no forced change
        except (accounts.UserError, IntegrityError):  # another process created it meanwhile
            continue
        created.append((username, accounts.ROLE_LABELS[role], code, password))
        session.safe_record(url, "system", "user_add", f"{username} {role} {code} 演示账号")
    if created:
        lines = [
            "",
            "=" * 64,
            "演示模式：已创建演示账号（密码只显示这一次，不会保存在任何地方）",
            "Demo mode: demo accounts created (passwords shown once, stored nowhere):",
        ]
        lines += [
            f"  {u:<16} {label:<6} 地区 {code:<8} 密码 {pw}" for u, label, code, pw in created
        ]
        lines += [
            "遗失密码：.venv/bin/python -m data.users reset <用户名>",
            "=" * 64,
            "",
        ]
        print("\n".join(lines), flush=True)
    return len(created)
