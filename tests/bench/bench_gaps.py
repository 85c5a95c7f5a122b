"""How large is a gap to a peer against the noise of the held-out rows? (issue 12)

For each data set, the project (`fit_model` + `score_frame`, as in bench_peers.py) and one peer (default
CatBoost unless told otherwise, run in .venv-peers as bench_peers.py runs it) score the same held-out
rows; then a paired bootstrap (1,000 resamples of those rows, seed 0) of the ROC-AUC difference, project
minus peer, gives its spread, a 95% interval and how often the project is at least as good. A gap whose
interval spans zero is within what another draw of held-out leads would move.

    python tests/bench/bench_gaps.py [DATASET ...] [--peer catboost]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from bench_peers import DATASETS, run_peer, run_project, training_set_and_splits
from measure import save
from sklearn.metrics import roc_auc_score

RESAMPLES = 1000


def paired_bootstrap(y: np.ndarray, ours: np.ndarray, theirs: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(RESAMPLES):
        rows = rng.integers(0, len(y), len(y))
        diffs.append(roc_auc_score(y[rows], ours[rows]) - roc_auc_score(y[rows], theirs[rows]))
    return np.array(diffs)


def gap(name: str, peer: str, folder: Path) -> dict:
    ts, splits, protocol = training_set_and_splits(name, folder)
    y = ts.frame["label"].to_numpy()
    ours, theirs = np.full(len(y), np.nan), np.full(len(y), np.nan)
    for train, test in splits:
        ours[test], _ = run_project(ts, train, test)
        theirs[test], _ = run_peer(peer, ts, train, test, folder)
    rows = np.concatenate([test for _, test in splits])
    y, ours, theirs = y[rows], ours[rows], theirs[rows]
    diffs = paired_bootstrap(y, ours, theirs)
    our_auc, their_auc = roc_auc_score(y, ours), roc_auc_score(y, theirs)
    result = {"protocol": protocol, "held_out": len(y), "leadscore": round(our_auc, 4), peer: round(their_auc, 4),
              "difference": round(our_auc - their_auc, 4),
              "bootstrap_sd": round(float(diffs.std()), 4),
              "interval_95": [round(float(np.percentile(diffs, q)), 4) for q in (2.5, 97.5)],
              "share_at_least_as_good": round(float((diffs >= 0).mean()), 3)}
    print(json.dumps({name: result}), flush=True)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("datasets", nargs="*", help=f"any of {', '.join(DATASETS)} (default: all but 200,000 leads)")
    parser.add_argument("--peer", default="catboost")
    args = parser.parse_args()
    if unknown := set(args.datasets) - set(DATASETS):
        parser.error(f"unknown data sets {sorted(unknown)}; choose from {DATASETS}")
    names = args.datasets or [d for d in DATASETS if d != "leads_200k"]
    with tempfile.TemporaryDirectory(prefix="bench-gaps-") as tmp:
        results = {name: gap(name, args.peer, Path(tmp)) for name in names}
    print(f"| data set | held-out leads | leadscore | {args.peer} | difference | bootstrap sd | 95% interval "
          "| share of resamples leadscore >= peer |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        low, high = r["interval_95"]
        print(f"| {name} ({r['protocol']}) | {r['held_out']:,} | {r['leadscore']:.4f} | {r[args.peer]:.4f} | "
              f"{r['difference']:+.4f} | {r['bootstrap_sd']:.4f} | [{low:+.4f}, {high:+.4f}] | "
              f"{r['share_at_least_as_good']:.3f} |")
    print(f"saved {save('gaps_' + args.peer, results)}")
