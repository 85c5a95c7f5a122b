"""Benchmark (issue 24 §6): `leadscore build --engine dask` of 10,000,000 leads with 200,000,000 activities on
a local cluster of two single-threaded workers. Target: at most 30 min and 20 GB. Run with
`make bench-build-activities-dask` (`--leads`, `--activities` for other sizes; `--data DIR` keeps the
generated export for another run).

The export is written before the timed build, not timed. `leadscore synth` of 1,000,000 leads takes minutes
and about 7 GB, so one export of 1,000,000 leads is written and copied `--leads / 1,000,000` times, each
copy with its own ids (L0-..., L1-...; one leads file and one outcomes file per copy, its accounts once):
the same columns and value mix at every size. The activities come from tests/bench/activity_table.py over
all the leads, a CSV file per 5,000,000 events.
Peak memory is the largest sum of the resident memory of the command and all its processes (the Dask
scheduler and workers included), sampled every 0.2 s; past --memory-limit-mb the run is stopped and
recorded as such.
"""

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from activity_table import write_activities
from measure import LEADSCORE, ROOT, measure_tree, save, synthetic_spec

CHUNK = 1_000_000

parser = argparse.ArgumentParser()
parser.add_argument("--leads", type=int, default=10_000_000)
parser.add_argument("--activities", type=int, default=200_000_000)
parser.add_argument("--memory-limit-mb", type=int, default=20_000)
parser.add_argument("--data", type=Path, help="a folder for the export (kept; reused when it is complete)")
parser.add_argument("--snapshots", help="EVERY,HORIZON,MAX_AGE in days: snapshot rows (a row per lead every EVERY "
                    "days up to MAX_AGE, labelled by a win within HORIZON) instead of one row at a fixed age")
args = parser.parse_args()


def prefixed(path: Path, out: Path, prefix: str, columns: tuple[str, ...]) -> None:
    """A CSV with each given column's text prefixed (unique ids across the exports)."""
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in columns}))
    for column in columns:
        table = table.set_column(table.column_names.index(column), column,
                                 pc.binary_join_element_wise(prefix, table[column], ""))
    pacsv.write_csv(table, out)


def write_export(folder: Path) -> None:
    done = folder / "complete"
    if done.exists():
        return
    for name in ("leads", "outcomes", "activities"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    first = [folder / "leads" / "part-000.csv", folder / "outcomes" / "part-000.csv"]
    if not all(p.exists() for p in first):
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            subprocess.run([LEADSCORE, "synth", "--leads", str(min(CHUNK, args.leads)), "--seed", "0", "--out", tmp],
                           check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            prefixed(Path(tmp) / "leads.csv", first[0], "L0-", ("lead_id",))
            prefixed(Path(tmp) / "outcomes.csv", first[1], "L0-", ("lead_id", "deal_id"))
            os.replace(Path(tmp) / "accounts.csv", folder / "accounts.csv")
    for k in range(1, max(1, args.leads // CHUNK)):  # copies of the first export, each with its own ids
        for name in ("leads", "outcomes"):
            text = (folder / name / "part-000.csv").read_text()
            (folder / name / f"part-{k:03d}.csv").write_text(text.replace('"L0-', f'"L{k}-'))
    outcomes = pa.concat_tables([pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(
        column_types={"lead_id": pa.string(), "deal_id": pa.string()}))
        for p in sorted((folder / "outcomes").glob("*.csv"))])
    pacsv.write_csv(outcomes, folder / "outcomes.csv")
    write_activities(sorted((folder / "leads").glob("*.csv")), folder / "activities", args.activities)
    done.touch()


with tempfile.TemporaryDirectory(prefix="bench-dask-activities-") as tmp:
    folder = args.data or Path(tmp) / "export"
    start = time.perf_counter()
    write_export(folder)
    print(f"export ready in {time.perf_counter() - start:.0f} s (not timed)", flush=True)
    spec = synthetic_spec(folder / "spec.yaml", folder / "leads", folder / "outcomes.csv", folder / "accounts.csv",
                          folder / "activities")
    if args.snapshots:
        import yaml

        every, horizon, max_age = (float(v) for v in args.snapshots.split(","))
        raw = yaml.safe_load(spec.read_text())
        raw["outcome"].pop("horizon_days", None)  # snapshot rows have their own horizon
        raw["activities"]["prediction"] = {"snapshot_every_days": every, "horizon_days": horizon,
                                           "max_age_days": max_age}
        spec.write_text(yaml.safe_dump(raw))
    out = Path(tmp) / "training.parquet"
    run = measure_tree([LEADSCORE, "build", "--spec", str(spec), "--out", str(out), "--engine", "dask"],
                       {}, args.memory_limit_mb)
    if run["exit_code"] == 0:
        run["training_rows"] = pq.read_metadata(out).num_rows

what = f"{args.leads:,} leads, {args.activities:,} activities" + (f", snapshots {args.snapshots}" if args.snapshots
                                                                   else "")
print("| step | wall time (s) | peak memory, all processes (MB) | exit |\n|---|---:|---:|---:|")
print(f"| leadscore build --engine dask ({what}) | {run['seconds']} | {run['peak_mb']:,} | {run['exit_code']} |")
key = f"{args.leads}/{args.activities}" + (f"/snapshots {args.snapshots}" if args.snapshots else "")
print(f"saved {save('build_dask_activities', {key: run})}")
