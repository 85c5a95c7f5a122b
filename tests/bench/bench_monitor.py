"""Benchmark (issue 13): `leadscore monitor` over 1,000,000 logged predictions with their outcomes.
Target: at most 60 s on the 2-core machine. Run with `make bench-monitor`.

Setup (not timed): a small model trained in a temporary registry; 1,000,000 leads of the later
synthetic period (with drift) scored by it and written to a SQLite prediction log as batch rows.
Timed: `leadscore outcomes import` of their 1,000,000 outcomes, then `leadscore monitor`."""

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from measure import LEADSCORE, ROOT, measure, save

from features.synth.export import generate
from features.synth.later import HORIZON_DAYS, LATER
from training.evaluate.metrics import assign_bands

LEADS = int(os.environ.get("BENCH_LEADS", 1_000_000))  # fewer for a quick look

with tempfile.TemporaryDirectory(prefix="bench-monitor-") as tmp:
    tmp = Path(tmp)
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlflow.db'}"}
    os.environ.update(env)
    spec = yaml.safe_load((ROOT / "data" / "specs" / "synthetic.yaml").read_text())
    spec["synthetic"] = {"leads": 5000, "seed": 0, "out": str(tmp / "export")}
    for key in ("leads", "outcome"):
        spec[key]["path"] = str(tmp / "export" / Path(spec[key]["path"]).name)
    spec["rules"], spec["display"] = str(ROOT / spec["rules"]), str(ROOT / spec["display"])
    (tmp / "spec.yaml").write_text(yaml.safe_dump(spec))
    measure([LEADSCORE, "train", "--spec", str(tmp / "spec.yaml"), "--promote", "--tune-trials", "0"], env, tmp)

    from training.loop.batch_log import log_batch
    from training.registry.tracking import load_model

    model = load_model("models:/leadscore-synthetic@champion")
    leads, won, _ = generate(LEADS, 1, LATER)
    p = model.pipeline.predict_proba(leads[model.pipeline.feature_names_in_] if hasattr(
        model.pipeline, "feature_names_in_") else leads)[:, 1]
    scored = pd.DataFrame({"lead_id": leads["lead_id"], "probability": p, "score": np.round(p * 100).astype(int),
                           "band": assign_bands(p, model.metadata.bands.thresholds())})
    db = f"sqlite:///{tmp / 'predictions.db'}"
    log_batch(db, model, leads, scored)
    first_win = won.groupby("lead_id")["won_at"].min()
    won_at = leads["lead_id"].map(first_win)
    horizon_end = leads["created_at"] + pd.Timedelta(days=HORIZON_DAYS)
    is_won = won_at.notna() & (won_at <= horizon_end)
    pd.DataFrame({"lead_id": leads["lead_id"], "outcome": np.where(is_won, "won", "lost"),
                  "outcome_at": pd.to_datetime(np.where(is_won, won_at, horizon_end)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "first_response_hours": leads["hours_to_first_response"]}).to_csv(tmp / "outcomes.csv", index=False)
    del leads, scored

    imported = measure([LEADSCORE, "outcomes", "import", "--input", str(tmp / "outcomes.csv"), "--db", db], env, tmp)
    monitor = measure([LEADSCORE, "monitor", "--db", db, "--model", "leadscore-synthetic"], env, tmp, ok=(0, 1))

results = {"predictions": LEADS, "outcomes_import": imported, "monitor": monitor}
print("| step | wall time (s) | peak memory (MB) |\n|---|---:|---:|")
for step in ("outcomes_import", "monitor"):
    print(f"| leadscore {step.replace('_', ' ')} ({LEADS:,} logged predictions) | {results[step]['seconds']} "
          f"| {results[step]['peak_mb']} |")
print(f"monitor exit code {monitor['exit_code']} (1: thresholds breached, as the drifted period should)")
print(f"saved {save('monitor', results)}")
