"""Checks on a labelled table that stop a build with one line instead of a traceback deep inside a fold
split or a model fit: too few leads, one outcome only, leads dated in the future."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.errors import LeadscoreError
from features.messages import shown

MIN_ROWS = 30  # below this no evaluation split means anything


def check_enough(y: np.ndarray, folds: int, source: str) -> None:
    """Too few leads, or one outcome only: say so in one line instead of failing inside a fold split."""
    if y.min() == y.max():
        raise LeadscoreError(f"{source}: every labelled lead has outcome {int(y[0])}; both outcomes are needed "
                             "(check 'outcome.positive' / 'outcome.negative' and the horizon)")
    fewest = int(min(y.sum(), len(y) - y.sum()))
    if folds > 1 and (len(y) < MIN_ROWS or fewest < folds):
        raise LeadscoreError(f"{source}: only {len(y):,} labelled leads ({fewest} in the rarer outcome); at least "
                             f"{MIN_ROWS} leads and {folds} of each outcome ('evaluation.folds') are needed to "
                             "train and evaluate a model")


def check_not_future(created_at: pd.Series, ids: pd.Series, source: str, column: str) -> None:
    """A lead created after today is a misread date or a broken clock, not a lead to learn from."""
    future = created_at > pd.Timestamp.now(tz="UTC").tz_localize(None) + pd.Timedelta(days=1)
    if future.any():
        row = int(future.to_numpy().nonzero()[0][0])
        raise LeadscoreError(
            f"{source}: {int(future.sum()):,} lead(s) are dated in the future in column {column!r}, e.g. data row "
            f"{row + 1} (lead id {shown(ids.iloc[row])}) on {created_at.iloc[row].date()}; check "
            "'leads.date_format' or remove those rows")
