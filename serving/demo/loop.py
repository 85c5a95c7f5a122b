"""The feedback loop end to end, with the real commands, service and database (`make loop`, tests):

train on period 1 -> serve -> score period 2 through the API -> import outcomes -> monitor (flags the
drift, exit 1) -> retrain -> promote -> the service reloads the new champion.

Everything happens in a work folder (its own MLflow store and generated data); the prediction log
goes to the database URL given (SQLite in the folder by default, PostgreSQL in the tests).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd

from serving.launch import running_service

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "data" / "specs"
MODEL = "leadscore-synthetic"
BATCH = 500


def write_specs(work: Path, leads: int) -> tuple[Path, Path]:
    """The two synthetic specs with the work folder's data and the repository's rules and glossary."""
    paths = []
    for name in ("synthetic.yaml", "synthetic_later.yaml"):
        text = (SPECS / name).read_text(encoding="utf-8")
        text = text.replace("data/specs/", f"{SPECS}/").replace("synthetic: {leads: 20000,",
                                                                f"synthetic: {{leads: {leads},")
        (work / name).write_text(text, encoding="utf-8")
        paths.append(work / name)
    return paths[0], paths[1]


def leadscore(work: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("leadscore")), *args]
    print("$ leadscore " + " ".join(args), flush=True)
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=1800)
    print(done.stdout + done.stderr, flush=True)
    return done


def score_through_api(base: str, token: str, leads: pd.DataFrame) -> int:
    """POST the leads (personal fields included, as a CRM sends them) in batches; returns leads scored."""
    headers = {"Authorization": f"Bearer {token}"}
    scored = 0
    for start in range(0, len(leads), BATCH):
        records = json.loads(leads.iloc[start:start + BATCH].to_json(orient="records", date_format="iso"))
        answer = httpx.post(f"{base}/predict", json={"leads": records}, headers=headers, timeout=120)
        answer.raise_for_status()
        scored += len(answer.json()["results"])
    return scored


def wait_logged(base: str, token: str, rows: int, seconds: float = 60) -> dict:
    """Until the service reports `rows` prediction-log rows written (it writes in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        info = httpx.get(f"{base}/model", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        if info["prediction_log"]["written"] >= rows or time.monotonic() > deadline:
            return info
        time.sleep(0.5)


def served_version(base: str, token: str) -> str | None:
    return httpx.get(f"{base}/model", headers={"Authorization": f"Bearer {token}"}, timeout=30).json().get("version")


def run_loop(work: Path, db_url: str | None = None, leads: int = 20_000, tune_trials: int = 0) -> dict:
    """Run every step; returns what each step answered (exit codes, versions, figures)."""
    work.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{work / 'predictions.db'}"
    token = secrets.token_hex(16)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}", "LEADSCORE_API_TOKEN": token,
           "LEADSCORE_PREDICTION_DB": db_url, "LEADSCORE_MODEL_URI": f"models:/{MODEL}@champion"}
    first, later = write_specs(work, leads)
    out: dict = {}
    out["synth"] = leadscore(work, env, "synth", "--later", "--leads", str(leads), "--seed", "0",
                             "--out", "data/generated/synthetic_later").returncode
    out["train"] = leadscore(work, env, "train", "--spec", str(first), "--promote",
                             "--tune-trials", str(tune_trials)).returncode
    new_leads = pd.read_csv(work / "data/generated/synthetic_later/new_leads.csv")
    # A third of the new leads is scored in a batch (origin 'batch'), the rest through the API.
    api_leads, batch_leads = new_leads.iloc[:len(new_leads) * 2 // 3], new_leads.iloc[len(new_leads) * 2 // 3:]
    batch_leads.to_csv(work / "batch_leads.csv", index=False)
    out["batch"] = leadscore(work, env, "score", "--model", f"models:/{MODEL}@champion", "--input",
                             "batch_leads.csv", "--output", "batch_scored.csv").returncode
    with running_service(env=env, cwd=work, log=work / "service.log") as base:
        out["scored"] = score_through_api(base, token, api_leads)
        out["logged"] = wait_logged(base, token, len(api_leads))["prediction_log"]
        out["version_before"] = served_version(base, token)
        out["import"] = leadscore(work, env, "outcomes", "import", "--input",
                                  "data/generated/synthetic_later/outcomes_import.csv")
        out["monitor"] = leadscore(work, env, "monitor", "--model", MODEL, "--service", base,
                                   "--html", str(work / "monitor.html"))
        out["retrain"] = leadscore(work, env, "retrain", "--spec", str(later), "--service", base,
                                   "--tune-trials", str(tune_trials))
        out["version_after"] = served_version(base, token)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("data/generated/loop"))
    parser.add_argument("--db", default=None, help="prediction log URL (default: SQLite in the work folder)")
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--tune-trials", type=int, default=0)
    args = parser.parse_args()
    out = run_loop(args.work.resolve(), args.db, args.leads, args.tune_trials)
    steps = {"synth": out["synth"], "train": out["train"], "batch score": out["batch"],
             "import": out["import"].returncode, "monitor (1 = drift flagged)": out["monitor"].returncode,
             "retrain (0 = promoted)": out["retrain"].returncode}
    print(json.dumps({**steps, "scored through the API": out["scored"], "logged": out["logged"],
                      "served version": f"{out['version_before']} -> {out['version_after']}"}, indent=2))
    ok = (out["synth"] == out["train"] == out["batch"] == out["import"].returncode == 0
          and out["monitor"].returncode == 1 and out["retrain"].returncode == 0
          and out["version_after"] != out["version_before"])
    print("loop closed" if ok else "loop FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
