"""Benchmarks (issue 3), run with `make bench-train`:

1. X Education, honest spec, 5-fold CV, seed 0, default tuning budget: metrics of every model and
   the wall time of the whole `leadscore train` run (target: at most 90 s).
2. Synthetic export of 50,000 leads: LightGBM's held-out ROC-AUC against the ROC-AUC of the
   generator's true probabilities on the same rows (target: within 0.01).
3. Training on 1,000,000 synthetic leads, default budget (issue 12 target: at most 120 s and 4 GB).
4. Training on 50,000 synthetic leads, default budget (issue 12 target: at most 60 s).

Parts 3 and 4 time the whole `leadscore train` command (building, evaluation, final fit, MLflow run)
and report its CPU seconds beside the wall time, since the machine's cores may be shared.
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
from features.synth.export import write_export
from training.fit.train import TrainOptions, evaluate_all

parts = set(sys.argv[1:]) or {"x_education", "synthetic_50k", "train_1m", "train_50k"}
results = {}


def time_train(tmp: Path, leads: int, env: dict) -> dict:
    """Synthesise `leads` leads (not timed), then time `leadscore train` on them."""
    folder, metrics_file = tmp / f"s{leads}", tmp / f"m{leads}.json"
    measure([LEADSCORE, "synth", "--leads", str(leads), "--out", str(folder)])
    run = measure([LEADSCORE, "train", "--spec", str(synthetic_spec(folder)), "--metrics-out", str(metrics_file)],
                  env=env)
    metrics = json.loads(metrics_file.read_text())
    served = metrics["models"][metrics["served"]]
    result = {"run": run, "served_roc_auc": round(served["roc_auc"], 4), "served_brier": round(served["brier"], 4),
              "kind": metrics["final_model"]["kind"]}
    print(f"\nTraining on {leads:,} synthetic leads: {run['seconds']} s wall, {run['cpu_seconds']} s CPU, "
          f"{run['peak_mb']} MB peak (held-out ROC-AUC {served['roc_auc']:.4f}, Brier {served['brier']:.4f})")
    return result


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
        print(f"\nX Education ({metrics['protocol']}), `leadscore train`: {run['seconds']} s wall, "
              f"{run['cpu_seconds']} s CPU, {run['peak_mb']} MB peak")
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

    for part, leads in (("train_1m", 1_000_000), ("train_50k", 50_000)):
        if part in parts:
            results[part] = time_train(tmp, leads, env)

print(f"saved {save('train', results)}")
