"""Synthetic personal identities for the demo database: names, ID numbers, phone numbers.

Everything here is generated from lists and random numbers; nothing refers to a real person.
ID numbers follow GB 11643-1999 (region code, birth date, sequence, check digit) with the
importer's own rule (data/load/idnumber.py), so that its validation and the masking in views
behave on demo data exactly as on real data.
All functions are vectorised over numpy arrays: the demo builds hundreds of thousands at once.
"""

from __future__ import annotations

import numpy as np

from data.load.idnumber import ID_CHECK_CHARS, ID_WEIGHTS

_WEIGHTS = np.array(ID_WEIGHTS, dtype=np.int64)
_CHECK_CHARS = np.array(list(ID_CHECK_CHARS))

# Common surnames, roughly weighted like southern China (刘, 陈, 李 … lead in Jiangxi).
_SURNAMES = (
    "刘陈李王张黄胡吴罗徐曾邓熊周杨朱彭肖钟万谢郭何廖赖易叶余林邹袁"
    "付傅程龚欧阳卢涂蔡汪江方宋范许孙饶魏温戴章姚洪吕丁沈邱雷潘左"
    "聂严康尹曹喻赵谭钱段甘夏桂詹"
)
_SURNAME_LIST = [c for c in _SURNAMES if c not in "欧阳"] + ["欧阳"]
_SURNAME_WEIGHTS = np.array(
    [max(12.0 - 0.25 * i, 1.0) for i in range(len(_SURNAME_LIST) - 1)] + [0.6]
)
_MALE_CHARS = "伟强磊军洋勇杰涛明超浩宇轩博文斌鹏辉俊峰健志华建国晨阳子豪思远家乐一鸣"
_FEMALE_CHARS = "芳娟敏静丽艳婷雪琳晶欣怡梦雨佳慧颖倩璐瑶萱涵悦诗琪思彤可馨子琦语嫣"
_NEUTRAL_CHARS = "文明安宁嘉晓乐欣宇轩子一诗思雨晨佳心梓睿"

# Mobile prefixes of the three carriers (only 13x, 15x, 18x, as the demo promises).
_PHONE_PREFIXES = np.array(
    [f"13{d}" for d in range(10)]
    + ["150", "151", "152", "153", "155", "156", "157", "158", "159"]
    + [f"18{d}" for d in range(10)]
)

_ORG_WORDS = np.array(
    ["阳光", "启航", "同心", "春晖", "彩虹", "爱心", "晨曦", "和美", "益童", "暖阳"]
)
_ORG_KINDS = np.array(
    [
        "社会工作服务中心",
        "社工服务社",
        "志愿服务协会",
        "心理咨询服务中心",
        "家庭教育指导服务中心",
        "儿童发展服务中心",
    ]
)


def id_numbers(
    county_codes: np.ndarray, birth_days: np.ndarray, sequence: np.ndarray
) -> np.ndarray:
    """18-digit ID numbers: county code, birth date (datetime64[D]), 3-digit sequence, check.

    The caller chooses the sequence: odd for boys, even for girls (the 17th digit), and unique
    per county, birth date and gender so that every ID number is unique.
    """
    if len(county_codes) == 0:
        return np.array([], dtype="U18")
    dates = np.datetime_as_string(birth_days.astype("datetime64[D]"), unit="D")
    ymd = np.char.replace(dates, "-", "")
    seq = np.char.zfill(sequence.astype(np.int64).astype(str), 3)
    first17 = np.char.add(np.char.add(county_codes.astype("U6"), ymd), seq).astype("U17")
    values = first17.view("U1").reshape(len(first17), 17).astype(np.int64)
    check = _CHECK_CHARS[(values @ _WEIGHTS) % 11]
    return np.char.add(first17, check)


def person_names(rng: np.random.Generator, genders: np.ndarray) -> np.ndarray:
    """Plausible Chinese names (surname + one or two given characters) matching each gender."""
    n = len(genders)
    surnames = np.array(_SURNAME_LIST)[
        rng.choice(len(_SURNAME_LIST), size=n, p=_SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum())
    ]
    male, female, neutral = (
        np.array(list(s)) for s in (_MALE_CHARS, _FEMALE_CHARS, _NEUTRAL_CHARS)
    )
    is_f = genders == "F"
    first = np.where(
        is_f, female[rng.integers(0, len(female), n)], male[rng.integers(0, len(male), n)]
    )
    # The second given character: often gendered, sometimes neutral, absent in a quarter.
    second_pool = np.where(
        is_f, female[rng.integers(0, len(female), n)], male[rng.integers(0, len(male), n)]
    )
    second = np.where(rng.random(n) < 0.35, neutral[rng.integers(0, len(neutral), n)], second_pool)
    second = np.where((rng.random(n) < 0.25) | (second == first), "", second)
    # Neutral character first, gendered second reads more naturally for two-character names.
    swap = (second != "") & (rng.random(n) < 0.5)
    given = np.where(swap, np.char.add(second, first), np.char.add(first, second))
    return np.char.add(surnames, given)


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """11-digit mobile numbers starting 13, 15 or 18."""
    prefixes = _PHONE_PREFIXES[rng.integers(0, len(_PHONE_PREFIXES), n)]
    rest = np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8)
    return np.char.add(prefixes, rest)


def org_names(rng: np.random.Generator, place_names: np.ndarray) -> np.ndarray:
    """Synthetic social-service organisations named after their place (南昌县阳光社工服务社)."""
    n = len(place_names)
    words = _ORG_WORDS[rng.integers(0, len(_ORG_WORDS), n)]
    kinds = _ORG_KINDS[rng.integers(0, len(_ORG_KINDS), n)]
    return np.char.add(np.char.add(place_names.astype(str), words), kinds)
