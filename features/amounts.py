"""Numbers written for people (`$1,234.50`, `1,200,000`, `45%`, `¥12,000`, `EUR 900`) are numbers, not
categories: read so by the build and by batch scoring (the encoder's `read_numbers`), as clock times are
(features/clock.py). Not by the service, whose API document declares numbers and plain decimal text.

Only the form a column proves is read: a comma between groups of three digits, a point before the
decimals, at most one currency throughout, a percent sign after. A column with a decimal comma
(`12,5`, `1.234,56`) or with two currencies stays text: reading it would be a guess (which mark is the
decimal one; whether 100 EUR and 100 USD may be added). A percent keeps its number: `45%` is 45.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_CURRENCY = r"(?:US\$|[$€£¥￥₹]|USD|EUR|GBP|CNY|RMB|JPY|INR|元)"
# ASCII digits only: '٣' is no amount a CRM writes, and float() would read it.
AMOUNT = re.compile(rf"^\s*(?P<sign>[-+])?\s*(?P<pre>{_CURRENCY})?\s*(?P<sign2>-)?"
                    r"(?P<number>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
                    rf"\s*(?P<post>%|{_CURRENCY})?\s*$")
_DECIMAL_COMMA = re.compile(r"\d,\d{1,2}(?!\d)|\d,\d{4,}|\d\.\d{3},")


def amount_series(values: pd.Series) -> pd.Series:
    """The number per value (NaN where a value is missing or not an amount)."""
    text = values.astype("string").str.strip()
    parts = text.str.extract(AMOUNT)
    numbers = parts["number"].str.replace(",", "", regex=False).astype("float64")
    negative = (parts["sign"] == "-").fillna(False) | (parts["sign2"] == "-").fillna(False)
    numbers = numbers.where(~negative, -numbers)
    return pd.Series(numbers.to_numpy(dtype=np.float64, na_value=np.nan), index=values.index)


def is_amount_column(values: pd.Series) -> bool:
    """A text column whose filled values are all amounts in one proven form, some of them written for people
    (a separator, a currency or a percent: a column of plain numbers is numeric already). All, not most: a
    value that is no amount ('TBD') would otherwise be missing without a word; such a column stays text
    until its placeholders are listed under 'missing_values'."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    text = values.dropna().astype("string").str.strip()
    text = text[text != ""]
    if len(text) < 5 or text.str.contains(_DECIMAL_COMMA).any():
        return False
    parts = text.str.extract(AMOUNT)
    if parts["number"].isna().any():
        return False
    currencies = (set(parts["pre"].dropna()) | set(parts["post"].dropna())) - {"%"}
    written = text.str.contains(",", regex=False) | parts["pre"].notna() | parts["post"].notna()
    return len(currencies) <= 1 and bool(written.any())
