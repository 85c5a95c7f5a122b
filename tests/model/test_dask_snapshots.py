"""`leadscore build/train --engine dask` with snapshot training rows (`activities.prediction:
{snapshot_every_days, horizon_days}`), on a real two-worker cluster: the same rows, labels, engagement
features and counts as the pandas build, and the same evaluation protocol (by snapshot date, a lead on
one side)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.build import build_training_set
from features.dask.run import build_on_dask
from features.snapshots import SnapshotRows, row_counts, summed_report
from features.spec import DatasetSpec
from serving.cli.main import app

pytestmark = pytest.mark.slow
SNAPSHOTS = {"snapshot_every_days": 14, "horizon_days": 30, "max_age_days": 56, "closed_at": "closed_on"}
LEADS = 3000


def _closed(leads: pd.DataFrame) -> pd.DataFrame:
    """Every fifth lead closed (lost or won) 20 days after creation; the others still open."""
    created = pd.to_datetime(leads["created_at"], utc=True).dt.tz_localize(None)
    closed = (created + pd.Timedelta(days=20)).dt.strftime("%Y-%m-%d")
    return leads.assign(closed_on=closed.where(np.arange(len(leads)) % 5 == 0, ""))


@pytest.fixture(scope="module")
def specs(synthetic_spec, synthetic_dir, tmp_path_factory):
    """The pandas spec (one leads file) and the Dask spec (the same leads and events in several files)."""
    folder = tmp_path_factory.mktemp("dask-snapshots")
    leads = _closed(pd.read_csv(synthetic_dir / "leads.csv", dtype=str, keep_default_na=False).head(LEADS))
    events = pd.read_csv(synthetic_dir / "activities.csv", dtype=str, keep_default_na=False)
    leads.to_csv(folder / "leads.csv", index=False)
    (folder / "leads").mkdir()
    (folder / "events").mkdir()
    for i, start in enumerate(range(0, len(leads), 700)):
        leads.iloc[start:start + 700].to_csv(folder / "leads" / f"part-{i}.csv", index=False)
    for i, start in enumerate(range(0, len(events), 25000)):
        events.iloc[start:start + 25000].to_csv(folder / "events" / f"part-{i}.csv", index=False)
    outcome = {k: v for k, v in synthetic_spec["outcome"].items() if k != "horizon_days"}
    raw = {**synthetic_spec, "name": "dask-snapshots", "outcome": outcome,
           "leads": {**synthetic_spec["leads"], "path": str(folder / "leads.csv")},
           "activities": {**synthetic_spec["activities"], "prediction": dict(SNAPSHOTS)}}
    parted = {**raw, "leads": {**raw["leads"], "path": str(folder / "leads")},
              "activities": {**raw["activities"], "path": str(folder / "events")}}
    return raw, parted


def test_dask_snapshot_rows_equal_the_pandas_build(specs, scheduler_address, tmp_path, monkeypatch):
    """Every snapshot row (lead, snapshot time, horizon end, label), its engagement features as of its
    own time, the counts in the profile and the labelling report equal the pandas build's. The work folder
    holds one generation of the leads at a time."""
    import features.dask.build as dask_build

    raw, parted = specs
    pandas_set = build_training_set(DatasetSpec.model_validate(raw))
    generations = []
    release = dask_build._release

    def watched(work, keep):
        release(work, keep)
        generations.append(sorted(p.name for p in Path(work.name).iterdir() if p.name in dask_build.KEPT))

    monkeypatch.setattr(dask_build, "_release", watched)
    dask_set, (parquet, _) = build_on_dask(DatasetSpec.model_validate(parted), tmp_path / "dask.parquet",
                                           scheduler=scheduler_address)
    assert generations == [["read"], ["parsed"], ["joined"], []], generations
    order = ["lead_id", "snapshot_at"]
    expected = pandas_set.frame.sort_values(order).reset_index(drop=True)
    got = pd.read_parquet(parquet).sort_values(order).reset_index(drop=True)
    assert expected["lead_id"].duplicated().sum() > 1000 and expected["label"].sum() > 50
    assert list(got.columns) == list(expected.columns) and "closed_on" not in got.columns
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    ours, theirs = dask_set.relation.profile(), pandas_set.relation.profile()
    assert ours["snapshots"] == theirs["snapshots"] and ours["snapshots"]["rows_not_yet_known"] >= 0
    # Events of leads cut from this export: counted alike; the examples come in bucket order, not table order.
    examples = ours["activities"].pop("unknown_examples")
    theirs["activities"].pop("unknown_examples")
    assert ours["activities"] == theirs["activities"] and ours["activities"]["unknown_leads"] > 1000
    assert len(examples) == 5 and not set(examples) & set(got["lead_id"])
    assert dask_set.label_report == pandas_set.label_report
    assert dask_set.relation.context.types_ == pandas_set.relation.context.types_
    # A lead closed 20 days after creation has snapshots at 0 and 14 days only.
    closed = pd.read_csv(raw["leads"]["path"], dtype=str, keep_default_na=False)
    closed_ids = set(closed.loc[closed["closed_on"] != "", "lead_id"])
    per_lead = got.groupby("lead_id").size()
    assert per_lead[per_lead.index.isin(closed_ids)].max() == 2
    assert per_lead[~per_lead.index.isin(closed_ids)].max() == 5


def test_dask_training_on_snapshot_rows_splits_as_the_pandas_engine(specs, scheduler_address, tmp_path,
                                                                   monkeypatch):
    """The evaluation holds out the newest snapshot dates with a lead on one side, exactly the rows the
    pandas engine holds out; the protocol says so, and the model ranks as the pandas engine's."""
    from training.fit.dask import train_on_dask
    from training.fit.train import SERVED, TrainOptions, evaluate_all

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    raw, parted = specs
    theirs = evaluate_all(build_training_set(DatasetSpec.model_validate(raw)), TrainOptions()).metrics
    ours = train_on_dask(DatasetSpec.model_validate(parted), TrainOptions(), scheduler=scheduler_address).metrics
    assert ours["engine"] == "dask" and ours["protocol"] == theirs["protocol"] and "14" in ours["protocol"]
    assert ours["rows_evaluated"] == theirs["rows_evaluated"] > 500
    auc, their_auc = ours["models"][SERVED]["roc_auc"], theirs["models"][SERVED]["roc_auc"]
    assert auc > 0.7 and abs(auc - their_auc) <= 0.02, (auc, their_auc)


