"""Importer, row level: every bad cell named in the issue gives one clear Chinese error with
its sheet, row and column, the whole file is rejected and the database is unchanged. Plus
the cell parsers on their own (dates, flags, labels, codes, ID numbers)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl.utils.datetime import MAC_EPOCH

from data.load import import_file
from data.load.parsing import (
    parse_bool,
    parse_date,
    parse_enum,
    parse_id_number,
    parse_int,
    parse_money,
    parse_region,
)
from tests.fixtures.ledgers import (
    TODAY,
    children_ledger,
    idn,
    staff_ledger,
    table_digest,
    xlsx_bytes,
)


@pytest.fixture
def loaded(tree):
    """The tree plus 4 children and 3 staff."""
    for kind, df in (("children", children_ledger()), ("staff", staff_ledger())):
        r = import_file(tree, kind, xlsx_bytes(df), f"{kind}.xlsx", today=TODAY)
        assert r.status == "loaded", [p.line() for p in r.errors]
    return tree


def rejected(engine, kind, df, **kw):
    """Import, assert it was rejected with nothing written; the errors as (row, letter,
    column, value, message)."""
    before = table_digest(engine)
    result = import_file(engine, kind, xlsx_bytes(df, **kw), f"{kind}.xlsx", user="t", today=TODAY)
    assert result.status == "rejected", result.summary()
    assert table_digest(engine) == before
    assert all(p.sheet == "Sheet1" for p in result.errors)
    return [(p.row, p.letter, p.column, p.value, p.message) for p in result.errors]


def test_every_bad_child_cell_is_reported_with_row_and_column(tree):
    df = children_ledger()
    good = df.iloc[0].tolist()

    def row(**changes):
        r = dict(zip(df.columns, good, strict=True))
        r.update(changes)
        return r

    bad = pd.DataFrame(
        [
            row(),  # spreadsheet row 3 (a title row above the header)
            row(
                编号=5,
                **{"村（社区）代码": "360102009009", "身份证号": idn("360102", "20150305", 55)},
            ),
            row(
                编号=6, **{"村（社区）代码": "360102001", "身份证号": idn("360102", "20150305", 65)}
            ),
            row(编号=7, 登记日期="2026-12-01", 身份证号=idn("360102", "20150305", 77)),
            row(编号=8, 登记日期="2024-02-30", 身份证号=idn("360102", "20150305", 87)),
            row(编号=9, 性别="未知", 身份证号=idn("360102", "20150305", 99)),
            row(编号=10, 身份证号=idn("360102", "20150305", 11)[:17] + "0"),
            row(编号=11, 身份证号=3.60102201503051e17),
            row(编号=12),  # the ID number of row 3 again
            row(编号=1, 身份证号=idn("360102", "20150305", 13)),  # 编号 of row 3 again
            row(编号=14, 姓名=None, 身份证号=idn("360102", "20150305", 15)),
            row(编号=16, 出生日期="2015-03-06", 身份证号=idn("360102", "20150305", 17)),
            row(编号=18, 儿童类别="孤儿", 身份证号=idn("360102", "20150305", 19)),
            row(编号=20, 登记日期="昨天", 身份证号="36010219"),
        ]
    ).astype(object)
    errors = rejected(tree, "children", bad, title="东湖区儿童台账")
    assert [(r, letter, col, msg) for r, letter, col, _v, msg in errors] == [
        (4, "B", "村（社区）代码", "区划代码在系统中不存在"),
        (5, "B", "村（社区）代码", "应填写村（社区）级区划代码（12位），该代码是乡镇（街道）级"),
        (6, "I", "登记日期", "日期晚于今天（2026-11-28），请核对"),
        (7, "I", "登记日期", "日期不存在（2024年2月30日）"),
        (8, "F", "性别", "不是有效选项，可选：女、男"),
        (9, "H", "身份证号", "身份证号校验码不正确（GB 11643），请核对号码"),
        (
            10,
            "H",
            "身份证号",
            "身份证号以数字格式保存，Excel 只保留15位有效数字，末尾数字或校验码X已丢失；请把该列设为“文本”格式后重新录入完整的18位号码",
        ),
        (11, "H", "身份证号", "与第3行的身份证号重复"),
        (12, "A", "编号", "与第3行的编号重复"),
        (13, "E", "姓名", "必填项不能为空"),
        (14, "G", "出生日期", "出生日期与身份证号不一致（身份证号为 2015-03-05）"),
        (15, "C", "儿童类别", "不是有效选项，可选：留守儿童、困境儿童"),
        (16, "H", "身份证号", "身份证号应为18位（现为8位）"),
        (16, "I", "登记日期", "无法识别的日期，请填写如 2024-03-05 的格式"),
    ]
    values = {(r, letter): v for r, letter, _c, v, _m in errors}
    assert values[(4, "B")] == "360102009009"
    assert values[(7, "I")] == "2024-02-30"
    assert values[(10, "H")].startswith("3.60102201503051")
    assert values[(16, "I")] == "昨天"


def test_references_must_exist(loaded):
    """Staff of a training, child (by ID number) and staff of a visit; the other references
    in the next test."""
    trainings = pd.DataFrame(
        {
            "编号": [1, 2],
            "人员编号": [1, 99],
            "培训日期": ["2025-03-01", "2025-03-01"],
            "培训类型": ["初任培训", "年度轮训"],
        }
    )
    assert [(r, c, m) for r, _l, c, _v, m in rejected(loaded, "trainings", trainings)] == [
        (3, "人员编号", "编号为该值的人员在系统中不存在，请先导入儿童督导员和儿童主任台账")
    ]
    visits = pd.DataFrame(
        {
            "编号": [1, 2, 3],
            "儿童身份证号": [idn("360102", "20150305", 11), idn("360102", "20150305", 12), None],
            "探访人员编号": [2, 2, 42],
            "探访日期": ["2026-10-01", "2026-10-02", "2026-10-03"],
            "探访方式": ["入户走访", "电话", "上门"],
        }
    )
    assert [(r, c, m) for r, _l, c, _v, m in rejected(loaded, "visits", visits)] == [
        (3, "儿童身份证号", "该身份证号的儿童尚未登记，请先导入儿童信息台账"),
        (4, "儿童身份证号", "必填项不能为空"),
        (4, "探访人员编号", "编号为该值的人员在系统中不存在，请先导入儿童督导员和儿童主任台账"),
    ]


@pytest.mark.parametrize(
    ("kind", "row", "error"),
    [
        (
            "care_actions",
            {"编号": 1, "儿童编号": 77, "行动类型": "暖心行动", "开始日期": "2026-01-01"},
            ("儿童编号", "77", "编号为该值的儿童在系统中不存在，请先导入儿童信息台账"),
        ),
        (
            "referrals",
            {"编号": 1, "个案编号": 5, "转介部门": "教育", "转介日期": "2026-01-01"},
            ("个案编号", "5", "编号为该值的个案在系统中不存在，请先导入个案台账"),
        ),
        (
            "home_activities",
            {"编号": 1, "儿童之家编号": 3, "活动日期": "2026-01-01", "活动类型": "亲子活动"},
            ("儿童之家编号", "3", "编号为该值的儿童之家在系统中不存在，请先导入儿童之家台账"),
        ),
    ],
)
def test_a_one_row_ledger_naming_a_missing_record_is_rejected(loaded, kind, row, error):
    """Child of a care action, case of a referral, home of an activity: the first error
    names the column, the value and the ledger to import first."""
    df = pd.DataFrame({column: [value] for column, value in row.items()})
    assert rejected(loaded, kind, df)[0][2:] == error


def test_staff_role_needs_its_level_and_dates_run_forwards(tree):
    df = staff_ledger()
    df.loc[0, "所在区划代码"] = "360102001001"  # a supervisor at a village
    df.loc[1, "所在区划代码"] = "360102001"  # a director at a township
    df.loc[2, "所在区划代码"] = "360102"  # a county: neither
    df["离任日期"] = [None, "2024-12-31", None]
    assert [(r, c, m) for r, _l, c, _v, m in rejected(tree, "staff", df)] == [
        (2, "所在区划代码", "儿童督导员应填写乡镇（街道）代码（9位），不是村（社区）代码"),
        (3, "所在区划代码", "儿童主任应填写村（社区）代码（12位），不是乡镇（街道）代码"),
        (3, "离任日期", "早于「任职日期」，请核对"),
        (
            4,
            "所在区划代码",
            "应填写乡镇（街道）级或村（社区）级区划代码（12位、9位），该代码是县（市、区）级",
        ),
    ]


def test_case_status_and_closing_date_agree(tree):
    df = pd.DataFrame(
        {
            "编号": [1, 2, 3],
            "所在区划代码": ["360102", "360102001", "360102001001"],
            "线索来源": ["12355热线", "强制报告", "走访发现"],
            "主要问题": ["监护问题", "失学辍学", "其他"],
            "风险等级": ["高", "中", "低"],
            "受理日期": ["2026-05-01", "2026-05-02", "2026-05-03"],
            "办理状态": ["结案", "处置", "结案"],
            "办结时限": ["2026-12-31", "2027-01-15", "2026-06-01"],
            "结案日期": [None, "2026-05-20", "2026-04-30"],
        }
    )
    assert [(r, c, m) for r, _l, c, _v, m in rejected(tree, "cases", df)] == [
        (2, "结案日期", "办理状态为“结案”，但未填写结案日期"),
        (3, "办理状态", "已填写结案日期，但办理状态不是“结案”"),
        (4, "结案日期", "早于「受理日期」，请核对"),
    ]


def test_dates_in_every_spelling():
    raw = pd.Series(
        [
            datetime(2024, 3, 5, 8, 30),
            date(2024, 3, 5),
            45356,
            45356.0,
            "45356",
            "2024-03-05",
            "2024/3/5",
            "2024.3.5",
            "2024年3月5日",
            "20240305",
            20240305,
            "２０２４－０３－０５",
            " 2024-03-05 00:00:00 ",
            None,
            "",
        ],
        dtype=object,
    )
    values, msgs = parse_date(raw)
    assert list(values[:13]) == [date(2024, 3, 5)] * 13
    assert list(values[13:]) == [None, None]
    assert msgs.isna().all()
    values, msgs = parse_date(pd.Series(["2024-3", "3/5/2024", "2023-02-29", True], dtype=object))
    assert values.isna().all()
    assert list(msgs) == [
        "无法识别的日期，请填写如 2024-03-05 的格式",
        "无法识别的日期，请填写如 2024-03-05 的格式",
        "日期不存在（2023年2月29日）",
        "无法识别的日期，请填写如 2024-03-05 的格式",
    ]


def test_excel_serial_dates_in_both_date_systems():
    """Serial numbers count as Excel counts them. 1900 system: serial 60 is the 29 February
    1900 Excel shows though it never was (its leap-year bug), so 59 is 28 February, 61 is
    1 March and 1 is 1 January 1900. 1904 system (older Mac workbooks): 0 is 1904-01-01."""
    raw = pd.Series([1, 59, 61, 61.0, "00061", 45356, 60], dtype=object)
    values, msgs = parse_date(raw)
    assert list(values) == [
        date(1900, 1, 1),
        date(1900, 2, 28),
        date(1900, 3, 1),
        date(1900, 3, 1),
        date(1900, 3, 1),
        date(2024, 3, 5),
        None,
    ]
    assert list(msgs) == [None] * 6 + ["日期不存在（1900年2月29日）"]
    values, msgs = parse_date(pd.Series([60, 43894, "43894"], dtype=object), MAC_EPOCH)
    assert list(values) == [date(1904, 3, 1), date(2024, 3, 5), date(2024, 3, 5)]
    assert msgs.isna().all()


def test_flags_numbers_labels_and_codes():
    assert list(
        parse_bool(
            pd.Series(["是", "否", "Y", "n", "√", "×", 1, 0, True, "合格", None], dtype=object)
        )[0]
    ) == [True, False, True, False, True, False, True, False, True, True, None]
    assert list(parse_bool(pd.Series(["也许"], dtype=object))[1]) == ["请填写“是”或“否”"]
    assert list(parse_int(pd.Series(["１２", "1,200", 7.0, " 3 ", "2.5"], dtype=object))[0]) == [
        12,
        1200,
        7,
        3,
        None,
    ]
    values, _ = parse_money(pd.Series(["1,234.5", "￥800", "800元", 12.345], dtype=object))
    assert [str(v) for v in values] == ["1234.50", "800.00", "800.00", "12.35"]
    assert str(parse_money(pd.Series(["1.5"], dtype=object), scale=10_000)[0][0]) == "15000.00"
    labels = pd.Series(
        ["留守儿童", "left_behind", "困境", " 困境儿童 ", "LEFT_BEHIND"], dtype=object
    )
    assert list(parse_enum(labels, "child_category")[0]) == [
        "left_behind",
        "left_behind",
        "difficulty",
        "difficulty",
        "left_behind",
    ]
    assert (
        list(parse_enum(pd.Series(["暖心行动", "亲情关爱"], dtype=object), "action_type")[0])
        == ["warm_heart"] * 2
    )
    codes = pd.Series(
        [360102001001, "３６０１０２", "南昌市东湖区一村 360102001001", "36010", "1 2"],
        dtype=object,
    )
    assert list(parse_region(codes)[0]) == ["360102001001", "360102", "360102001001", None, None]


def test_id_numbers():
    good = idn("360102", "20150305", 11)
    x = next(
        idn("360102", "20150305", n)
        for n in range(1, 999)
        if idn("360102", "20150305", n).endswith("X")
    )
    raw = pd.Series(
        [
            good,
            x.lower(),
            float(good),
            "3.60102E+17",
            good[:15],
            good[:-1] + ("0" if good[-1] != "0" else "1"),
            idn("360102", "20150230", 123),
            None,
        ],
        dtype=object,
    )
    values, msgs = parse_id_number(raw)
    assert list(values[:2]) == [good, x]
    assert values[2:].isna().all()
    lost = "身份证号以数字格式保存，Excel 只保留15位有效数字，末尾数字或校验码X已丢失；请把该列设为“文本”格式后重新录入完整的18位号码"
    assert list(msgs) == [
        None,
        None,
        lost,
        lost,
        "这是15位旧身份证号，请填写18位号码",
        "身份证号校验码不正确（GB 11643），请核对号码",
        "身份证号中的出生日期无效",
        None,
    ]


def test_id_number_region_code_is_not_looked_up():
    """The region code is the issuing county's, not looked up: 红谷滩区 (360113) has had its
    code since 2019, yet a child born in 2015 and registered later carries it; an unknown code
    is not refused either (python-stdnum's cn.ric would refuse both)."""
    raw = pd.Series([idn("360113", "20150305", 11), idn("999999", "20150305", 11)], dtype=object)
    values, msgs = parse_id_number(raw)
    assert list(values) == list(raw)
    assert msgs.isna().all()
