"""Ledger specs of what is done for children: visits, cases, referrals, care actions.
A visit, case or care action may name its child by ID number (儿童身份证号) instead of 编号."""

from __future__ import annotations

from data.load.fields import (
    BOOL,
    DATE,
    ENUM,
    Field,
    Spec,
    ref_field,
    region_field,
)
from data.load.fields import IGNORED_COMMON as _IGNORED_COMMON
from data.load.fields import id_field as _id

_CHILD_REF = (("儿童身份证号", "身份证号", "公民身份号码"), "id_number")
_CHILD_ID = ref_field("child_id", "儿童编号", "children", "也可改用“儿童身份证号”一列指明儿童。")

CASE_SPECS: tuple[Spec, ...] = (
    Spec(
        "visits",
        "探访记录",
        (
            _id("探访记录"),
            _CHILD_ID,
            ref_field("staff_id", "探访人员编号", "staff", required=False, aliases=("人员编号",)),
            Field("visited_on", "探访日期", DATE, required=True, example="2024-05-20"),
            Field("method", "探访方式", ENUM, enum="visit_method", example="入户走访"),
            Field("concern_found", "是否发现问题", BOOL, aliases=("发现问题",), example="否"),
        ),
        ignored=(*_IGNORED_COMMON, "儿童姓名", "探访人员", "探访内容"),
        alt_refs={"child_id": _CHILD_REF},
    ),
    Spec(
        "cases",
        "个案",
        (
            _id("个案"),
            ref_field(
                "child_id",
                "儿童编号",
                "children",
                "可不填；也可改用“儿童身份证号”一列。",
                required=False,
            ),
            region_field(("county", "township", "village"), "360102001001", "县级及以下区划代码。"),
            Field(
                "source",
                "线索来源",
                ENUM,
                required=True,
                enum="case_source",
                aliases=("来源",),
                example="强制报告",
            ),
            Field(
                "concern",
                "主要问题",
                ENUM,
                required=True,
                enum="case_concern",
                aliases=("问题类型",),
                example="监护问题",
            ),
            Field("risk_level", "风险等级", ENUM, required=True, enum="risk_level", example="中"),
            Field("received_on", "受理日期", DATE, required=True, example="2024-05-21"),
            Field("assessed_on", "评估日期", DATE, example="2024-05-23"),
            Field(
                "status",
                "办理状态",
                ENUM,
                required=True,
                enum="case_status",
                aliases=("状态",),
                example="处置",
            ),
            Field(
                "due_on",
                "办结时限",
                DATE,
                future_ok=True,
                aliases=("应办结日期",),
                example="2024-06-20",
                note="可晚于今天。",
            ),
            Field("closed_on", "结案日期", DATE, example=""),
        ),
        ignored=(*_IGNORED_COMMON, "儿童姓名", "案情简述"),
        date_order=(("received_on", "assessed_on"), ("received_on", "closed_on")),
        alt_refs={"child_id": _CHILD_REF},
    ),
    Spec(
        "referrals",
        "转介",
        (
            _id("转介记录"),
            ref_field("case_id", "个案编号", "cases", "须为已导入的个案编号。"),
            Field(
                "department",
                "转介部门",
                ENUM,
                required=True,
                enum="department",
                aliases=("承接部门",),
                example="教育",
            ),
            Field("referred_on", "转介日期", DATE, required=True, example="2024-05-24"),
            Field("responded_on", "反馈日期", DATE, aliases=("响应日期",), example="2024-05-28"),
        ),
        ignored=_IGNORED_COMMON,
        date_order=(("referred_on", "responded_on"),),
    ),
    Spec(
        "care_actions",
        "关爱行动",
        (
            _id("关爱行动"),
            _CHILD_ID,
            Field(
                "action_type",
                "行动类型",
                ENUM,
                required=True,
                enum="action_type",
                aliases=("关爱类型",),
                example="学业帮扶",
            ),
            Field(
                "provider_type",
                "服务提供方",
                ENUM,
                enum="provider_type",
                aliases=("提供方类型",),
                example="志愿者",
            ),
            Field("started_on", "开始日期", DATE, required=True, example="2024-03-01"),
            Field("ended_on", "结束日期", DATE, example=""),
        ),
        ignored=(*_IGNORED_COMMON, "儿童姓名", "服务内容"),
        date_order=(("started_on", "ended_on"),),
        alt_refs={"child_id": _CHILD_REF},
    ),
)
