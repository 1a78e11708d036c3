"""用户管理 (admin only): the accounts and their state, and the everyday changes — add,
disable/enable, unlock, reset a password (a generated one, shown once on this page and
nowhere else, that the user must change at the first sign-in), the permission to see
unmasked personal data. Each change is audited. The same operations exist on the command
line (`python -m data.users`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import db, signin, tables
from data import accounts
from queries import audit, regions

ctx = db.get_context()
admin = signin.page_user(ctx.url, __file__)  # its row of components/nav.py: admins only
engine = db.engine_for(ctx.url)


FLASH_KEY = "users_flash"


def done(action: str, target: str, message: str, rerun: bool = True) -> None:
    """Audit the change; then rerun so the table shows it (a password to show once is shown
    in this run instead, and never kept in session state)."""
    audit.record(engine, admin.username, action, target)
    if rerun:
        st.session_state[FLASH_KEY] = message
        st.rerun()
    st.success(message, icon=":material/check_circle:")


st.title("用户管理")
st.caption(
    "角色：省级用户看全省，市级、县级用户只看本地区；系统管理员另可查看审计日志和管理用户。"
    "密码只以加盐慢哈希保存，新密码只在生成时显示一次，用户首次登录时须改为自己的密码"
    f"（至少 {accounts.MIN_PASSWORD} 个字符，含大写字母、小写字母、数字、符号中的至少 "
    f"{accounts.PASSWORD_CLASSES} 类，"
    "且不含用户名）。"
)

flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash, icon=":material/check_circle:")
now = audit.utc_now()
table = accounts.list_users(engine)


def status(row: pd.Series) -> str:
    if not row["is_active"]:
        return "停用"
    locked = row["locked_until"]
    if locked is not None and not pd.isna(locked) and locked > now:
        return "已锁定"
    return "正常"


def when(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return audit.to_local(value).strftime("%Y-%m-%d %H:%M")


shown = pd.DataFrame(
    {
        "用户名": table["username"],
        "角色": table["role"].map(lambda r: accounts.ROLE_LABELS.get(r, r)),
        "所属地区": table["region_name"].fillna("—"),
        "地区代码": table["region_code"].fillna("—"),
        "状态": table.apply(status, axis=1) if len(table) else [],
        "可查看未脱敏信息": table["can_view_personal"].map({True: "是", False: "否"}),
        "最近登录": table["last_sign_in_at"].map(when),
        "密码设置时间": table["password_changed_at"].map(when),
        "须改密码": table["must_change_password"].map({True: "是", False: "否"}),
    }
)
tables.data_table(
    shown,
    title="用户账号",
    caption=f"用户账号 · {audit.to_local(audit.utc_now()):%Y-%m-%d}",
    key="users_table",
)

# ---------------------------------------------------------------- change one account
st.subheader("账号操作")
names = table["username"].tolist()
if names:
    name = st.selectbox("选择用户", names, key="users_pick")
    row = table.set_index("username").loc[name]
    cols = st.columns(5)
    own = name == admin.username
    if row["is_active"]:
        if cols[0].button("停用", key="users_disable", disabled=own, help="不能停用自己"):
            accounts.set_active(engine, name, False)
            done("user_disable", name, f"已停用用户 {name}。")
    elif cols[0].button("启用", key="users_enable"):
        accounts.set_active(engine, name, True)
        done("user_enable", name, f"已启用用户 {name}。")
    if cols[1].button("解除锁定", key="users_unlock"):
        accounts.unlock(engine, name)
        done("user_unlock", name, f"已解除用户 {name} 的锁定。")
    if cols[2].button("重置密码", key="users_reset"):
        password = accounts.reset_password(engine, name)
        done("user_reset", name, f"已重置用户 {name} 的密码，其已登录的会话将失效。", False)
        st.markdown("新密码（只显示这一次，请妥善转交；用户首次登录时须修改）：")
        st.code(password, language=None)
    personal = bool(row["can_view_personal"])
    label = "收回未脱敏权限" if personal else "授予未脱敏权限"
    if cols[4].button("强制下线", key="users_end_sessions", help="结束该用户在所有窗口的登录"):
        ended = accounts.end_sessions(engine, name)
        done(
            "sessions_ended", f"{name} {ended} 个会话", f"已结束用户 {name} 的 {ended} 个登录会话。"
        )
    if cols[3].button(label, key="users_personal"):
        accounts.set_personal_permission(engine, name, not personal)
        done(
            "user_update",
            f"{name} 未脱敏权限={'无' if personal else '有'}",
            f"已{'收回' if personal else '授予'}用户 {name} 查看未脱敏个人信息的权限。",
        )

# ---------------------------------------------------------------- add an account
st.subheader("新增用户")
role = st.selectbox(
    "角色", accounts.ROLES, format_func=accounts.ROLE_LABELS.get, key="users_new_role", index=None
)
if role:
    level = accounts.ROLE_LEVEL[role]
    if level == "province":
        choices = {ctx.scope: "本省"}
    else:
        found = regions.children_of(engine, ctx.scope, ctx.scope, level)
        choices = dict(zip(found["code"], found["name"], strict=True))
    with st.form("users_new", clear_on_submit=True):
        new_name = st.text_input("用户名", key="users_new_name")
        region = st.selectbox(
            "所属地区",
            list(choices),
            format_func=lambda c: f"{choices[c]}（{c}）",
            key="users_new_region",
        )
        personal = st.checkbox("可查看未脱敏个人信息", key="users_new_personal")
        submitted = st.form_submit_button("新增", type="primary")
    if submitted:
        try:
            password = accounts.add_user(
                engine, new_name.strip(), role, region, can_view_personal=personal
            )
        except accounts.UserError as exc:
            st.error(str(exc), icon=":material/warning:")
        else:
            done(
                "user_add", f"{new_name.strip()} {role} {region}", f"已新增用户 {new_name}。", False
            )
            st.markdown("初始密码（只显示这一次，请妥善转交；用户首次登录时须修改）：")
            st.code(password, language=None)
