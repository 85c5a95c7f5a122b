"""Serving the inner folds' mean booster against refitting one on all rows (issue 12), run with
`make bench-bagging`: the same LeadClassifier with `bag_folds` on and off, scored on the same held-out
rows of
- the bench-peers data sets and splits (X Education and the synthetic variants): one table of ROC-AUC /
  Brier / fit seconds;
- a sweep of small synthetic exports (1,000, 3,000 and 10,000 leads; default, linear, drift and
  high-cardinality; seeds 11-13; newest 20% held out), where bagging's variance reduction should show
  if anywhere: the mean ROC-AUC change per size and over all.

    python tests/bench/bench_bagging.py [DATASET ...] [--no-sweep]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_peers import DATASETS, training_set_and_splits
from datasets import small_exports
from measure import save
from sklearn.metrics import brier_score_loss, roc_auc_score

from training.evaluate.splits import evaluation_splits
from training.model.classifier import make_pipeline

VARIANTS = {"refit": {"bag_folds": False}, "mean of folds": {"bag_folds": True}}
SWEEP_SIZES, SWEEP_SEEDS = (1_000, 3_000, 10_000), (11, 12, 13)
SWEEP_VARIANTS = ((), ("linear",), ("drift",), ("high-cardinality",))


def compare(name: str, folder: Path) -> dict:
    ts, splits, protocol = training_set_and_splits(name, folder)
    return compare_on(ts, splits, protocol, name)


def sweep(folder: Path) -> dict:
    results = {}
    for name, leads, ts in small_exports(folder, SWEEP_SIZES, SWEEP_VARIANTS, SWEEP_SEEDS):
        splits = evaluation_splits(ts.frame, 5, 0)
        results[name] = {"leads": leads, **compare_on(ts, splits, "newest 20%", name)}
    return results


def compare_on(ts, splits, protocol: str, name: str) -> dict:
    X, y = ts.frame[ts.features], ts.frame["label"].to_numpy()
    rows = np.concatenate([test for _, test in splits])
    row = {"protocol": protocol, "rows": len(y)}
    for label, learner in VARIANTS.items():
        p, seconds = np.full(len(y), np.nan), 0.0
        for train, test in splits:
            start = time.perf_counter()
            pipeline = make_pipeline(X.iloc[train], ts.feature_names, ts.spec.leads.missing_values,
                                     seed=ts.spec.evaluation.seed, **learner).fit(X.iloc[train], y[train])
            seconds += time.perf_counter() - start
            p[test] = pipeline.predict_proba(X.iloc[test])[:, 1]
        row[label] = {"roc_auc": round(roc_auc_score(y[rows], p[rows]), 4),
                      "brier": round(brier_score_loss(y[rows], p[rows]), 4), "seconds": round(seconds, 1)}
        print(f"  {name} {label}: {row[label]}", flush=True)
    return row


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    # 200,000 leads: tables that large learn on one inner holdout, so there are no folds to bag.
    choices = [d for d in DATASETS if d != "leads_200k"]
    parser.add_argument("datasets", nargs="*", help=f"any of {', '.join(choices)} (default: all)")
    parser.add_argument("--no-sweep", action="store_true")
    args = parser.parse_args()
    if unknown := set(args.datasets) - set(choices):
        parser.error(f"unknown data sets {sorted(unknown)}; choose from {choices}")
    with tempfile.TemporaryDirectory(prefix="bench-bagging-") as tmp:
        names = args.datasets or choices
        results = {name: compare(name, Path(tmp)) for name in names}
        swept = {} if args.no_sweep else sweep(Path(tmp))
    print("| data set | refit: ROC-AUC / Brier / s | mean of folds: ROC-AUC / Brier / s | ROC-AUC change |")
    print("|---|---:|---:|---:|")
    for name, row in results.items():
        a, b = row["refit"], row["mean of folds"]
        print(f"| {name} ({row['rows']:,} leads, {row['protocol']}) | {a['roc_auc']:.4f} / {a['brier']:.4f} / "
              f"{a['seconds']:.1f} | {b['roc_auc']:.4f} / {b['brier']:.4f} / {b['seconds']:.1f} | "
              f"{b['roc_auc'] - a['roc_auc']:+.4f} |")
    changes = {name: row["mean of folds"]["roc_auc"] - row["refit"]["roc_auc"] for name, row in swept.items()}
    for leads in SWEEP_SIZES if swept else ():
        d = np.array([changes[n] for n, row in swept.items() if row["leads"] == leads])
        print(f"sweep, {leads:,} leads: ROC-AUC change {d.mean():+.4f} on average (sd {d.std(ddof=1):.4f}), "
              f"better on {(d > 0).sum()} of {len(d)}")
    peer_sets = [row["mean of folds"]["roc_auc"] - row["refit"]["roc_auc"] for row in results.values()]
    everything = np.array([*changes.values(), *peer_sets])
    error = everything.std(ddof=1) / np.sqrt(len(everything))
    print(f"all {len(everything)} tables: ROC-AUC change {everything.mean():+.4f} on average "
          f"(standard error {error:.4f}), better on {(everything > 0).sum()}")
    print(f"saved {save('bagging', {**results, **swept})}")
