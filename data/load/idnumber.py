"""The 18-character ID number (居民身份证号码, GB 11643-1999): the one home of its rules.

Layout: 6-digit region code, 8-digit birth date, 3-digit sequence (odd for men, even for
women), check character. The importer accepts a number by `is_valid_id_number`; the demo
generator (data/synthetic.py) builds its synthetic numbers with the same `ID_WEIGHTS` and
`ID_CHECK_CHARS`, vectorised. The region code is not checked against a list: a number keeps
the code of the county that issued it, which may since have been renamed or merged.
"""

from __future__ import annotations

from datetime import date

# Weight of position i (1-based, left to right) is 2**(18 - i) mod 11.
ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
ID_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)


def id_check_digit(first17: str) -> str:
    """The check character (0-9 or X) for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("需要17位数字")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def embedded_birth_date(number: str) -> date | None:
    """The birth date in positions 7-14, None when it is no real date (20150230, month 00)."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def embedded_gender(number: str) -> str:
    """'M' or 'F' from the 17th digit (odd for men, even for women)."""
    return "M" if int(number[16]) % 2 else "F"


def is_valid_id_number(s: object) -> bool:
    """True when s is 18 characters: 17 digits with a real birth date (positions 7-14) and the
    right check character (a lowercase x is accepted for X, as typed in many ledgers)."""
    if not isinstance(s, str) or len(s) != 18 or not s[:17].isdigit():
        return False
    if s[17].upper() != id_check_digit(s[:17]):
        return False
    return embedded_birth_date(s) is not None
