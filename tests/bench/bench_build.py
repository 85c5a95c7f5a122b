"""Benchmark (issue 2): synthesise 1,000,000 leads, then build the training set. Target: each step
at most 60 s and 3 GB peak memory on the 2-core machine. Run with `make bench-build`."""

import tempfile
from pathlib import Path

import yaml
from measure import LEADSCORE, ROOT, measure, save

LEADS = 1_000_000

with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
    tmp = Path(tmp)
    synth = measure([LEADSCORE, "synth", "--leads", str(LEADS), "--seed", "0", "--out", str(tmp / "export")])
    spec = yaml.safe_load((ROOT / "data" / "specs" / "synthetic.yaml").read_text())
    spec["leads"]["path"] = str(tmp / "export" / "leads.csv")
    spec["outcome"]["path"] = str(tmp / "export" / "outcomes.csv")
    spec.pop("synthetic")
    (tmp / "spec.yaml").write_text(yaml.safe_dump(spec))
    build = measure([LEADSCORE, "build", "--spec", str(tmp / "spec.yaml"), "--out", str(tmp / "train.parquet")])

results = {"leads": LEADS, "synth": synth, "build": build}
print("| step | wall time (s) | peak memory (MB) |\n|---|---:|---:|")
for step in ("synth", "build"):
    print(f"| leadscore {step} ({LEADS:,} leads) | {results[step]['seconds']} | {results[step]['peak_mb']} |")
print(f"saved {save('build', results)}")
