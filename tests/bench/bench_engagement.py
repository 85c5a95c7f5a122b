"""What engagement is worth on the synthetic export with planted activity effects (issue 24).

The default export (20,000 leads, seed 0) is built with the default spec (accounts and activities) and
with the same spec without activities (fit only); each is evaluated the way `leadscore train` evaluates
(held-out rows in time order). On the same held-out leads it reports the served model's ROC-AUC, the
generator's truth (truth.csv: each lead's conversion probability given what is known at its prediction
time, activities included), the fit-only model's, and the generator's fit-only truth (the same probability
without the activities, features/synth/fit_truth.py). The truth gain (truth - fit-only truth) is what
engagement is worth; the model gain (served - fit-only model) is what the model gets of it.

    python tests/bench/bench_engagement.py [--leads N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from sklearn.metrics import roc_auc_score

from features.build import build_training_set
from features.spec import DatasetSpec
from features.synth.export import write_export
from training.fit.train import SERVED, TrainOptions, evaluate_all

ROOT = Path(__file__).resolve().parents[2]


def spec_for(folder: Path, engagement: bool, prediction: dict | None = None) -> DatasetSpec:
    """The default spec on the export in `folder`; without activities (fit only), or with another
    `activities.prediction` (snapshots: tests/bench/bench_snapshots.py)."""
    raw = yaml.safe_load((ROOT / "data/specs/synthetic.yaml").read_text())
    for table in [raw["leads"], raw["outcome"], *raw["lookups"], raw["activities"]]:
        table["path"] = str(folder / Path(table["path"]).name)
    raw["rules"], raw["display"] = str(ROOT / raw["rules"]), str(ROOT / raw["display"])
    raw.pop("synthetic")
    if not engagement:
        raw.pop("activities")
    elif prediction is not None:
        raw["activities"]["prediction"] = prediction
        if "snapshot_every_days" in prediction:  # snapshots are labelled from each snapshot, not from creation
            raw["outcome"].pop("horizon_days", None)
    return DatasetSpec.model_validate(raw)


def held_out(spec: DatasetSpec) -> tuple[pd.DataFrame, float]:
    """lead_id, label and the served model's held-out probability; and the seconds it took."""
    started = time.monotonic()
    result = evaluate_all(build_training_set(spec), TrainOptions())
    frame = result.training_set.frame.iloc[result.rows]
    return (pd.DataFrame({"lead_id": frame["lead_id"].to_numpy(), "label": frame["label"].to_numpy(),
                          "p": result.predictions[SERVED][result.rows]}), time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_export(Path(tmp), args.leads, args.seed)
        truth = pd.read_csv(folder / "truth.csv").set_index("lead_id")
        engaged, engaged_s = held_out(spec_for(folder, True))
        fit_only, fit_s = held_out(spec_for(folder, False))
    common = engaged.merge(fit_only[["lead_id", "p"]], on="lead_id", suffixes=("", "_fit"))
    y = common["label"].to_numpy()
    out = {"leads": args.leads, "seed": args.seed, "held_out_rows": len(common),
           "served_roc_auc": round(roc_auc_score(y, common["p"]), 4),
           "truth_roc_auc": round(roc_auc_score(y, truth.loc[common["lead_id"], "p_convert"].to_numpy()), 4),
           "fit_only_roc_auc": round(roc_auc_score(y, common["p_fit"]), 4),
           "truth_fit_only_roc_auc": round(
               roc_auc_score(y, truth.loc[common["lead_id"], "p_convert_fit_only"].to_numpy()), 4),
           "seconds": {"with_engagement": round(engaged_s, 1), "fit_only": round(fit_s, 1)}}
    out["served_minus_truth"] = round(out["served_roc_auc"] - out["truth_roc_auc"], 4)
    out["fit_only_minus_truth_fit_only"] = round(out["fit_only_roc_auc"] - out["truth_fit_only_roc_auc"], 4)
    out["model_gain"] = round(out["served_roc_auc"] - out["fit_only_roc_auc"], 4)
    out["truth_gain"] = round(out["truth_roc_auc"] - out["truth_fit_only_roc_auc"], 4)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
