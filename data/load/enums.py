"""Enumerations a ledger may name: the Chinese labels of data.labels, the English codes, and
the other spellings ledgers use (synonyms), plus what the level of a region code looks like."""

from __future__ import annotations

from data import labels as L

# Extra spellings seen in ledgers, beyond data.labels and the English codes.
SYNONYMS: dict[str, dict[str, str]] = {
    "gender": {"男性": "M", "女性": "F", "男孩": "M", "女孩": "F"},
    "home_status": {
        "运营": "operating",
        "正常运营": "operating",
        "已运营": "operating",
        "运行中": "operating",
        "筹建": "building",
        "在建": "building",
        "建设中": "building",
        "停用": "closed",
        "关闭": "closed",
        "已关闭": "closed",
    },
    "staff_role": {"督导员": "supervisor", "儿童主任": "director", "主任": "director"},
    "background": {
        "村委会委员": "committee_member",
        "居委会委员": "committee_member",
        "村(居)委委员": "committee_member",
        "村官": "village_official_graduate",
        "社工": "social_worker",
    },
    "training_kind": {
        "初任": "initial",
        "岗前培训": "initial",
        "轮训": "annual",
        "年度培训": "annual",
    },
    "child_category": {"留守": "left_behind", "困境": "difficulty"},
    "left_behind_type": {
        "父母双方外出务工": "both_parents",
        "父母均外出": "both_parents",
        "父母双方外出": "both_parents",
        "一方外出务工另一方无监护能力": "one_parent_other_unable",
        "一方外出另一方无监护能力": "one_parent_other_unable",
    },
    "difficulty_type": {
        "经济困难": "economic",
        "困难家庭": "economic",
        "残疾": "self_disability_illness",
        "重病": "self_disability_illness",
        "自身残疾": "self_disability_illness",
        "监护缺失": "guardianship",
        "监护不当": "guardianship",
        "事实无人抚养": "guardianship",
    },
    "guardian_type": {
        "祖父母": "grandparent",
        "外祖父母": "grandparent",
        "祖父母监护": "grandparent",
        "外祖父母监护": "grandparent",
        "祖辈监护": "grandparent",
        "亲属": "relative",
        "其他亲属监护": "relative",
        "亲属监护": "relative",
        "父母监护": "parent",
        "父母一方监护": "parent",
        "父亲": "parent",
        "母亲": "parent",
        "无人监护": "none",
    },
    "health_status": {
        "良好": "healthy",
        "正常": "healthy",
        "重病": "ill",
        "疾病": "ill",
        "患重病": "ill",
    },
    "school_stage": {
        "学前": "kindergarten",
        "在园": "kindergarten",
        "幼儿园在读": "kindergarten",
        "小学在读": "primary",
        "初中在读": "junior",
        "高中在读": "senior",
        "中职在读": "vocational",
        "中专": "vocational",
        "职高": "vocational",
        "失学": "dropped_out",
        "失学辍学": "dropped_out",
        "未入学": "not_in_school",
    },
    "visit_method": {"入户": "home", "走访": "home", "上门": "home", "电话": "phone"},
    "case_source": {"12355": "hotline_12355", "热线": "hotline_12355", "走访": "visit"},
    "risk_level": {"高风险": "high", "中风险": "medium", "低风险": "low"},
    "case_status": {
        "已受理": "received",
        "评估中": "assessing",
        "处置中": "in_progress",
        "办理中": "in_progress",
        "已结案": "closed",
        "办结": "closed",
        "已办结": "closed",
    },
    "department": {"共青团": "youth_league", "人社局": "hr_social_security", "卫健委": "health"},
    "institution_status": {"转型": "transformed", "指定": "designated", "未落实": "pending"},
}

ENUMS: dict[str, dict[str, str]] = {
    "level": L.LEVEL,
    "region_kind": L.REGION_KIND,
    "home_status": L.HOME_STATUS,
    "activity_kind": L.ACTIVITY_KIND,
    "staff_role": L.STAFF_ROLE,
    "gender": L.GENDER,
    "background": L.BACKGROUND,
    "training_kind": L.TRAINING_KIND,
    "child_category": L.CHILD_CATEGORY,
    "left_behind_type": L.LEFT_BEHIND_TYPE,
    "difficulty_type": L.DIFFICULTY_TYPE,
    "guardian_type": L.GUARDIAN_TYPE,
    "guardianship_quality": L.GUARDIANSHIP_QUALITY,
    "health_status": L.HEALTH_STATUS,
    "school_stage": L.SCHOOL_STAGE,
    "visit_method": L.VISIT_METHOD,
    "case_source": L.CASE_SOURCE,
    "case_concern": L.CASE_CONCERN,
    "risk_level": L.RISK_LEVEL,
    "case_status": L.CASE_STATUS,
    "department": L.DEPARTMENT,
    "action_type": L.ACTION_TYPE,
    "provider_type": L.PROVIDER_TYPE,
    "institution_kind": L.INSTITUTION_KIND,
    "institution_status": L.INSTITUTION_STATUS,
    "purchase_item": L.PURCHASE_ITEM,
}

LEVEL_DIGITS = {"province": 6, "prefecture": 6, "county": 6, "township": 9, "village": 12}
LEVEL_NAMES = {**L.LEVEL, "prefecture": "设区市"}


def enum_choices(enum: str) -> str:
    """'男、女' for messages and the notes sheet."""
    return "、".join(ENUMS[enum].values())
