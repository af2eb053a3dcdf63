"""Fake resident identity numbers (居民身份证号码, GB 11643-1999) for the demo's experts and
transfer staff.

Drawn at random — a plausible region of birth, a date of birth of a working adult, a sequence
code — and closed with the right check digit (``xiake.core.identity.check_character``), so they
pass the same validation as real numbers. They come from no list of people; a random valid number
can still coincide with someone's, which is one more reason the demo stays out of production.
"""

from __future__ import annotations

import datetime as dt
import random

from xiake.core.identity import check_character
from xiake.demo.vocab import REGIONS

# Places of birth: the district's own (GB/T 2260 codes of Nanjing) and, less often, the regions
# universities in Nanjing recruit from.
ELSEWHERE = (
    "320205",  # 无锡市锡山区
    "320311",  # 徐州市泉山区
    "320412",  # 常州市武进区
    "320506",  # 苏州市吴中区
    "321002",  # 扬州市广陵区
    "340104",  # 合肥市蜀山区
    "330106",  # 杭州市西湖区
    "370102",  # 济南市历下区
    "410105",  # 郑州市金水区
    "420111",  # 武汉市洪山区
    "430104",  # 长沙市岳麓区
    "510107",  # 成都市武侯区
    "610113",  # 西安市雁塔区
    "110108",  # 北京市海淀区
    "310104",  # 上海市徐汇区
)


def resident_id(
    rng: random.Random, born_from: int = 1960, born_to: int = 1998, today: dt.date | None = None
) -> str:
    """A valid 18-character resident identity number of someone born in ``born_from``–``born_to``."""
    region = rng.choice([code for code, _name in REGIONS]) if rng.random() < 0.4 else None
    region = region or rng.choice(ELSEWHERE)
    start = dt.date(born_from, 1, 1)
    end = min(dt.date(born_to, 12, 31), today or dt.date.today())
    born = start + dt.timedelta(days=rng.randrange((end - start).days + 1))
    first17 = f"{region}{born:%Y%m%d}{rng.randint(1, 999):03d}"
    return first17 + check_character(first17)


def unique_resident_id(rng: random.Random, used: set, **kwargs) -> str:
    """A number not yet in ``used`` (which it joins): one record per number on each register."""
    while True:
        number = resident_id(rng, **kwargs)
        if number not in used:
            used.add(number)
            return number
