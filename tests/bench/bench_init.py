"""Benchmark (issue 9): `leadscore init` on 1,000,000 synthetic leads, ISO and day-first dates, with the
outcomes table. Target: at most 30 s. Run with `make bench-init`."""

import tempfile
from pathlib import Path

from measure import LEADSCORE, measure, save

LEADS = 1_000_000
results = {"leads": LEADS}
with tempfile.TemporaryDirectory(prefix="bench-init-") as tmp:
    tmp = Path(tmp)
    for kind, extra in (("iso", []), ("day-first", ["--date-format", "%d-%m-%Y %H:%M"])):
        export = tmp / kind
        measure([LEADSCORE, "synth", "--leads", str(LEADS), "--seed", "0", "--out", str(export), *extra])
        results[kind] = measure([LEADSCORE, "init", "--from", str(export / "leads.csv"), "--outcomes",
                                 str(export / "outcomes.csv"), "--out", str(tmp / f"{kind}.yaml")])

print("| step | wall time (s) | peak memory (MB) |\n|---|---:|---:|")
for kind in ("iso", "day-first"):
    print(f"| leadscore init ({LEADS:,} leads, {kind} dates, with outcomes) | {results[kind]['seconds']} | "
          f"{results[kind]['peak_mb']} |")
print(f"saved {save('init', results)}")
