"""Would a CatBoost member, or inner folds in time order, close the gaps of `make bench-gaps`? (issue 12)

Run with `make bench-members` (installs CatBoost into .venv through the `candidates` extra: a learner
measured here, not one the project trains). On the bench-peers sets and splits it prints, per data set:

- `members`: the project's served log-odds (`fit_model`, as `leadscore train` fits) and CatBoost fitted on
  the project's own matrix (LeadEncoder's output, category codes as CatBoost categories, missing as -1)
  in four ways - default (`ctr`: target statistics of single columns and of their combinations),
  `ctr1` (single columns only: the one kind of CatBoost model whose splits can be rewritten as LightGBM
  splits on the same columns, so it could be served by the project's own TreeSHAP), `onehot` (one-hot
  categories, no target statistics) and `numeric` (codes read as numbers) - each one's held-out ROC-AUC
  and fit seconds, then the project blended with each at fixed log-odds weights. The weights are chosen
  after seeing the held-out rows, so a blend's number is an upper bound for what a blend could reach.
- `shap`: what CatBoost's own exact SHAP costs for one lead and for 1,000 leads (the service's targets:
  3 ms and 0.5 s with reasons), for the default model on X Education.
- `small`: the project against default CatBoost (on the raw columns, as bench-peers runs it) on 36 small
  synthetic exports (500, 1,000 and 3,000 leads; default, linear, drift, high-cardinality; seeds
  41-43; newest 20% held out): is the 500-lead set's Brier gap in bench-peers a pattern or one draw?
- `forward`: the project with its inner folds in time order (training rows sorted by creation date,
  each of the newest three quarters validated by a model of the rows before it) against its random
  stratified inner folds, on the synthetic sets (X Education has no creation dates).

    python tests/bench/bench_members.py [members|shap|small|forward ...] [--datasets x_education_cv5,drift]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_peers import training_set_and_splits
from datasets import small_exports
from measure import save
from peers_run import as_text, text_columns
from sklearn.metrics import brier_score_loss, roc_auc_score

import training.model.classifier
from training.evaluate.splits import evaluation_splits
from training.fit.train import TrainOptions, fit_model
from training.model.classifier import make_pipeline

CATBOOST_VARIANTS = {"ctr": {}, "ctr1": {"max_ctr_complexity": 1}, "onehot": {"one_hot_max_size": 255},
                     "numeric": None}
BLEND_WEIGHTS = (0.3, 0.5, 0.7)  # the project's share of the blended log-odds
SMALL_SIZES, SMALL_SEEDS = (500, 1_000, 3_000), (41, 42, 43)
SMALL_VARIANTS = ((), ("linear",), ("drift",), ("high-cardinality",))


def catboost_frame(M: np.ndarray, categorical: list[int]) -> pd.DataFrame:
    """The project's matrix with its category codes as CatBoost categories (CatBoost refuses NaN there)."""
    frame = pd.DataFrame(M)
    for c in categorical:
        frame[c] = np.nan_to_num(M[:, c], nan=-1).astype(int)
    return frame


def fit_catboost(variant: str, A: np.ndarray, y: np.ndarray, categorical: list[int]):
    from catboost import CatBoostClassifier

    settings = CATBOOST_VARIANTS[variant]
    model = CatBoostClassifier(random_seed=0, verbose=False, thread_count=2, allow_writing_files=False,
                               **(settings or {}))
    if settings is None:  # codes read as numbers
        return model.fit(A, y), lambda M: M
    return model.fit(catboost_frame(A, categorical), y, cat_features=categorical), \
        lambda M: catboost_frame(M, categorical)


def members(name: str, folder: Path) -> dict:
    ts, splits, protocol = training_set_and_splits(name, folder)
    X, y = ts.frame[ts.features], ts.frame["label"].to_numpy()
    scores = {v: np.full(len(y), np.nan) for v in ["leadscore", *CATBOOST_VARIANTS]}
    seconds = dict.fromkeys(scores, 0.0)
    for train, test in splits:
        start = time.perf_counter()
        pipeline = fit_model(X.iloc[train], y[train], ts, TrainOptions(), None)
        seconds["leadscore"] += time.perf_counter() - start
        encoder, classifier = pipeline.named_steps["encode"], pipeline.named_steps["classify"]
        A, B = encoder.transform(X.iloc[train]), encoder.transform(X.iloc[test])
        scores["leadscore"][test] = classifier.decision_function(B)
        for variant in CATBOOST_VARIANTS:
            start = time.perf_counter()
            model, as_input = fit_catboost(variant, A, y[train], list(classifier.categorical_features))
            seconds[variant] += time.perf_counter() - start
            scores[variant][test] = model.predict(as_input(B), prediction_type="RawFormulaVal")
    rows = np.concatenate([test for _, test in splits])
    auc = {v: round(roc_auc_score(y[rows], s[rows]), 4) for v, s in scores.items()}
    blends = {f"{w} leadscore + {1 - w:.1f} {v}": round(roc_auc_score(
        y[rows], w * scores["leadscore"][rows] + (1 - w) * scores[v][rows]), 4)
        for v in CATBOOST_VARIANTS for w in BLEND_WEIGHTS}
    result = {"protocol": protocol, "roc_auc": auc, "fit_seconds": {v: round(s, 1) for v, s in seconds.items()},
              "blends": blends}
    print(name, result, flush=True)
    return result


