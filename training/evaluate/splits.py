"""Honest evaluation: the same held-out rows for every model, nothing learned from them.

With a creation time: train on the older 80% of leads, evaluate on the newest 20% (how the model
will be used: trained on the past, scoring the future). Without: stratified k-fold with out-of-fold
predictions. Snapshot rows (several per lead, features/snapshots.py) split by snapshot date, and one
lead never sits on both sides: a lead with a row among the newest is left out of training, and so is
a row whose label was not known yet at the cut (its horizon ends after it); k-fold groups a lead's
rows into one fold. Every model factory is fitted on training rows only; tuning, early stopping and
calibration happen inside that fit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from training.report.texts import PROTOCOLS

TIME_HOLDOUT_SHARE = 0.20


def evaluation_splits(frame: pd.DataFrame, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, evaluation rows) pairs of positional indices."""
    y = frame["label"].to_numpy()
    if "snapshot_at" in frame:
        return [snapshot_time_split(frame)]
    if "created_at" in frame:
        order = np.argsort(frame["created_at"].to_numpy(), kind="stable")
        cut = int(round(len(order) * (1 - TIME_HOLDOUT_SHARE)))
        return [(np.sort(order[:cut]), np.sort(order[cut:]))]
    if "lead_id" in frame and frame["lead_id"].duplicated().any():
        groups = pd.factorize(frame["lead_id"])[0]
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(y)), y, groups))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def snapshot_time_split(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate on the rows of the newest 20% of snapshot dates; train on the older rows of the other
    leads (a lead with a row among the evaluated ones is not trained on, so it never sits on both sides)
    whose horizon ended by the cut (a later win was not known then). Rows of one snapshot date stay on
    one side."""
    at = frame["snapshot_at"].to_numpy(dtype="datetime64[ns]")
    order = np.sort(at)
    cut = order[min(int(round(len(order) * (1 - TIME_HOLDOUT_SHARE))), len(order) - 1)]
    evaluated = at >= cut
    held_leads = set(frame["lead_id"].to_numpy()[evaluated])
    train = ~evaluated & ~frame["lead_id"].isin(held_leads).to_numpy()
    if "horizon_end" in frame:
        train &= frame["horizon_end"].to_numpy(dtype="datetime64[ns]") <= cut
    return np.flatnonzero(train), np.flatnonzero(evaluated)


def prediction_of(spec):
    """The spec's prediction times (`activities.prediction`: a fixed age or snapshots), None without activities."""
    return spec.activities.prediction if spec.activities else None


def protocol_name(frame: pd.DataFrame, folds: int, lang: str = "en", prediction=None) -> str:
    """The evaluation protocol in words; `prediction`: the spec's `activities.prediction`, which says how
    snapshot rows (a `snapshot_at` column) were made."""
    texts = PROTOCOLS[lang]
    if "snapshot_at" in frame and prediction is not None and prediction.snapshots:
        return texts["snapshots"].format(every=prediction.snapshot_every_days, horizon=prediction.horizon_days,
                                         held=TIME_HOLDOUT_SHARE)
    if "created_at" in frame:
        return texts["time"].format(train=1 - TIME_HOLDOUT_SHARE, held=TIME_HOLDOUT_SHARE)
    return texts["folds"].format(folds=folds)


def held_out_predictions(
    fit_predict: Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], np.ndarray],
    X: pd.DataFrame, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]],
    on_split: Callable[[], None] | None = None, name: str = "model",
) -> dict[str, np.ndarray]:
    """name -> predictions for every evaluated row from a model that never saw it (NaN for rows never
    evaluated). fit_predict returns an array, or a dict of arrays when one fit yields several candidates."""
    out: dict[str, np.ndarray] = {}
    for train_rows, eval_rows in splits:
        predicted = fit_predict(X.iloc[train_rows], y[train_rows], X.iloc[eval_rows])
        for key, values in (predicted if isinstance(predicted, dict) else {name: predicted}).items():
            out.setdefault(key, np.full(len(y), np.nan))[eval_rows] = values
        if on_split:
            on_split()
    return out


def evaluated_rows(splits: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    return np.sort(np.concatenate([rows for _, rows in splits]))
