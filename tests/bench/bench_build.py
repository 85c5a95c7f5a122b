"""Benchmark (issue 2): synthesise 1,000,000 leads, then build the training set. Target: each step
at most 60 s and 3 GB peak memory on the 2-core machine. Run with `make bench-build`.

`--activities N` (`make bench-build-activities`, issue 24 §6): the build also reads an activity table of N
events over those leads (tests/bench/activity_table.py; written before the timed build) and computes the
engagement features point-in-time. Target for 20,000,000 events: at most 120 s and 6 GB."""

import argparse
import tempfile
import time
from pathlib import Path

import yaml
from activity_table import write_activities
from measure import LEADSCORE, ROOT, measure, save

LEADS = 1_000_000

parser = argparse.ArgumentParser()
parser.add_argument("--activities", type=int, default=0, help="events in the activity table (0: the spec's own)")
args = parser.parse_args()

with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
    tmp = Path(tmp)
    synth = measure([LEADSCORE, "synth", "--leads", str(LEADS), "--seed", "0", "--out", str(tmp / "export")])
    spec = yaml.safe_load((ROOT / "data" / "specs" / "synthetic.yaml").read_text())
    spec["leads"]["path"] = str(tmp / "export" / "leads.csv")
    spec["outcome"]["path"] = str(tmp / "export" / "outcomes.csv")
    spec.pop("synthetic")
    if args.activities:
        start = time.perf_counter()
        write_activities(tmp / "export" / "leads.csv", tmp / "activities.csv", args.activities)
        print(f"wrote {args.activities:,} activities in {time.perf_counter() - start:.1f} s (not timed)")
        spec["activities"]["path"] = str(tmp / "activities.csv")
        spec["lookups"][0]["path"] = str(tmp / "export" / "accounts.csv")
    (tmp / "spec.yaml").write_text(yaml.safe_dump(spec))
    build = measure([LEADSCORE, "build", "--spec", str(tmp / "spec.yaml"), "--out", str(tmp / "train.parquet")])

name = "build_activities" if args.activities else "build"
what = f"{LEADS:,} leads" + (f", {args.activities:,} activities" if args.activities else "")
results = {"leads": LEADS, "activities": args.activities, "synth": synth, "build": build}
print("| step | wall time (s) | CPU time (s) | peak memory (MB) |\n|---|---:|---:|---:|")
for step in ("synth", "build"):
    r = results[step]
    print(f"| leadscore {step} ({what if step == 'build' else f'{LEADS:,} leads'}) | {r['seconds']} | "
          f"{r['cpu_seconds']} | {r['peak_mb']} |")
print(f"saved {save(name, results)}")
