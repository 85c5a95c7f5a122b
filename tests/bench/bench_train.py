"""Benchmarks (issue 3), run with `make bench-train`:

1. X Education, honest spec, 5-fold CV, seed 0, default tuning budget: metrics of every model and
   the wall time of the whole `leadscore train` run (target: at most 90 s).
2. Synthetic export of 50,000 leads: LightGBM's held-out ROC-AUC against the ROC-AUC of the
   generator's true probabilities on the same rows (target: within 0.01).
3. Training on 1,000,000 synthetic leads, default budget (target: at most 10 minutes and 6 GB).
"""

import json
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from datasets import synthetic_spec
from measure import LEADSCORE, measure, save
from sklearn.metrics import roc_auc_score

from features.build import build_training_set
from features.spec import DatasetSpec
from features.synth import write_export
from training.train import TrainOptions, evaluate_all

parts = set(sys.argv[1:]) or {"x_education", "synthetic_50k", "train_1m"}
results = {}


with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
    tmp = Path(tmp)
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db"}
    if "x_education" in parts:
        metrics_file = tmp / "x_education_metrics.json"
        run = measure([LEADSCORE, "train", "--spec", "data/specs/x_education.yaml", "--metrics-out",
                       str(metrics_file)], env=env)
        metrics = json.loads(metrics_file.read_text())
        models = {name: {k: round(v, 4) for k, v in m.items() if isinstance(v, float)}
                  for name, m in metrics["models"].items()}
        results["x_education"] = {"run": run, "models": models}
        print(f"\nX Education ({metrics['protocol']}), `leadscore train`: {run['seconds']} s, {run['peak_mb']} MB peak")
        print("| model | ROC-AUC | PR-AUC | Brier | log loss | ECE | capture@10% |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, m in results["x_education"]["models"].items():
            print(f"| {name} | {m['roc_auc']:.4f} | {m['pr_auc']:.4f} | {m['brier']:.4f} | {m['log_loss']:.4f} "
                  f"| {m['ece']:.4f} | {m['capture_top10']:.3f} |")

    if "synthetic_50k" in parts:
        folder = write_export(tmp / "s50k", 50_000, seed=0)
        spec = DatasetSpec.model_validate(yaml.safe_load(synthetic_spec(folder).read_text()))
        trained = evaluate_all(build_training_set(spec), TrainOptions())
        frame = trained.training_set.frame.iloc[trained.rows]
        truth = pd.read_csv(folder / "truth.csv").set_index("lead_id")["p_convert"].loc[frame["lead_id"]]
        y = frame["label"].to_numpy()
        served = trained.metrics["served"]
        best, model = roc_auc_score(y, truth), roc_auc_score(y, trained.predictions[served][trained.rows])
        results["synthetic_50k"] = {"rows_evaluated": len(y), "truth_auc": round(best, 4),
                                    "models": {n: round(m["roc_auc"], 4) for n, m in trained.metrics["models"].items()}}
        print(f"\nSynthetic 50,000 leads, newest {len(y):,} evaluated: true-probability ROC-AUC {best:.4f}, "
              f"served ({trained.metrics['final_model']['kind']}) {model:.4f} (gap {best - model:.4f}); "
              + ", ".join(f"{n} {m['roc_auc']:.4f}" for n, m in trained.metrics["models"].items()))

    if "train_1m" in parts:
        folder = tmp / "s1m"
        measure([LEADSCORE, "synth", "--leads", "1000000", "--out", str(folder)])
        run = measure([LEADSCORE, "train", "--spec", str(synthetic_spec(folder)), "--metrics-out",
                       str(tmp / "m1m.json")], env=env)
        m1m = json.loads((tmp / "m1m.json").read_text())
        auc = m1m["models"][m1m["served"]]["roc_auc"]
        results["train_1m"] = {"run": run, "served_roc_auc": round(auc, 4), "kind": m1m["final_model"]["kind"]}
        print(f"\nTraining on 1,000,000 synthetic leads: {run['seconds']} s, {run['peak_mb']} MB peak "
              f"(held-out ROC-AUC {auc:.4f})")

print(f"saved {save('train', results)}")
