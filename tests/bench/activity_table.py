"""An activity table of any size for the build benchmark (issue 24 §6: 1,000,000 leads, 20,000,000 events).

`leadscore synth` writes about 16 events per lead; the benchmark needs an exact count, so it writes its
own table over the synthetic leads: the synthetic generator's types and channels in proportion to their
rates, each event on a random lead between two weeks before its creation and 90 days after (never past the
export's last lead), in the synthetic export's CSV shape. Writing it is not part of the timed build.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from features.synth.engagement import CONTRACT, TYPES

CHUNK = 5_000_000


def write_activities(leads_csv: Path | list[Path], out: Path, n_events: int, seed: int = 0) -> int:
    """Write `n_events` activities of the leads in `leads_csv` (one file or several) to `out`; returns the
    rows written. `out` without a suffix is a folder: a CSV file per chunk of events (the Dask engine's
    input)."""
    files = leads_csv if isinstance(leads_csv, list) else [leads_csv]
    leads = pa.concat_tables([pacsv.read_csv(f, convert_options=pacsv.ConvertOptions(
        include_columns=["lead_id", "created_at"], column_types={"lead_id": pa.string(),
                                                                 "created_at": pa.timestamp("s")})) for f in files])
    ids = leads["lead_id"].to_numpy(zero_copy_only=False)
    created = leads["created_at"].to_numpy().astype("datetime64[s]").astype(np.int64)
    rng = np.random.default_rng(seed)
    kinds = [*TYPES, CONTRACT]
    rates = np.exp([v[0] for v in TYPES.values()] + [-2.0])
    channels = np.array([v[2] for v in TYPES.values()] + ["email"], dtype=object)
    schema = pa.schema([("lead_id", pa.string()), ("occurred_at", pa.timestamp("s")),
                        ("activity_type", pa.string()), ("channel", pa.string())])
    folder = not out.suffix
    (out if folder else out.parent).mkdir(parents=True, exist_ok=True)
    writer = None
    for start in range(0, n_events, CHUNK):  # in chunks: the whole table at once would need several GB
        if writer is None or folder:
            if writer is not None:
                writer.close()
            writer = pacsv.CSVWriter(out / f"part-{start // CHUNK:04d}.csv" if folder else out, schema)
        n = min(CHUNK, n_events - start)
        lead = rng.integers(0, len(ids), n)
        low, high = -14 * 86_400, np.minimum(90 * 86_400, created.max() - created[lead]) + 1
        at = created[lead] + low + (rng.random(n) * (high - low)).astype(np.int64)
        kind = rng.choice(len(kinds), size=n, p=rates / rates.sum())
        writer.write_table(pa.table({
            "lead_id": pa.array(ids[lead], pa.string()), "occurred_at": pa.array(at, pa.timestamp("s")),
            "activity_type": pa.DictionaryArray.from_arrays(kind.astype(np.int32), kinds).cast(pa.string()),
            "channel": pa.array(channels[kind], pa.string())}))
    writer.close()
    return n_events
