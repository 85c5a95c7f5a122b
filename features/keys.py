"""Matching and deduplicating key columns of tens of millions of rows without Python objects.

An activity table holds about twenty events per lead: turning its lead ids into Python strings to hash
them costs more than everything the build does with them. Arrow hashes the text in place, and
duplicated rows are found from a 64-bit hash of their integer keys, checked exactly among the few rows
that share one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def id_text(values: pd.Series) -> pd.Series:
    """Ids as text, whole numbers without a decimal point. A CSV column of whole numbers is read as float64
    when it has a blank (pandas) or may have one in a later part (Dask): 123.0 is the id '123', as a column
    without blanks reads it."""
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        if (present == np.floor(present)).all():
            return values.astype("Int64").astype("string")
    return values.astype("string")


def text_array(values: pd.Series) -> pa.Array:
    """The values as Arrow text, read as pandas' `astype("string")` reads them (1 -> '1', missing -> null)."""
    text = pa.array(values.astype("string[pyarrow]"))
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def positions_in(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """For each value, the position of its first equal in `keys` (both compared as text), -1 when none."""
    found = pc.index_in(text_array(values), value_set=text_array(keys))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def is_in(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """`values.isin(set(keys))` for text: whether each value is one of `keys` (missing: when `keys` has one)."""
    found = pc.is_in(text_array(values), value_set=text_array(keys))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def text_codes(values: pd.Series) -> np.ndarray:
    """Each value (as text) numbered in order of first appearance; -1 when missing."""
    codes = text_array(values).dictionary_encode().indices
    return codes.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def duplicated_rows(frame: pd.DataFrame, codes: Sequence[np.ndarray], among: np.ndarray | None = None) -> np.ndarray:
    """`frame[among].duplicated(keep="first")`, exactly, as a mask of all rows (False outside `among`).

    `codes`: integer arrays that are equal wherever two rows are equal (a lead's number, a time in
    nanoseconds). Rows are hashed from them and only rows sharing a hash are compared by value, so none
    is missed and Python objects are made only for those few."""
    rows = np.arange(len(frame)) if among is None else np.flatnonzero(among)
    out = np.zeros(len(frame), dtype=bool)
    if not len(rows):
        return out
    hashed = np.zeros(len(rows), dtype=np.uint64)
    for code in codes:  # uint64 arithmetic wraps around: a hash, not a number
        hashed = hashed * np.uint64(1_000_003) ^ pd.util.hash_array(np.asarray(code, dtype=np.int64)[rows])
    ordered = np.sort(hashed)  # a sort is several times faster than a hash table on tens of millions
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if len(repeated):
        shared = repeated[np.minimum(np.searchsorted(repeated, hashed), len(repeated) - 1)] == hashed
        candidates = rows[shared]
        out[candidates] = frame.iloc[candidates].duplicated(keep="first").to_numpy()
    return out