def test_a_close_date_that_does_not_read_names_its_row_in_the_whole_table(specs, scheduler_address, tmp_path,
                                                                         write_spec):
    raw, parted = specs
    files = sorted(pd.io.common.Path(parted["leads"]["path"]).glob("*.csv"))
    folder = tmp_path / "leads"
    folder.mkdir()
    for i, file in enumerate(files):
        part = pd.read_csv(file, dtype=str, keep_default_na=False)
        if i == 2:
            part.loc[5, "closed_on"] = "someday"
        part.to_csv(folder / file.name, index=False)
    spec = write_spec({**parted, "leads": {**parted["leads"], "path": str(folder)}}, "bad.yaml")
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["build", "--spec", str(spec), "--out", str(out), "--engine", "dask",
                                      "--scheduler", scheduler_address])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "data row 1406" in text and "'closed_on'" in text and not out.exists()


def test_snapshot_counts_summed_over_parts_equal_the_counts_of_the_whole():
    """The profile's counts (the median too) from per-partition histograms equal those of all rows at once."""
    rng = np.random.default_rng(0)
    leads = 1000
    per_lead = rng.integers(0, 7, leads)
    position = np.repeat(np.arange(leads), per_lead)
    rows = SnapshotRows(position=position, at=np.zeros(len(position), "datetime64[ns]"),
                        label=rng.integers(0, 2, len(position)).astype("int8"), known=rng.random(len(position)) < 0.8)
    prediction = type("P", (), {"snapshot_every_days": 7.0, "horizon_days": 30.0})()
    whole = summed_report([row_counts(rows, leads)], prediction)
    cut = int(np.searchsorted(position, 400))
    first = SnapshotRows(position[:cut], rows.at[:cut], rows.label[:cut], rows.known[:cut])
    second = SnapshotRows(position[cut:] - 400, rows.at[cut:], rows.label[cut:], rows.known[cut:])
    parts = summed_report([row_counts(first, 400), row_counts(second, leads - 400)], prediction)
    assert parts == whole
    kept = np.bincount(position[rows.known], minlength=leads)
    kept = kept[kept > 0]
    assert whole.rows_per_lead_median == float(np.median(kept)) and whole.rows_per_lead_max == kept.max()
    assert whole.leads == len(kept) and whole.rows == int(rows.known.sum())
    assert whole.leads_without_snapshot == int((per_lead == 0).sum())
