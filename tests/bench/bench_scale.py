"""Benchmark (issue 15, run with `make bench-scale`): build, train and score (with reasons) of synthetic
exports of 100,000 and 1,000,000 leads (sizes as arguments: `bench_scale.py 100000 1000000 10000000`),
with the pandas engine and with `--engine dask` on a local cluster of two single-threaded workers
(`--engines dask` runs one engine; `--skip "score pandas"` leaves steps out, to fit a long run in a session).

Each step is the whole `leadscore` command. Peak memory is the largest sum of the resident memory of the
command and all its child processes (the Dask scheduler and workers included), sampled every 0.2 s:
the kernel's own peak (wait4) only sees the largest single process. Both engines score with the model
the pandas engine trained (the Dask engine's when pandas did not train); `train` builds its own training
set (as the command does), so its time includes a build. A step that fails (e.g. out of memory) is recorded
with its exit code, not hidden; a step whose processes pass --memory-limit-mb (default 20,000, the issue's
20 GB) is stopped there and recorded as such (exit code -9), so a pandas run that would not fit never takes
the machine down.
"""

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from measure import LEADSCORE, RESULTS, ROOT, measure_tree, save, synthetic_spec
from scale_chart import draw

parser = argparse.ArgumentParser()
parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000])
parser.add_argument("--engines", default="pandas,dask")
parser.add_argument("--skip", action="append", default=[], help='a step to leave out, e.g. "score pandas"')
parser.add_argument("--memory-limit-mb", type=int, default=20_000)
parser.add_argument("--score-model", help="score with this model folder instead of the one trained here")
ARGS = parser.parse_args()
ENGINES = ARGS.engines.split(",")


def spec_for(folder: Path) -> Path:
    return synthetic_spec(folder / "spec.yaml", folder / "leads.csv", folder / "outcomes.csv")


def record(results: dict, leads: int, name: str, run: dict) -> None:
    """Print the step's row and save at once: a long run stopped half-way keeps what it measured. Steps of
    this size measured by an earlier run and not repeated now are kept, each with its own date."""
    if str(leads) not in results:
        saved = json.loads((RESULTS / "scale.json").read_text()) if (RESULTS / "scale.json").is_file() else {}
        results[str(leads)] = {k: v for k, v in saved.get(str(leads), {}).items() if k != "measured_at"}
    results[str(leads)][name] = {**run, "measured_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    step, engine = name.split()
    print(f"| {step} | {engine} | {leads:,} | {run['seconds']} | {run['peak_mb']:,} | {run['exit_code']} | "
          f"{run.get('roc_auc', '')} |", flush=True)
    save("scale", results)


results = {}
print("| step | engine | leads | wall time (s) | peak memory, all processes (MB) | exit | ROC-AUC |")
print("|---|---|---:|---:|---:|---:|---:|")
with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
    tmp = Path(tmp)
    # The run's own tracking store and prediction log: a fresh, empty log for every run, never the repository's.
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlflow.db'}",
           "LEADSCORE_PREDICTION_DB": f"sqlite:///{tmp / 'predictions.db'}"}
    for leads in ARGS.sizes:
        folder = tmp / str(leads)
        subprocess.run([LEADSCORE, "synth", "--leads", str(leads), "--seed", "3", "--out", str(folder)], check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)
        spec = spec_for(folder)
        trained = []
        for engine in ENGINES:
            flag = ["--engine", engine]
            if f"build {engine}" not in ARGS.skip:
                record(results, leads, f"build {engine}", measure_tree(
                    [LEADSCORE, "build", "--spec", str(spec), "--out", str(folder / f"training-{engine}.parquet"),
                     *flag], env, ARGS.memory_limit_mb))
            if f"train {engine}" in ARGS.skip:
                continue
            train = measure_tree([LEADSCORE, "train", "--spec", str(spec), "--register", "--model-name",
                                  f"scale-{leads}-{engine}", "--metrics-out", str(folder / f"metrics-{engine}.json"),
                                  *flag], env, ARGS.memory_limit_mb)
            metrics = folder / f"metrics-{engine}.json"
            if metrics.is_file():
                served = json.loads(metrics.read_text())
                train["roc_auc"] = round(served["models"][served["served"]]["roc_auc"], 4)
            record(results, leads, f"train {engine}", train)
            if train["exit_code"] == 0:
                trained.append(engine)
        if not trained and not ARGS.score_model:
            continue
        # the pandas engine's model when it trained
        model = ARGS.score_model or f"models:/scale-{leads}-{trained[0]}/1"
        for engine in ENGINES:
            if f"score {engine}" in ARGS.skip:
                continue
            out = folder / ("scored.parquet" if engine == "pandas" else "scored")
            run = measure_tree([LEADSCORE, "score", "--model", model, "--input", str(folder / "leads.csv"),
                                "--output", str(out), "--engine", engine], env, ARGS.memory_limit_mb)
            record(results, leads, f"score {engine}", {**run, "model": ARGS.score_model or trained[0]})
print(f"saved {save('scale', results)}")
print(f"chart {draw(json.loads((RESULTS / 'scale.json').read_text()))}")
