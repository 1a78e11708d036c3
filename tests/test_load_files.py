"""Importer, file level: refused files (too large, too many rows, a zip bomb named .xlsx, a
binary named .csv, an .xlsx that is no zip, an old .xls, the wrong ledger) leave the
database unchanged and say why in Chinese; what real ledgers contain (title rows, merged
two-row headers, trailing blank rows, sign-off lines, full-width characters, dates in every
spelling, CSV in UTF-8 / UTF-8 with BOM / GBK) loads. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from sqlalchemy import select

from data import schema as s
from data.load import Limits, import_file, template_bytes
from data.load.specs import SPECS
from tests.fixtures.ledgers import TODAY, children_ledger, csv_bytes, idn, table_digest, xlsx_bytes


def load(engine, kind, data, name, **kw):
    return import_file(engine, kind, data, name, user="tester", today=TODAY, **kw)


def batches(engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(s.import_batches).order_by(s.import_batches.c.id)
            ).mappings()
        ]


def children(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(
            [dict(r) for r in conn.execute(select(s.children).order_by(s.children.c.id)).mappings()]
        )


def assert_refused(engine, before, result, *phrases):
    """Refused: nothing written, one import_batches row saying so, the phrases in the message."""
    assert result.status == "refused", result.errors
    assert result.rows_loaded == 0
    text = " ".join(p.message for p in result.errors)
    for phrase in phrases:
        assert phrase in text, text
    assert table_digest(engine) == before
    last = batches(engine)[-1]
    assert (last["status"], last["rows_loaded"], last["imported_by"]) == ("refused", 0, "tester")
    assert json.loads(last["errors_json"])["error_count"] == len(result.errors)


def zip_bomb() -> bytes:
    """A zip that claims to be a workbook: 60 MB of zeros packed into ~60 KB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "phrase"),
    [
        ("台账.xlsx", b"this is plain text, not a workbook", "不是有效的 .xlsx"),
        ("台账.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧版 Excel（.xls）"),
        ("台账.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "不支持旧版 Excel"),
        ("台账.csv", bytes(range(256)) * 8, "二进制"),
        ("台账.csv", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "PNG 图片"),
        ("台账.csv", b"PK\x03\x04" + b"\0" * 100, "Excel 或压缩文件"),
        ("台账.txt", "编号,姓名\n1,张三\n".encode(), "只能导入 .xlsx"),
        ("台账.csv", b"", "文件是空的"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(tree, name, data, phrase):
    before = table_digest(tree)
    assert_refused(tree, before, load(tree, "children", data, name), phrase)


def test_zip_bomb_named_xlsx_is_refused_before_it_is_opened(tree):
    before = table_digest(tree)
    data = zip_bomb()
    assert len(data) < 200_000
    result = load(tree, "children", data, "炸弹.xlsx")
    assert_refused(tree, before, result, "压缩比异常")
    # A lower unpacked-size limit catches it by size too.
    result = load(
        tree, "children", data, "炸弹.xlsx", limits=Limits(max_unzipped_bytes=10 * 1024 * 1024)
    )
    assert_refused(tree, before, result, "解压后过大")


def test_size_and_row_limits(tree):
    before = table_digest(tree)
    data = csv_bytes(children_ledger())
    result = load(tree, "children", data, "c.csv", limits=Limits(max_bytes=100))
    assert_refused(tree, before, result, "文件过大", "超过上限")
    result = load(tree, "children", data, "c.csv", limits=Limits(max_rows=3))
    assert_refused(tree, before, result, "行数", "超过上限 3 行")
    assert load(tree, "children", data, "c.csv", limits=Limits(max_rows=4)).status == "loaded"


def test_wrong_ledger_and_missing_columns_are_refused_with_the_column(tree):
    before = table_digest(tree)
    visits = pd.DataFrame(
        {"编号": [1], "儿童编号": [1], "探访日期": ["2026-01-05"], "探访方式": ["电话探访"]}
    )
    result = load(tree, "children", xlsx_bytes(visits), "探访.xlsx")
    assert_refused(tree, before, result, "未找到「儿童信息」的表头", "看起来是「探访记录」台账")

    df = children_ledger().drop(columns=["登记日期", "姓名"])
    result = load(tree, "children", xlsx_bytes(df, title="东湖区留守儿童台账"), "c.xlsx")
    assert_refused(tree, before, result)
    assert [(p.row, p.column, p.message) for p in result.errors] == [
        (2, "姓名", "缺少必填列「姓名」"),
        (2, "登记日期", "缺少必填列「登记日期」"),
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_bom_and_gbk(tree, encoding):
    data = csv_bytes(children_ledger(), encoding, title="东湖区儿童台账（2026年）")
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    result = load(tree, "children", data, "儿童.csv")
    assert result.status == "loaded", [p.line() for p in result.errors]
    assert (result.rows_in, result.inserted) == (4, 4)
    got = children(tree)
    assert list(got["name"]) == ["张小明", "李小红", "王小刚", "赵小丽"]
    assert list(got["category"]) == ["left_behind", "left_behind", "difficulty", "left_behind"]
    assert got.loc[2, "exited_on"] == date(2026, 3, 31)


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_messy_workbook_loads(tree, reader, monkeypatch):
    """Title row, merged two-row header, full-width digits and spaces, dates as Excel dates,
    serial numbers, '2024.3.5' and '2024年3月5日', a lower-case x, a numbering row under the
    header, trailing blank rows and a sign-off line; with either Excel reader."""
    if reader == "calamine":
        pytest.importorskip("python_calamine")
    monkeypatch.setenv("LOAD_XLSX_READER", reader)
    df = children_ledger()
    df.insert(0, "序号", [1, 2, 3, 4])
    df["村（社区）代码"] = [
        "３６０１０２００１００１",
        "360102001002 ",
        "\u3000360102002001",
        360111001001,
    ]
    df["登记日期"] = [datetime(2025, 1, 10), 45689, "2025.3.15", "2025年4月1日"]
    df["出生日期"] = ["２０１５－０３－０５", "2016/7/1", "20121212", "2018-01-20 00:00:00"]
    full_width = idn("360102", "20150305", 11).translate(
        str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    )
    df["身份证号"] = [
        full_width,
        idn("360102", "20160701", 22).lower(),
        f" {idn('360102', '20121212', 33)} ",
        idn("360111", "20180120", 44),
    ]
    df["性别"] = ["男 ", "女", "Ｍ", "f"]
    numbering = pd.DataFrame([list(range(1, len(df.columns) + 1))], columns=df.columns)
    data = xlsx_bytes(
        pd.concat([numbering, df], ignore_index=True),
        title="南昌市东湖区农村留守儿童和困境儿童信息台账",
        groups=[("基本信息", 4, 7), ("登记情况", 9, 10)],
        trailing_blanks=30,
        footer="填表人：张三    审核人：李四",
    )
    wb = load_workbook(io.BytesIO(data))
    assert wb.active.merged_cells.ranges  # the header really is merged
    result = load(tree, "children", data, "东湖区台账.xlsx")
    assert result.status == "loaded", [p.line() for p in result.errors]
    assert result.rows_in == 4
    assert any("列序号行" in n for n in result.notes)
    assert any("落款" in n for n in result.notes)
    assert any("序号" in n for n in result.notes)  # the ignored column is named
    got = children(tree)
    assert list(got["village_code"]) == [
        "360102001001",
        "360102001002",
        "360102002001",
        "360111001001",
    ]
    assert list(got["registered_on"]) == [
        date(2025, 1, 10),
        date(2025, 2, 1),
        date(2025, 3, 15),
        date(2025, 4, 1),
    ]
    assert list(got["birth_date"]) == [
        date(2015, 3, 5),
        date(2016, 7, 1),
        date(2012, 12, 12),
        date(2018, 1, 20),
    ]
    assert got.loc[1, "id_number"] == idn("360102", "20160701", 22).upper()
    assert list(got["gender"]) == ["M", "F", "M", "F"]


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_serial_dates_of_a_1904_workbook(tree, reader, monkeypatch):
    """A workbook in the 1904 date system (older Mac Excel): a date stored as a plain number
    or as its digits counts from 1904-01-01 (44227 is 2025-02-01 there, 2021-01-31 in the
    1900 system); date-formatted cells are converted by the reader."""
    if reader == "calamine":
        pytest.importorskip("python_calamine")
    monkeypatch.setenv("LOAD_XLSX_READER", reader)
    df = children_ledger()
    df["登记日期"] = [datetime(2025, 1, 10), 44227, "44227", "2025-04-01"]
    wb = load_workbook(io.BytesIO(xlsx_bytes(df)))
    wb.epoch = CALENDAR_MAC_1904
    buf = io.BytesIO()
    wb.save(buf)
    assert b'date1904="1"' in zipfile.ZipFile(buf).read("xl/workbook.xml")
    result = load(tree, "children", buf.getvalue(), "台账.xlsx")
    assert result.status == "loaded", [p.line() for p in result.errors]
    assert list(children(tree)["registered_on"]) == [
        date(2025, 1, 10),
        date(2025, 2, 1),
        date(2025, 2, 1),
        date(2025, 4, 1),
    ]


def test_template_has_headers_labels_example_and_notes(tree):
    spec = SPECS["children"]
    wb = load_workbook(io.BytesIO(template_bytes("children")))
    assert wb.sheetnames == ["儿童信息", "填写说明"]
    ws = wb["儿童信息"]
    assert [c.value for c in ws[1]] == [f.header for f in spec.fields]
    assert ws["I2"].value == "360102201503051231" and ws["I2"].number_format == "@"
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"男,女"' in lists or '"女,男"' in lists
    assert '"留守儿童,困境儿童"' in lists
    notes = " ".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "必填" in notes and "可选：留守儿童、困境儿童" in notes
    # Untouched, the template imports nothing (the example row is skipped, not loaded).
    before = table_digest(tree)
    result = load(tree, "children", template_bytes("children"), "模板.xlsx")
    assert_refused(tree, before, result, "没有数据行")
    assert any("示例行" in n for n in result.notes)
    # Every kind has a template whose own header maps back to its spec.
    for kind, sp in SPECS.items():
        ws = load_workbook(io.BytesIO(template_bytes(kind))).worksheets[0]
        assert [c.value for c in ws[1]] == [f.header for f in sp.fields], kind


def test_batch_records_hash_user_and_counts(tree):
    data = xlsx_bytes(children_ledger())
    result = load(tree, "children", data, "儿童.xlsx")
    last = batches(tree)[-1]
    assert last["sha256"] == hashlib.sha256(data).hexdigest() == result.sha256
    assert (last["kind"], last["file_name"], last["rows_in"], last["rows_loaded"]) == (
        "children",
        "儿童.xlsx",
        4,
        4,
    )
    assert (last["status"], last["imported_by"]) == ("loaded", "tester")
    payload = json.loads(last["errors_json"])
    assert (payload["inserted"], payload["updated"], payload["unchanged"], payload["errors"]) == (
        4,
        0,
        0,
        [],
    )


def test_dry_run_writes_nothing(tree):
    before = table_digest(tree)
    result = load(tree, "children", xlsx_bytes(children_ledger()), "c.xlsx", dry_run=True)
    assert (result.status, result.inserted) == ("checked", 4)
    assert table_digest(tree) == before
    assert batches(tree) == []


def test_two_columns_for_one_field(tree):
    """The template's heading wins over an alias (the alias column is ignored); the same
    heading twice is refused, naming both columns."""
    df = children_ledger()
    df.insert(2, "现居住地", ["江西省南昌市东湖区公园街道"] * 4)  # an address, no code
    result = load(tree, "children", xlsx_bytes(df), "c.xlsx")
    assert result.status == "loaded", [p.line() for p in result.errors]
    assert any("现居住地" in n for n in result.notes)
    before = table_digest(tree)
    twice = children_ledger()
    twice.insert(5, "姓名 ", twice["姓名"])  # a second 姓名 column
    result = load(tree, "children", xlsx_bytes(twice), "c.xlsx")
    assert_refused(tree, before, result, "第E列「姓名」和第F列「姓名」对应同一项，请删除其中一列")
