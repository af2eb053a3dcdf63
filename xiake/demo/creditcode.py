"""Unified social credit codes (统一社会信用代码, GB 32100-2015) for demo organisations.

Layout: 1 registration authority · 1 organisation type · 6 region (GB/T 2260) · 9 organisation
code (GB 11714, its own check character last) · 1 check character over the first 17.
"""

from __future__ import annotations

import random

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, …
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# (registration authority, organisation type) pairs used by the demo.
ENTERPRISE = ("9", "1")  # 工商 · 企业
PUBLIC_INSTITUTION = ("1", "2")  # 机构编制 · 事业单位
GOVERNMENT = ("1", "1")  # 机构编制 · 机关
PRIVATE_NON_ENTERPRISE = ("5", "2")  # 民政 · 民办非企业单位


def check_char(first17: str) -> str:
    """The 18th character of a credit code whose first 17 characters are ``first17``."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_code_check(body8: str) -> str:
    """The check character of a GB 11714 organisation code (digits and capital letters)."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def is_valid(code: str) -> bool:
    """True when ``code`` has 18 allowed characters and both check characters are right."""
    if not isinstance(code, str) or len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    if not code[2:8].isdigit():
        return False
    if org_code_check(code[8:16]) != code[16]:
        return False
    return check_char(code[:17]) == code[17]


def make(rng: random.Random, region: str, kind: tuple[str, str] = ENTERPRISE) -> str:
    """A well-formed credit code for ``region`` drawn from ``rng``."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = kind[0] + kind[1] + region + body + org_code_check(body)
    return first17 + check_char(first17)