def shap_cost(folder: Path) -> dict:
    from catboost import Pool

    ts, splits, _ = training_set_and_splits("x_education_80_20", folder)
    X, y = ts.frame[ts.features], ts.frame["label"].to_numpy()
    train, test = splits[0]
    # Only the project's matrix is needed here, so only its encoder is fitted (the same one fit_model builds).
    encoder = make_pipeline(X, ts.feature_names, ts.spec.leads.missing_values).named_steps["encode"]
    encoder.fit(X.iloc[train])
    categorical = encoder.categorical_indices_
    model, as_input = fit_catboost("ctr", encoder.transform(X.iloc[train]), y[train], categorical)
    B = as_input(encoder.transform(X.iloc[test]))
    result = {}
    for leads, repeats in ((1, 50), (1000, 5)):
        rows = B.iloc[:leads]
        model.get_feature_importance(Pool(rows, cat_features=categorical), type="ShapValues")  # warm
        start = time.perf_counter()
        for _ in range(repeats):
            model.get_feature_importance(Pool(rows, cat_features=categorical), type="ShapValues",
                                         thread_count=1 if leads == 1 else 2)
        result[f"{leads} leads, ms"] = round((time.perf_counter() - start) / repeats * 1000, 1)
    print("catboost shap", result, flush=True)
    return result


def small(folder: Path) -> dict:
    from catboost import CatBoostClassifier

    rows = []
    for name, leads, ts in small_exports(folder, SMALL_SIZES, SMALL_VARIANTS, SMALL_SEEDS):
        (train, test), = evaluation_splits(ts.frame, 5, 0)
        X, y = ts.frame[ts.features], ts.frame["label"].to_numpy()
        ours = fit_model(X.iloc[train], y[train], ts, TrainOptions(), None).predict_proba(X.iloc[test])[:, 1]
        text = text_columns(X)
        peer = CatBoostClassifier(random_seed=0, verbose=False, thread_count=2, allow_writing_files=False)
        peer.fit(as_text(X.iloc[train], text), y[train], cat_features=text)
        theirs = peer.predict_proba(as_text(X.iloc[test], text))[:, 1]
        rows.append({"leads": leads,
                     "roc_auc": float(roc_auc_score(y[test], ours) - roc_auc_score(y[test], theirs)),
                     "brier": float(brier_score_loss(y[test], ours) - brier_score_loss(y[test], theirs))})
        print(name, rows[-1], flush=True)
    frame, result = pd.DataFrame(rows), {}
    for leads, group in frame.groupby("leads"):
        for metric in ("roc_auc", "brier"):
            d = group[metric]
            result[f"{leads} leads, {metric}, leadscore - catboost"] = {
                "mean": round(float(d.mean()), 4), "standard_error": round(float(d.std() / np.sqrt(len(d))), 4),
                "leadscore_higher": int((d > 0).sum()), "tables": len(d)}
    print("small", result, flush=True)
    return result


def forward_splits(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rows in time order: quarter k (k = 2..4) held out, a model of the quarters before it fitted."""
    quarter = len(y) // 4
    return [(np.arange(k * quarter), np.arange(k * quarter, (k + 1) * quarter if k < 3 else len(y)))
            for k in (1, 2, 3)]


def forward(name: str, folder: Path) -> dict:
    ts, splits, protocol = training_set_and_splits(name, folder)
    X, y, created = ts.frame[ts.features], ts.frame["label"].to_numpy(), ts.frame["created_at"].to_numpy()
    result = {"protocol": protocol}
    random_splits = training.model.classifier.inner_splits
    for scheme, splitter in (("random", random_splits), ("forward", forward_splits)):
        # The measured alternative swaps the model's inner split function for this run only.
        training.model.classifier.inner_splits = splitter
        try:
            p, held = [], []
            for train, test in splits:
                train = train[np.argsort(created[train], kind="stable")]  # row order = time order
                p.append(fit_model(X.iloc[train], y[train], ts, TrainOptions(), None).predict_proba(X.iloc[test])[:, 1])
                held.append(y[test])
        finally:
            training.model.classifier.inner_splits = random_splits
        p, held = np.concatenate(p), np.concatenate(held)
        result[scheme] = {"roc_auc": round(roc_auc_score(held, p), 4), "brier": round(brier_score_loss(held, p), 4)}
    print(name, result, flush=True)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("parts", nargs="*", default=["members", "shap", "small", "forward"])
    parser.add_argument("--datasets", default=None, help="comma-separated bench-peers data sets")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-members-") as tmp:
        folder = Path(tmp)
        if "members" in args.parts:
            for name in (args.datasets or "x_education_cv5,x_education_80_20,drift").split(","):
                results[f"members {name}"] = members(name, folder / f"m-{name}")
        if "shap" in args.parts:
            results["catboost shap"] = shap_cost(folder / "shap")
        if "small" in args.parts:
            results["small"] = small(folder / "small")
        if "forward" in args.parts:
            for name in (args.datasets or "drift,linear,rare,high_cardinality,leads_500").split(","):
                results[f"forward {name}"] = forward(name, folder / f"f-{name}")
    print(f"saved {save('members', results)}")
