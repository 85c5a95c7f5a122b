"""Snapshot training rows on the synthetic export: the served model's held-out ROC-AUC and Brier score.

The export (default 10,000 leads, seed 0) is built with the default spec turned to snapshots: a row per
lead every K days from creation while it is open (at most `--max-age` days old), labelled by a win within
the horizon after the snapshot (features/snapshots.py). It is evaluated the way `leadscore train`
evaluates (newest 20% of snapshot dates held out, leads kept on one side), so a change to the learner's
inner splits shows here as a change of the held-out figures.

    python tests/bench/bench_snapshots.py [--leads N] [--seed S] [--every 14] [--horizon 90] [--max-age 56]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench_engagement import spec_for

from features.build import build_training_set
from features.spec import DatasetSpec
from features.synth.export import write_export
from training.fit.train import SERVED, TrainOptions, evaluate_all


def snapshot_spec(folder: Path, every: float, horizon: float, max_age: float) -> DatasetSpec:
    return spec_for(folder, True, {"snapshot_every_days": every, "horizon_days": horizon, "max_age_days": max_age})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every", type=float, default=14.0)
    parser.add_argument("--horizon", type=float, default=90.0)
    parser.add_argument("--max-age", type=float, default=56.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_export(Path(tmp), args.leads, args.seed)
        started = time.monotonic()
        ts = build_training_set(snapshot_spec(folder, args.every, args.horizon, args.max_age))
        result = evaluate_all(ts, TrainOptions())
    served = result.metrics["models"][SERVED]
    frame = ts.frame
    print(json.dumps({
        "leads": args.leads, "seed": args.seed, "every_days": args.every, "horizon_days": args.horizon,
        "max_age_days": args.max_age, "rows": len(frame), "leads_with_rows": int(frame["lead_id"].nunique()),
        "held_out_rows": int(len(result.rows)), "protocol": result.metrics["protocol"],
        "served_roc_auc": round(served["roc_auc"], 4), "served_brier": round(served["brier"], 5),
        "lightgbm_roc_auc": round(result.metrics["models"]["lightgbm"]["roc_auc"], 4),
        "final_model": {k: result.metrics["final_model"][k] for k in ("kind", "lightgbm_weight", "calibration",
                                                                      "n_estimators")},
        "seconds": round(time.monotonic() - started, 1)}, indent=2))


if __name__ == "__main__":
    main()
