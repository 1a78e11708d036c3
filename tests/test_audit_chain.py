"""audit_log's hash chain (data/audit.py, issue 15) on SQLite and PostgreSQL: it verifies
after many writes, concurrent ones included; an edited, a deleted and an inserted row are each
caught at the right first broken id; rows from before the chain are unchained, not broken; the
retention purge keeps the 180-day floor and leaves a chain that still verifies; the CLI's exit
code and message; the 审计日志 page's verdict."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text

from core.settings import environment
from data import audit
from data.audit import main as cli
from data.config import REPO_ROOT
from data.db import make_engine
from data.schema import audit_log
from queries import audit as audit_queries
from tests.apptest import clear_streamlit_caches, ensure_user, run_app
from tests.fixtures.demo import tiny_sqlite_url


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(audit_log.c.id).order_by(audit_log.c.id)).scalars())


def write(engine: Engine, n: int, at: datetime | None = None) -> list[int]:
    """`n` rows through the app's writer (sign-ins with an address and agent); their ids."""
    for i in range(n):
        audit.record(
            engine,
            f"user{i}",
            "sign_in",
            "password",
            at=at,
            client_addr=f"10.0.0.{i}",
            user_agent=f"Mozilla/5.0 测试 {i}",
        )
    return ids(engine)[-n:]


def sql(engine: Engine, statement: str, **params) -> None:
    """Tampering from outside the app: raw SQL on the table."""
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def forge(engine: Engine, row_id: int | None = None, row_hash: str | None = "f" * 64) -> int:
    """A row INSERTed by raw SQL (explicit id or the table's default) with a made-up hash."""
    values = {"at": audit.utc_now(), "row_hash": row_hash}
    columns = "at, username, action, target, row_hash"
    marks = ":at, 'intruder', 'export', '伪造的导出', :row_hash"
    if row_id is not None:
        columns, marks = "id, " + columns, ":id, " + marks
        values["id"] = row_id
    sql(engine, f"INSERT INTO audit_log ({columns}) VALUES ({marks})", **values)  # noqa: S608
    with engine.connect() as conn:
        return conn.execute(
            select(audit_log.c.id).where(audit_log.c.username == "intruder")
        ).scalar_one()


# ---------------------------------------------------------------- writing


def test_the_chain_verifies_after_many_writes_including_concurrent_ones(engine):
    first = write(engine, 20)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                audit.record(engine, f"t{k}", "export", f"文件 {k}-{i}.xlsx")
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = audit.verify_chain(engine)
    assert report.ok and report.rows == 20 + 6 * 15 and report.unchained == 0
    assert report.head_id == ids(engine)[-1] and len(report.head_hash) == 64
    with engine.connect() as conn:
        hashes = list(conn.execute(select(audit_log.c.row_hash)).scalars())
        sign_in = conn.execute(select(audit_log).where(audit_log.c.id == first[3])).one()
    assert len(set(hashes)) == len(hashes) == 110 and None not in hashes
    assert (sign_in.client_addr, sign_in.user_agent) == ("10.0.0.3", "Mozilla/5.0 测试 3")


def test_address_and_agent_are_cut_to_their_columns(engine):
    audit.record(engine, "zhang", "sign_in", "password", client_addr="a" * 80, user_agent="b" * 400)
    with engine.connect() as conn:
        row = conn.execute(select(audit_log)).one()
    assert len(row.client_addr) == 64 and len(row.user_agent) == 255
    assert row.user_agent.endswith("…") and audit.verify_chain(engine).ok


def test_the_hash_covers_every_field_and_the_previous_hash():
    row = {
        "id": 7,
        "at": datetime(2026, 11, 2, 3, 4, 5, 678),
        "username": "zhang",
        "action": "sign_in",
        "target": "password",
        "client_addr": "10.0.0.1",
        "user_agent": "Mozilla",
    }
    base = audit.row_hash(audit.GENESIS, row)
    assert len(base) == 64 and base == audit.row_hash(audit.GENESIS, dict(row))
    assert audit.row_hash("1" * 64, row) != base
    changed = {"id": 8, "at": datetime(2026, 11, 2, 3, 4, 5, 679), "user_agent": None}
    for field, value in {**{k: "x" for k in row}, **changed}.items():
        assert audit.row_hash(audit.GENESIS, {**row, field: value}) != base, field


