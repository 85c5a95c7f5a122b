"""Personal data in the prediction log: a text value that is an email address or a phone number (the
patterns `leadscore init` and `build` use to find personal columns, features/build.py) is written as a
mask, whichever field it came in. The masks are counted, so a CRM that puts contact details into a
feature's field shows in /model instead of in the log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build import EMAIL, PHONE

MASKS = (("<email>", EMAIL), ("<phone>", PHONE))


def mask_value(value: object) -> tuple[object, bool]:
    """`value`, or its mask when it is text holding an email address or a phone number."""
    if isinstance(value, str):
        text = value.strip()
        for mask, pattern in MASKS:
            if pattern.fullmatch(text):
                return mask, True
    return value, False


def mask_column(values: pd.Series) -> tuple[pd.Series, int]:
    """A column with its emails and phone numbers masked, and how many were; each distinct value is
    looked at once (a million leads hold few distinct values in a field)."""
    codes, uniques = pd.factorize(values)
    masks = [mask_value(u) for u in uniques]
    hit = np.array([masked for _, masked in masks] + [False])  # code -1 (missing) reads the last entry
    if not hit.any():
        return values, 0
    shown = np.array([m for m, _ in masks] + [None], dtype=object)
    out = values.astype(object).where(~hit[codes], pd.Series(shown[codes], index=values.index))
    return out, int(hit[codes].sum())
