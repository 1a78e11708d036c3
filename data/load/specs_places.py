"""Ledger specs of places and money: regions, children's homes and their activities,
institutions, purchased services."""

from __future__ import annotations

from data.load.fields import (
    BOOL,
    DATE,
    ENUM,
    INT,
    MONEY,
    REGION,
    TEXT,
    Field,
    Spec,
    ref_field,
    region_field,
    village_field,
)
from data.load.fields import IGNORED_COMMON as _IGNORED_COMMON
from data.load.fields import id_field as _id

PLACE_SPECS: tuple[Spec, ...] = (
    Spec(
        "regions",
        "行政区划",
        (
            Field(
                "code",
                "区划代码",
                REGION,
                required=True,
                aliases=("统计用区划代码", "代码"),
                note="省、市、县6位，乡镇（街道）9位，村（社区）12位。",
                example="360102001099",
            ),
            Field(
                "name",
                "名称",
                TEXT,
                required=True,
                aliases=("区划名称",),
                max_len=64,
                example="示范村",
            ),
            Field(
                "level",
                "层级",
                ENUM,
                enum="level",
                note="可不填，按代码位数推定。",
                example="村（社区）",
            ),
            Field(
                "parent_code",
                "上级区划代码",
                REGION,
                aliases=("上级代码",),
                note="可不填，按代码推定（村取前9位，乡镇取前6位）。",
                example="360102001",
            ),
            Field(
                "kind",
                "类型",
                ENUM,
                enum="region_kind",
                note="乡镇：镇/乡/街道；村级：村/社区。",
                example="村",
            ),
            Field("is_former_poverty_county", "是否原贫困县", BOOL, example="否"),
            Field("population", "人口", INT, lo=0, example=1200),
        ),
        key="code",
        ignored=_IGNORED_COMMON,
    ),
    Spec(
        "children_homes",
        "儿童之家",
        (
            _id("儿童之家"),
            village_field(("所在村（社区）代码", "村居代码", "区划代码")),
            Field(
                "name",
                "名称",
                TEXT,
                required=True,
                aliases=("儿童之家名称",),
                max_len=128,
                example="示范村儿童之家",
            ),
            Field(
                "status",
                "状态",
                ENUM,
                required=True,
                enum="home_status",
                aliases=("运营状态",),
                example="运营中",
            ),
            Field(
                "is_demonstration", "是否示范", BOOL, aliases=("是否示范性儿童之家",), example="否"
            ),
            Field(
                "established_on",
                "建成运营日期",
                DATE,
                aliases=("建成日期", "运营日期"),
                example="2024-03-05",
            ),
            Field("closed_on", "停用日期", DATE, example=""),
            Field(
                "funding_yuan",
                "建设资金（元）",
                MONEY,
                aliases=("资金（元）", "投入资金"),
                example=50000,
            ),
        ),
        ignored=_IGNORED_COMMON,
        date_order=(("established_on", "closed_on"),),
    ),
    Spec(
        "home_activities",
        "儿童之家活动",
        (
            _id("活动"),
            ref_field("home_id", "儿童之家编号", "children_homes", "须为已导入的儿童之家编号。"),
            Field("activity_on", "活动日期", DATE, required=True, example="2024-06-01"),
            Field(
                "kind", "活动类型", ENUM, required=True, enum="activity_kind", example="亲子活动"
            ),
            Field("participants", "参与人数", INT, lo=0, hi=100_000, example=25),
        ),
        ignored=(*_IGNORED_COMMON, "活动名称", "活动内容"),
    ),
    Spec(
        "institutions",
        "救助保护和福利机构",
        (
            _id("机构"),
            region_field(("county", "prefecture"), "360102", "县级或设区市代码（6位）。"),
            Field(
                "kind",
                "机构类型",
                ENUM,
                required=True,
                enum="institution_kind",
                example="未成年人救助保护机构",
            ),
            Field("is_regional", "是否区域性", BOOL, example="否"),
            Field(
                "status",
                "落实状态",
                ENUM,
                required=True,
                enum="institution_status",
                aliases=("状态",),
                example="已转型",
            ),
            Field("capacity", "床位数", INT, lo=0, hi=100_000, example=50),
            Field("children_in_care", "在院儿童数", INT, lo=0, hi=100_000, example=12),
        ),
        ignored=(*_IGNORED_COMMON, "机构名称"),
    ),
    Spec(
        "service_purchases",
        "政府购买服务",
        (
            _id("购买服务项目"),
            region_field(
                ("province", "prefecture", "county"), "360102", "省、设区市或县级代码（6位）。"
            ),
            Field("year", "年度", INT, required=True, lo=2000, hi=2100, example=2024),
            Field(
                "item", "服务项目", ENUM, required=True, enum="purchase_item", example="走访探视"
            ),
            Field(
                "amount_yuan", "金额（元）", MONEY, required=True, aliases=("金额",), example=200000
            ),
            Field(
                "provider_org",
                "承接机构",
                TEXT,
                max_len=128,
                aliases=("承接单位",),
                example="示范社会工作服务中心",
            ),
        ),
        ignored=(*_IGNORED_COMMON, "项目名称"),
    ),
)