# ---------------------------------------------------------------- tampering


@pytest.mark.parametrize(
    ("column", "value"),
    [("target", "'改过的对象'"), ("username", "'someone_else'"), ("user_agent", "NULL")],
)
def test_an_edited_row_is_named(engine, column, value):
    written = write(engine, 8)
    sql(engine, f"UPDATE audit_log SET {column} = {value} WHERE id = :id", id=written[4])  # noqa: S608
    report = audit.verify_chain(engine)
    assert not report.ok and report.broken_id == written[4] and report.problem == "edited"
    assert report.rows == 4 and report.head_id == written[3]
    assert "被修改" in report.problem_zh()


def test_an_edited_time_is_caught(engine):
    written = write(engine, 5)
    sql(
        engine,
        "UPDATE audit_log SET at = :at WHERE id = :id",
        at=datetime(2020, 1, 1),
        id=written[0],
    )
    report = audit.verify_chain(engine)
    assert (report.ok, report.broken_id, report.problem) == (False, written[0], "edited")


def test_a_deleted_row_is_named(engine):
    written = write(engine, 8)
    sql(engine, "DELETE FROM audit_log WHERE id = :id", id=written[3])
    report = audit.verify_chain(engine)
    assert not report.ok and report.broken_id == written[4] and report.problem == "deleted"
    assert report.missing == (written[3], written[3])
    assert f"缺少 id {written[3]}" in report.problem_zh()


def test_deleted_rows_in_a_run_are_named_with_their_range(engine):
    written = write(engine, 8)
    sql(engine, "DELETE FROM audit_log WHERE id BETWEEN :lo AND :hi", lo=written[2], hi=written[5])
    report = audit.verify_chain(engine)
    assert (report.broken_id, report.problem, report.missing) == (
        written[6],
        "deleted",
        (written[2], written[5]),
    )


def test_deleting_the_first_row_is_named(engine):
    written = write(engine, 4)
    sql(engine, "DELETE FROM audit_log WHERE id = :id", id=written[0])
    report = audit.verify_chain(engine)
    assert not report.ok and report.broken_id == written[1] and report.rows == 0
    # SQLite's ids start at 1, so the gap is a deletion; PostgreSQL's sequence may start anywhere
    if engine.dialect.name == "sqlite":
        assert (report.problem, report.missing) == ("deleted", (1, 1))


def test_deleting_the_newest_row_shows_only_in_the_head(engine):
    """The chain's limit, said by a test: removing the newest row leaves a chain that verifies,
    which is why the CLI prints the head (id and hash) for the operator to keep elsewhere."""
    written = write(engine, 5)
    before = audit.verify_chain(engine)
    sql(engine, "DELETE FROM audit_log WHERE id = :id", id=written[-1])
    after = audit.verify_chain(engine)
    assert after.ok and after.head_id == written[-2] and after.head_hash != before.head_hash


def test_a_row_inserted_by_raw_sql_is_named(engine):
    written = write(engine, 5)
    intruder = forge(engine)  # the table's next id, a made-up hash
    write(engine, 3)  # the app goes on writing after it
    report = audit.verify_chain(engine)
    assert not report.ok and report.broken_id == intruder and intruder > written[-1]
    assert report.rows == 5 and "伪造哈希插入" in report.problem_zh()


def test_a_row_inserted_ahead_of_the_chain_is_named_as_inserted(engine):
    written = write(engine, 5)
    intruder = forge(engine, row_id=written[0] - 1)  # a low id: backdated into the chain
    report = audit.verify_chain(engine)
    assert (report.broken_id, report.problem) == (intruder, "inserted")
    assert "插入" in report.problem_zh()


def test_a_row_without_a_hash_after_the_chain_is_broken(engine):
    write(engine, 3)
    intruder = forge(engine, row_hash=None)
    report = audit.verify_chain(engine)
    assert (report.ok, report.broken_id, report.problem) == (False, intruder, "unhashed")


