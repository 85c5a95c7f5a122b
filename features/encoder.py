"""LeadEncoder: the first step of the model Pipeline, turning lead records into the model's matrix.

It is the single source of truth for the transform: training, batch scoring and the service all call
it. It accepts original CRM column names or their safe names, ignores unknown columns, treats the
spec's placeholders ('Select') as missing, and codes each categorical value as an integer that
LightGBM reads natively. Rare and unseen values share one 'other' code, so new values are fine.

Two entry points produce the same matrix: `transform` (a DataFrame, vectorised, for training and
batches) and `transform_records` (a list of dicts, pure Python, for the one-lead hot path, where
building a DataFrame would cost more than the model). A parity test holds them equal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from features.amounts import amount_series
from features.clock import clock_seconds, clock_series
from features.columns import is_numeric_column
from features.errors import LeadscoreError

# What a numeric field takes on the records path (the service): a number from -MAX_NUMBER to MAX_NUMBER,
# far beyond any CRM figure and far from the float overflow a model's arithmetic would meet near 1.8e308.
# As text: a plain decimal with at most 15 digits before the point, or one digit before it and an
# exponent up to 14; either stays within MAX_NUMBER. Written for Python's re.search and ECMA 262 alike, so
# the OpenAPI document states the same rule and a client's validator accepts exactly what the service
# does: "Infinity", "nan", "1e400", "1_000" are refused.
MAX_NUMBER = 1e15
NUMBER_TEXT = (r"^[ \t\n\r]*[-+]?([0-9]{1,15}(\.[0-9]{0,15})?|\.[0-9]{1,15}|"
               r"[0-9](\.[0-9]{0,15})?[eE](-[0-9]{1,2}|\+?(0?[0-9]|1[0-4])))[ \t\n\r]*$")
_NUMBER = re.compile(NUMBER_TEXT)
SPACE = " \t\n\r"  # stripped around a placeholder or a number sent as text


def number_field_message(name: str, row: int | None = None) -> str:
    """Why a numeric field was refused and what to send, without the value that was sent."""
    where = f"field {name!r}" + ("" if row is None else f" of lead {row + 1}")
    return (f"{where}: expected a finite number from -1e15 to 1e15 (a JSON number, or text such as \"12\" or "
            "\"3.5\"); send a number, or null or leave the field out when it is unknown")


class LeadEncoder(TransformerMixin, BaseEstimator):
    """Lead records -> float matrix (numbers as they are, categories as integer codes, NaN missing).

    Parameters
    ----------
    original_names : safe name -> original CRM column name, so either may be sent.
    missing_values : placeholder strings that mean "not given".
    min_category_count : values seen fewer times share the 'other' code (limits overfitting).
    max_categories : at most this many distinct codes per column, most frequent first.
    """

    def __init__(self, original_names: Mapping[str, str] | None = None, missing_values: Iterable[str] = (),
                 min_category_count: int = 10, max_categories: int = 200):
        self.original_names = original_names
        self.missing_values = missing_values
        self.min_category_count = min_category_count
        self.max_categories = max_categories

    # -- fitting -----------------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y=None) -> LeadEncoder:
        if not isinstance(X, pd.DataFrame):
            raise TypeError("LeadEncoder.fit needs a pandas DataFrame of lead fields")
        names = dict(self.original_names or {})
        self.feature_names_in_ = np.array([str(c) for c in X.columns], dtype=object)
        self.display_names_ = [names.get(c, c) for c in self.feature_names_in_]
        self.is_numeric_ = [is_numeric_column(X[c]) for c in X.columns]
        self.category_codes_ = []
        for column, numeric in zip(X.columns, self.is_numeric_, strict=True):
            if numeric:
                self.category_codes_.append({})
                continue
            counts = self._blank(X[column].astype("string")).value_counts(dropna=True)
            counts = counts[counts >= self.min_category_count]
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: self.max_categories]
            self.category_codes_.append({str(value): code for code, (value, _) in enumerate(ordered)})
        # Either name reaches the same column.
        self.column_index_ = {name: i for i, name in enumerate(self.feature_names_in_)}
        for i, display in enumerate(self.display_names_):
            self.column_index_.setdefault(display, i)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    @property
    def categorical_indices_(self) -> list[int]:
        check_is_fitted(self, "is_numeric_")
        return [i for i, numeric in enumerate(self.is_numeric_) if not numeric]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        return self.feature_names_in_.copy()

    # -- the DataFrame path ------------------------------------------------------------------------
    def _blank(self, values: pd.Series) -> pd.Series:
        placeholders = list(self.missing_values) + [""]
        return values.mask(values.isin(placeholders))

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "is_numeric_")
        if not isinstance(X, pd.DataFrame):
            raise TypeError("LeadEncoder.transform needs a pandas DataFrame of lead fields")
        out = np.full((len(X), self.n_features_in_), np.nan, dtype=np.float64)
        for i, column in self.feature_columns(X.columns).items():
            out[:, i] = self._encode_column(i, X[column])
        return out

    def feature_columns(self, columns: Iterable) -> dict[int, object]:
        """{feature index: the column that feeds it}: a column may name a feature by its safe or its
        original name; when two name the same feature, the first wins (the one home of that rule)."""
        check_is_fitted(self, "column_index_")
        found: dict[int, object] = {}
        for column in columns:
            i = self.column_index_.get(str(column))
            if i is not None and i not in found:
                found[i] = column
        return found

    def _encode_column(self, i: int, values: pd.Series) -> np.ndarray:
        if self.is_numeric_[i]:
            if is_numeric_column(values) or pd.api.types.is_bool_dtype(values):
                return values.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
            return self.read_numbers(i, values).to_numpy(dtype=np.float64, na_value=np.nan)
        codes = self.category_codes_[i]
        text = self._blank(values.astype("string"))
        mapped = text.map(codes).astype("float64")
        other = text.notna() & mapped.isna()
        mapped[other] = len(codes)
        return mapped.to_numpy(dtype=np.float64, na_value=np.nan)

    def read_numbers(self, i: int, values: pd.Series) -> pd.Series:
        """Numeric feature i's text as numbers (float64, same index): plain decimals, times of day and
        durations as seconds (features/clock.py), amounts written for people such as $1,234.50
        (features/amounts.py); blanks and placeholders missing; anything else is an error naming the row.
        Not the service's path: its document declares numbers and plain decimal text only."""
        text = self._blank(values.astype("string"))
        numbers = pd.to_numeric(text, errors="coerce")
        for reader in (clock_series, amount_series):
            bad = numbers.isna() & text.notna()
            if not bad.any():
                break
            numbers = numbers.fillna(reader(text))
        bad = numbers.isna() & text.notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise LeadscoreError(
                f"column {self.display_names_[i]!r}: {text.iloc[row]!r} at data row {row + 1} is not a "
                "number; send a number or leave it empty")
        return numbers.astype("float64")

    # -- the records path (hot path of the service) --------------------------------------------------
    def transform_records(self, records: list[Mapping[str, object]]) -> np.ndarray:
        """Same matrix as `transform`, built from dicts without pandas."""
        check_is_fitted(self, "is_numeric_")
        out = np.full((len(records), self.n_features_in_), np.nan, dtype=np.float64)
        index, numeric, codes = self.column_index_, self.is_numeric_, self.category_codes_
        blanks = set(self.missing_values) | {""}
        for r, record in enumerate(records):
            seen = set()
            for key, value in record.items():
                i = index.get(key)
                if i is None or i in seen or value is None:
                    continue
                seen.add(i)
                if numeric[i]:
                    out[r, i] = self._number(i, value, r, blanks)
                else:
                    text = str(value) if not isinstance(value, bool) else ("True" if value else "False")
                    if text in blanks:
                        continue
                    out[r, i] = codes[i].get(text, len(codes[i]))
        return out

    def _number(self, i: int, value: object, row: int, blanks: set[str]) -> float:
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, float) and math.isnan(value):  # how a DataFrame row says missing
            return np.nan
        if isinstance(value, int | float):
            try:
                number = float(value)
            except OverflowError:  # an integer beyond a 64-bit float
                number = math.inf
        else:
            text = str(value)
            if text.strip(SPACE) in blanks:
                return np.nan
            if _NUMBER.search(text):
                number = float(text)
            else:  # a time of day or a duration is read as seconds; anything else is refused below
                seconds = clock_seconds(text.strip(SPACE))
                number = math.nan if seconds is None else seconds
        if not abs(number) <= MAX_NUMBER:  # NaN too; refused, never read as missing: the caller sent something
            raise LeadscoreError(number_field_message(self.display_names_[i], row),
                                 loc=("leads", row, self.display_names_[i]))
        return number

    def unknown_fields(self, keys: Iterable[str]) -> list[str]:
        """Fields of a request that name no feature (ignored, and listed back to the caller)."""
        return [k for k in keys if k not in self.column_index_]
