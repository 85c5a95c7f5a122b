"""One peer learner on one split, run by `.venv-peers/bin/python` (never the project's environment, so
no peer becomes a project dependency by accident). Reads train/test Parquet files with a `label`
column, writes the test rows' probabilities and the training seconds as JSON.

    peers_run.py PEER TRAIN.parquet TEST.parquet OUT.json [--time-limit S]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np
import pandas as pd


def text_columns(frame: pd.DataFrame) -> list[str]:
    types = pd.api.types
    return [c for c in frame.columns if not types.is_numeric_dtype(frame[c]) or types.is_bool_dtype(frame[c])]


def as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for c in columns:
        frame[c] = frame[c].astype("string").fillna("(missing)").astype(str)
    return frame


def run_catboost(X, y, T, limit):
    from catboost import CatBoostClassifier

    cats = text_columns(X)
    model = CatBoostClassifier(random_seed=0, verbose=False, thread_count=2, allow_writing_files=False)  # defaults
    start = time.perf_counter()
    model.fit(as_text(X, cats), y, cat_features=cats)
    seconds = time.perf_counter() - start
    return model.predict_proba(as_text(T, cats))[:, 1], seconds


def run_flaml(X, y, T, limit):
    from flaml import AutoML

    cats = text_columns(X)
    X, T = as_text(X, cats), as_text(T, cats)
    for c in cats:  # FLAML reads pandas categories as categorical features
        kinds = pd.CategoricalDtype(sorted(set(X[c])))
        X[c], T[c] = X[c].astype(kinds), T[c].astype(kinds)
    automl = AutoML()
    start = time.perf_counter()
    automl.fit(X, y, task="classification", metric="roc_auc", time_budget=limit, seed=0, n_jobs=2, verbose=0)
    seconds = time.perf_counter() - start
    return automl.predict_proba(T)[:, 1], seconds


def run_autogluon(X, y, T, limit):
    from autogluon.tabular import TabularPredictor

    with tempfile.TemporaryDirectory(prefix="ag-") as folder:
        train = X.assign(label=y)
        predictor = TabularPredictor(label="label", eval_metric="roc_auc", path=folder, verbosity=0)
        start = time.perf_counter()
        predictor.fit(train, presets="medium_quality", time_limit=limit, num_cpus=2, num_gpus=0)
        seconds = time.perf_counter() - start
        p = predictor.predict_proba(T, as_pandas=False)
        return (p[:, 1] if p.ndim == 2 else p), seconds


PEERS = {"catboost": run_catboost, "flaml": run_flaml, "autogluon": run_autogluon}

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=sorted(PEERS))
    parser.add_argument("train")
    parser.add_argument("test")
    parser.add_argument("out")
    parser.add_argument("--time-limit", type=float, default=120)
    args = parser.parse_args()
    train, test = pd.read_parquet(args.train), pd.read_parquet(args.test)
    y = train.pop("label").to_numpy().astype(int)
    test = test.drop(columns=["label"])
    p, seconds = PEERS[args.peer](train, y, test, args.time_limit)
    with open(args.out, "w") as f:
        json.dump({"p": np.asarray(p, dtype=float).tolist(), "seconds": seconds}, f)
