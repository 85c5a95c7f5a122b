"""The natural order of a field's values for display: calendar months and weekdays are known in
English and Chinese; values that all start with a number (company sizes such as `1-10`, `11-50`,
`1000+`, numeric bins) sort by that number. Anything else has no natural order (None), and charts
keep their own order (by impact, by size). A glossary may declare any other order explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Names to recognise in the data, not sentences to show: they stay beside the parser (training/report/texts.py
# holds what users read).
MONTHS = [("january", "jan", "一月"), ("february", "feb", "二月"), ("march", "mar", "三月"),
          ("april", "apr", "四月"), ("may", "may", "五月"), ("june", "jun", "六月"), ("july", "jul", "七月"),
          ("august", "aug", "八月"), ("september", "sep", "sept", "九月"), ("october", "oct", "十月"),
          ("november", "nov", "十一月"), ("december", "dec", "十二月")]
WEEKDAYS = [("monday", "mon", "星期一", "周一"), ("tuesday", "tue", "tues", "星期二", "周二"),
            ("wednesday", "wed", "星期三", "周三"), ("thursday", "thu", "thur", "thurs", "星期四", "周四"),
            ("friday", "fri", "星期五", "周五"), ("saturday", "sat", "星期六", "周六"),
            ("sunday", "sun", "星期日", "星期天", "周日")]
_LEADING_NUMBER = re.compile(r"^\s*[<>≤≥~]?\s*(\d[\d,]*(?:\.\d+)?)")


def _calendar_rank(names: list[tuple[str, ...]]) -> dict[str, int]:
    return {alias: rank for rank, aliases in enumerate(names) for alias in aliases}


CALENDARS = (_calendar_rank(MONTHS), _calendar_rank(WEEKDAYS))


def natural_rank(values: Sequence[object]) -> dict[str, float] | None:
    """value -> sort key when every value (as text) has a natural place; None otherwise."""
    texts = [str(v) for v in values]
    if not texts:
        return None
    for calendar in CALENDARS:
        if all(t.strip().casefold() in calendar for t in texts):
            return {t: calendar[t.strip().casefold()] for t in texts}
    numbers = [_LEADING_NUMBER.match(t) for t in texts]
    if all(numbers) and len(texts) > 1:
        # "<10" before "10-50": a leading "<" sorts just below its number.
        return {t: float(m.group(1).replace(",", "")) - (0.5 if t.strip().startswith(("<", "≤")) else 0.0)
                for t, m in zip(texts, numbers, strict=True)}
    return None