def test_rows_from_before_the_chain_are_unchained_not_broken(engine):
    """Older databases: rows written before the chain have no hash."""
    for i in range(3):
        sql(
            engine,
            "INSERT INTO audit_log (at, username, action, target) VALUES (:at, 'old', 'export', :t)",
            at=datetime(2026, 1, 1 + i),
            t=f"旧记录 {i}",
        )
    old = ids(engine)
    only_old = audit.verify_chain(engine)
    assert only_old.ok and only_old.rows == 0 and only_old.unchained == 3
    assert only_old.unchained_before == old[-1] + 1
    chained = write(engine, 4)
    report = audit.verify_chain(engine)
    assert report.ok and report.rows == 4 and report.unchained == 3
    assert report.unchained_before == chained[0]
    sql(engine, "UPDATE audit_log SET target = '改' WHERE id = :id", id=chained[1])
    assert audit.verify_chain(engine).broken_id == chained[1]


# ---------------------------------------------------------------- retention


def test_the_retention_setting_has_a_180_day_floor(monkeypatch, caplog):
    monkeypatch.delenv("AUDIT_RETENTION_DAYS", raising=False)
    assert environment().audit_retention_days == 365
    for value, days in [("400", 400), ("180", 180), ("abc", 365), ("0", 365), ("-3", 365)]:
        monkeypatch.setenv("AUDIT_RETENTION_DAYS", value)
        assert environment().audit_retention_days == days, value
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "30")
    with caplog.at_level(logging.WARNING, logger="core.settings"):
        assert environment().audit_retention_days == 180
    assert "legal floor" in caplog.text
    assert audit.retention_days(7) == 180 and audit.retention_days(200) == 200


def test_purge_keeps_the_floor_and_the_chain_still_verifies(engine, monkeypatch):
    now = audit.utc_now()
    ages = [500, 400, 300, 200, 170, 10, 0]
    for i, age in enumerate(ages):
        audit.record(engine, f"u{i}", "export", f"第 {i} 条", at=now - timedelta(days=age))
    written = ids(engine)
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "30")  # under the floor: 180 days are kept
    result = audit.purge(engine, actor="cli:tester", now=now)
    assert (result.deleted, result.days, result.anchor_id) == (4, 180, written[3])
    kept = ids(engine)
    assert kept[:3] == written[4:] and len(kept) == 4  # the 170-day-old row stays
    with engine.connect() as conn:
        purge_row = conn.execute(select(audit_log).where(audit_log.c.id == kept[-1])).one()
    assert (purge_row.username, purge_row.action) == ("cli:tester", "audit_purge")
    assert f"id ≤ {written[3]}" in purge_row.target and "4 条" in purge_row.target
    report = audit.verify_chain(engine)
    assert report.ok and report.rows == 4 and report.anchor_id == written[3]
    write(engine, 3)
    assert audit.verify_chain(engine).ok

    again = audit.purge(engine, days=30, now=now)  # the floor again: nothing is that old
    assert again.deleted == 0 and len(ids(engine)) == 7  # and nothing was written

    sql(engine, "DELETE FROM audit_log WHERE id = :id", id=kept[0])  # the first after the anchor
    broken = audit.verify_chain(engine)
    assert (broken.broken_id, broken.problem, broken.missing) == (
        kept[1],
        "deleted",
        (kept[0], kept[0]),
    )


def test_purge_deletes_a_prefix_only_and_a_row_at_the_anchor_is_caught(engine):
    now = audit.utc_now()
    for age in (500, 10, 400):  # a backdated row after a young one is not reached
        audit.record(engine, "u", "export", f"{age} 天前", at=now - timedelta(days=age))
    written = ids(engine)
    assert audit.purge(engine, now=now).deleted == 1
    assert ids(engine)[:2] == written[1:]
    assert audit.verify_chain(engine).ok
    intruder = forge(engine, row_id=written[0])  # into the purged id, at the anchor
    report = audit.verify_chain(engine)
    assert (report.broken_id, report.problem) == (intruder, "before_anchor")


