"""Benchmark (issue 15, run with `make bench-score`): batch scoring with reasons against LightGBM's own
TreeSHAP (`pred_contrib`) on the same rows and cores, in the same run.

The default model (default synthetic export of 20,000 leads, default training) scores a fresh synthetic
export of 100,000 leads. Measured: the whole `leadscore score` command (process start, model load,
read, explain, reasons, write) for Parquet and CSV input, and raw `pred_contrib` of the LightGBM booster
on the encoded rows. Targets: throughput >= 80% of pred_contrib's, and >= 5,000 leads/s.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from measure import LEADSCORE, ROOT, measure, save

from features.load import load_table
from training.registry.tracking import load_model

LEADS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
TUNE = sys.argv[2:3]  # tuning trials for the model (default: the training default)
THREADS = 2


def raw_contrib_seconds(model_uri: str, leads: pd.DataFrame) -> float:
    """Best of three: LightGBM's pred_contrib alone on the rows the model sees (encoding not counted)."""
    pipeline = load_model(model_uri).pipeline
    matrix = pipeline.named_steps["encode"].transform(leads)
    booster = pipeline.named_steps["classify"].trees_  # the LightGBM member
    print(f"model: {booster.num_trees()} trees, {matrix.shape[1]} features")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        booster.predict(matrix, pred_contrib=True, num_threads=THREADS)
        times.append(time.perf_counter() - start)
    return min(times)


with tempfile.TemporaryDirectory(prefix="bench-score-") as tmp:
    tmp = Path(tmp)
    # The run's own tracking store and prediction log: a fresh, empty log for every run, never the repository's.
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlflow.db'}",
           "LEADSCORE_PREDICTION_DB": f"sqlite:///{tmp / 'predictions.db'}"}
    os.environ.update(env)
    spec = yaml.safe_load((ROOT / "data" / "specs" / "synthetic.yaml").read_text())
    default_leads = str(spec["synthetic"]["leads"])
    measure([LEADSCORE, "synth", "--leads", default_leads, "--seed", "0", "--out", str(tmp / "train")])
    measure([LEADSCORE, "synth", "--leads", str(LEADS), "--seed", "1", "--out", str(tmp / "score")])
    spec["leads"]["path"] = str(tmp / "train" / "leads.csv")
    spec["outcome"]["path"] = str(tmp / "train" / "outcomes.csv")
    spec["rules"], spec["display"] = str(ROOT / spec["rules"]), str(ROOT / spec["display"])
    spec.pop("synthetic")
    (tmp / "spec.yaml").write_text(yaml.safe_dump(spec))
    measure([LEADSCORE, "train", "--spec", str(tmp / "spec.yaml"), "--register", "--model-name", "bench",
             *(["--tune-trials", TUNE[0]] if TUNE else [])], env=env)
    uri = "models:/bench/1"
    leads = load_table(str(tmp / "score" / "leads.csv"), None, "leads")
    leads.to_parquet(tmp / "leads.parquet")
    contrib = raw_contrib_seconds(uri, leads)
    del leads
    runs = {}
    for name, source, out in (("parquet", "leads.parquet", "scored.parquet"), ("csv", "score/leads.csv", "scored.csv"),
                              ("parquet_zh", "leads.parquet", "scored_zh.parquet")):
        lang = "zh" if name.endswith("zh") else "en"
        runs[name] = measure([LEADSCORE, "score", "--model", uri, "--input", str(tmp / source),
                              "--output", str(tmp / out), "--lang", lang], env=env)

results = {"leads": LEADS, "threads": THREADS, "tune_trials": TUNE[0] if TUNE else "default",
           "pred_contrib_seconds": round(contrib, 2),
           "pred_contrib_rows_per_s": round(LEADS / contrib), **runs}
print(f"| what ({LEADS:,} leads, {THREADS} cores) | wall time (s) | leads/s | vs pred_contrib | peak memory (MB) |")
print("|---|---:|---:|---:|---:|")
print(f"| LightGBM `pred_contrib` alone (in process, encoded rows) | {contrib:.2f} | {LEADS / contrib:,.0f} | 100% | |")
for name, run in runs.items():
    rate = LEADS / run["seconds"]
    run["rows_per_s"], run["ratio"] = round(rate), round(rate / (LEADS / contrib), 3)
    print(f"| `leadscore score` {name} in, reasons (whole command) | {run['seconds']} | {rate:,.0f} | "
          f"{run['ratio']:.0%} | {run['peak_mb']} |")
print(f"saved {save('score', results)}")
