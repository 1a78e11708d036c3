"""Masks of personal data (DESIGN.md §6): 张*明, 3601**********1234, 138****5678. Pure
functions, here so that both queries/ (lists leave masked, queries/privacy.py) and the
importer in data/ (the errors it stores and prints) mask alike; data/ may not import queries/.
"""

from __future__ import annotations

import re

import pandas as pd

# An 18-character ID number (check character 0-9 or X) or an old 15-digit one, not part of a
# longer run of digits.
ID_NUMBER_SHAPE = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")


def mask_name(name: str | None) -> str | None:
    """Keep the first and last character: 张*明, 欧阳**华; a two-character name keeps the first."""
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return None
    name = str(name).strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str | None) -> str | None:
    """First four and last four digits: 3601**********1234."""
    if id_number is None or (isinstance(id_number, float) and pd.isna(id_number)):
        return None
    s = str(id_number).strip()
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_phone(phone: str | None) -> str | None:
    """First three and last four digits: 138****5678."""
    if phone is None or (isinstance(phone, float) and pd.isna(phone)):
        return None
    s = str(phone).strip()
    if len(s) <= 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask_id_numbers_in(text: str) -> str:
    """`text` with every ID-number-shaped run masked (a number typed into the wrong column,
    or quoted in a message)."""
    return ID_NUMBER_SHAPE.sub(lambda m: mask_id_number(m.group()) or "", text)
