"""Chinese labels for every enumeration code of the contract (DESIGN.md §3)."""

from __future__ import annotations

LEVEL = {
    "province": "省",
    "prefecture": "市",
    "county": "县（市、区）",
    "township": "乡镇（街道）",
    "village": "村（社区）",
}
REGION_KIND = {
    "town": "镇",
    "township": "乡",
    "street": "街道",
    "village": "村",
    "community": "社区",
}
HOME_STATUS = {"operating": "运营中", "building": "筹建中", "closed": "已停用"}
ACTIVITY_KIND = {
    "psych_course": "心理课程",
    "parent_child": "亲子活动",
    "tutoring": "课业辅导",
    "safety_education": "安全教育",
    "other": "其他",
}
STAFF_ROLE = {"supervisor": "儿童督导员", "director": "儿童主任"}
GENDER = {"F": "女", "M": "男"}
BACKGROUND = {
    "committee_member": "村（居）委会委员",
    "village_official_graduate": "大学生村官",
    "social_worker": "社会工作者",
    "other": "其他",
}
TRAINING_KIND = {"initial": "初任培训", "annual": "年度轮训"}
CHILD_CATEGORY = {"left_behind": "留守儿童", "difficulty": "困境儿童"}
LEFT_BEHIND_TYPE = {
    "both_parents": "父母均外出务工",
    "one_parent_other_unable": "一方外出另一方无监护能力",
}
DIFFICULTY_TYPE = {
    "economic": "家庭经济困难",
    "self_disability_illness": "自身残疾或重病",
    "guardianship": "监护缺失或不当",
}
GUARDIAN_TYPE = {
    "grandparent": "祖父母/外祖父母",
    "relative": "其他亲属",
    "parent": "父母",
    "other": "其他",
    "none": "无",
}
GUARDIANSHIP_QUALITY = {
    "none": "无人监护",
    "parent_unable": "父或母无监护能力",
    "delegate_weak": "受委托监护人能力不足",
    "fair": "一般",
    "good": "较好",
}
HEALTH_STATUS = {"healthy": "健康", "disabled": "残疾", "ill": "患病"}
SCHOOL_STAGE = {
    "not_in_kindergarten": "未入园",
    "kindergarten": "幼儿园",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中职",
    "dropped_out": "辍学",
    "not_in_school": "未就学",
}
VISIT_METHOD = {"home": "入户走访", "phone": "电话探访"}
CASE_SOURCE = {
    "hotline_12355": "12355热线",
    "mandatory_report": "强制报告",
    "visit": "走访发现",
    "school": "学校报告",
    "police": "公安移送",
    "other": "其他",
}
CASE_CONCERN = {
    "guardianship": "监护问题",
    "abuse": "遭受侵害",
    "dropout": "失学辍学",
    "illness": "疾病",
    "psychological": "心理问题",
    "living_hardship": "生活困难",
    "unregistered": "未落户",
    "other": "其他",
}
RISK_LEVEL = {"high": "高", "medium": "中", "low": "低"}
CASE_STATUS = {"received": "受理", "assessing": "评估", "in_progress": "处置", "closed": "结案"}
DEPARTMENT = {
    "civil_affairs": "民政",
    "education": "教育",
    "public_security": "公安",
    "justice": "司法",
    "hr_social_security": "人社",
    "agriculture": "农业农村",
    "culture_tourism": "文旅",
    "health": "卫健",
    "medical_security": "医保",
    "women_children_committee": "妇儿工委",
    "youth_league": "团委",
    "womens_federation": "妇联",
    "disabled_persons_federation": "残联",
}
ACTION_TYPE = {
    "living_security": "基本生活保障",
    "academic_help": "学业帮扶",
    "warm_heart": "亲情关爱（暖心行动）",
    "health_care": "健康关爱",
    "behavior_care": "行为关爱（协同行动）",
    "safety_care": "安全关爱（督导行动）",
}
PROVIDER_TYPE = {
    "social_worker": "社会工作者",
    "volunteer": "志愿者",
    "teacher": "教师",
    "warm_mother": "爱心妈妈",
    "organization": "社会组织",
}
INSTITUTION_KIND = {
    "minor_protection_center": "未成年人救助保护机构",
    "child_welfare_institution": "儿童福利机构",
    "welfare_guidance_center": "儿童福利指导中心",
}
INSTITUTION_STATUS = {"transformed": "已转型", "designated": "已指定", "pending": "待落实"}
PURCHASE_ITEM = {
    "hotline": "热线服务",
    "guardianship_assessment": "监护评估",
    "targeted_assistance": "精准帮扶",
    "policy_publicity": "政策宣传",
    "training": "能力培训",
    "home_visit": "走访探视",
    "psychological": "心理疏导",
    "family_education": "家庭教育指导",
}
ROLE = {"province": "省级", "prefecture": "市级", "county": "县级", "admin": "系统管理员"}