def test_purging_every_row_leaves_the_purge_row_chained_to_the_anchor(engine):
    now = audit.utc_now()
    write(engine, 4, at=now - timedelta(days=400))
    written = ids(engine)
    assert audit.purge(engine, now=now).deleted == 4
    assert ids(engine)[0] > written[-1]  # ids keep rising past the anchor
    write(engine, 2)
    report = audit.verify_chain(engine)
    assert report.ok and report.rows == 3 and report.anchor_id == written[-1]


# ---------------------------------------------------------------- the CLI


def test_cli_verify_and_purge(engine, capsys):
    url = url_of(engine)
    written = write(engine, 6)
    assert cli(["verify", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "审计日志哈希链完整 (audit chain verifies): 6 条记录" in out
    assert f"链尾 (head): id {written[-1]} " in out

    assert cli(["purge", "--url", url, "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert "保留期不得少于 180 天" in out and "没有北京时间" in out
    assert len(ids(engine)) == 6

    sql(engine, "UPDATE audit_log SET target = '改' WHERE id = :id", id=written[2])
    assert cli(["verify", "--url", url]) == 1
    out = capsys.readouterr().out
    assert f"审计日志哈希链在 id {written[2]} 处断开 (audit chain broken at id {written[2]})" in out
    assert "被修改" in out and "此前 2 条记录校验通过" in out


def test_cli_purge_reports_what_it_deleted(engine, capsys, monkeypatch):
    monkeypatch.delenv("AUDIT_RETENTION_DAYS", raising=False)
    write(engine, 3, at=audit.utc_now() - timedelta(days=400))
    write(engine, 1)
    assert cli(["purge", "--url", url_of(engine)]) == 0
    out = capsys.readouterr().out
    assert (
        "已清理" in out and "3 条审计记录" in out and "(purged 3 rows older than 365 days)" in out
    )
    with engine.connect() as conn:
        actor = conn.execute(
            select(audit_log.c.username).where(audit_log.c.action == "audit_purge")
        ).scalar_one()
    assert actor.startswith("cli")
    assert cli(["verify", "--url", url_of(engine)]) == 0


def test_python_m_data_audit_verify_exit_code(engine):
    written = write(engine, 3)
    command = [sys.executable, "-m", "data.audit", "verify", "--url", url_of(engine)]
    ok = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "3 条记录" in ok.stdout
    sql(engine, "DELETE FROM audit_log WHERE id = :id", id=written[1])
    bad = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and f"id {written[2]} 处断开" in bad.stdout


def test_cli_reports_a_database_without_the_log(tmp_path, capsys):
    code = cli(["verify", "--url", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert code == 1 and "审计日志操作失败 (audit verify failed)" in capsys.readouterr().out


# ---------------------------------------------------------------- the page


def test_the_log_extent_changes_with_every_row_written_or_deleted(engine):
    """What the page keys its cached verdict on."""
    assert audit_queries.log_extent(engine) == (0, None)
    written = write(engine, 3)
    assert audit_queries.log_extent(engine) == (3, written[-1])
    sql(engine, "DELETE FROM audit_log WHERE id = :id", id=written[0])
    assert audit_queries.log_extent(engine) == (2, written[-1])


def test_the_audit_page_says_whether_the_chain_verifies(tmp_path_factory, apptest_env):
    url = tiny_sqlite_url(tmp_path_factory, "audit_chain")
    admin = ensure_user(url, "admin")
    at = run_app(url, user=admin, page="pages/audit.py")
    assert not at.exception
    assert any(s.value.startswith("哈希链校验通过：") for s in at.success)
    table = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert {"编号", "来源地址", "客户端"} <= set(table.columns)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            first = conn.execute(select(func.min(audit_log.c.id))).scalar_one()
        sql(engine, "UPDATE audit_log SET target = '改过' WHERE id = :id", id=first)
    finally:
        engine.dispose()
    clear_streamlit_caches()  # the verdict is cached a minute unless rows come or go
    at.run()
    assert [e.value for e in at.error] == [
        f"哈希链在编号 {first} 处断开：{audit.PROBLEMS_ZH['edited']}。"
    ]
