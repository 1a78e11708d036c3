"""Masking rules of DESIGN.md §6, with the examples given there."""

import pandas as pd

from queries.privacy import (
    mask_frame,
    mask_id_number,
    mask_name,
    mask_phone,
    maskers,
    small_count,
)

SAMPLE = {"name": "张小明", "id_number": "360102201001011234", "phone": "13812345678"}


def test_examples_from_the_design():
    assert mask_name("张小明") == "张*明"
    assert mask_id_number("360102201001011234") == "3601**********1234"
    assert mask_phone("13812345678") == "138****5678"


def test_short_and_long_names():
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳小华") == "欧**华"
    assert mask_name("王") == "*"
    assert mask_name(None) is None


def test_mask_frame_masks_people_not_places():
    df = pd.DataFrame(
        {
            "name": ["张小明"],
            "guardian_name": ["李大山"],
            "village_name": ["安坑村"],
            "id_number": ["36010220100101123X"],
            "phone": ["15900001111"],
        }
    )
    out = mask_frame(df)
    assert out.iloc[0].to_dict() == {
        "name": "张*明",
        "guardian_name": "李*山",
        "village_name": "安坑村",
        "id_number": "3601**********123X",
        "phone": "159****1111",
    }
    assert df.iloc[0]["name"] == "张小明"  # the input is untouched


def test_maskers_mask_unless_unmasked():
    masked, raw = maskers(), maskers(unmasked=True)
    assert set(masked) == set(raw) == {"name", "id_number", "phone"}
    assert [masked[k](v) for k, v in SAMPLE.items()] == [
        "张*明",
        "3601**********1234",
        "138****5678",
    ]
    assert [raw[k](v) for k, v in SAMPLE.items()] == list(SAMPLE.values())
    assert raw["name"](None) is None and raw["phone"](float("nan")) is None
    assert raw["name"](" 张小明 ") == "张小明"


def test_small_counts():
    assert small_count(3) == "<5"
    assert small_count(0) == "0"
    assert small_count(12) == "12"
