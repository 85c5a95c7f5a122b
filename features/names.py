"""Safe feature names.

LightGBM refuses feature names with JSON special characters, and CRM exports use names such as
"What is your current occupation". Every column gets a snake_case identifier; the mapping is kept so
explanations can show the original names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Columns the training set adds itself; a feature may not take these names.
RESERVED = ("lead_id", "created_at", "label")


def safe_name(name: str) -> str:
    """'Total Time Spent on Website' -> 'total_time_spent_on_website'; '客户 城市' -> '客户_城市'.

    Accents are dropped (é -> e); letters of other scripts (Chinese, Cyrillic, ...) are kept as they
    are, since LightGBM accepts them and an ASCII-only rule would turn them all into 'column'.
    """
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)  # camelCase -> camel_Case
    text = re.sub(r"[\W_]+", "_", text).strip("_").lower()
    if not text:
        text = "column"
    if text[0].isdigit():
        text = f"c_{text}"
    return text


def safe_names(columns: Iterable[str], taken: Iterable[str] = RESERVED) -> dict[str, str]:
    """Map each original column name to a unique safe name, avoiding names already taken."""
    used = set(taken)
    mapping: dict[str, str] = {}
    for column in columns:
        base = safe_name(column)
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        mapping[column] = candidate
    return mapping
