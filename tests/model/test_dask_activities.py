"""`leadscore build/train --engine dask` with an activity table, on a real two-worker cluster: the same
engagement features, point-in-time, as the pandas build; a model that carries them; errors naming rows of
the whole activity table."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from features.build import build_training_set
from features.dask.run import build_on_dask
from features.spec import DatasetSpec
from serving.cli.main import app

pytestmark = pytest.mark.slow


def _split(frame: pd.DataFrame, folder, rows: int):
    folder.mkdir(parents=True)
    for i, start in enumerate(range(0, len(frame), rows)):
        frame.iloc[start:start + rows].to_csv(folder / f"part-{i:02d}.csv", index=False)
    return folder


def _parted(raw: dict, synthetic_dir, tmp_path, events: pd.DataFrame | None = None) -> dict:
    """The default spec with its leads and activities split into several CSV files (several partitions)."""
    leads = pd.read_csv(synthetic_dir / "leads.csv", dtype=str, keep_default_na=False)
    if events is None:
        events = pd.read_csv(synthetic_dir / "activities.csv", dtype=str, keep_default_na=False)
    return {**raw, "leads": {**raw["leads"], "path": str(_split(leads, tmp_path / "leads", 1100))},
            "activities": {**raw["activities"], "path": str(_split(events, tmp_path / "events", 20000))}}


def test_dask_build_with_activities_equals_pandas_build(synthetic_spec, synthetic_dir, scheduler_address, tmp_path):
    """Leads and events are split by lead into buckets on the workers; every training row, its engagement
    features, the kept types and what reading the activities found equal the pandas build's."""
    pandas_set = build_training_set(DatasetSpec.model_validate(synthetic_spec))
    dask_set, (parquet, profile) = build_on_dask(
        DatasetSpec.model_validate(_parted(synthetic_spec, synthetic_dir, tmp_path)), tmp_path / "dask.parquet",
        scheduler=scheduler_address)

    expected = pandas_set.frame.sort_values("lead_id").reset_index(drop=True)
    got = pd.read_parquet(parquet).sort_values("lead_id").reset_index(drop=True)
    engagement = [c for c in got.columns if "in the last" in pandas_set.feature_names.get(c, "")]
    assert len(got) == len(expected) > 3000 and len(engagement) >= 10
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    ours, theirs = dask_set.relation.profile(), pandas_set.relation.profile()
    assert ours["activities"] == theirs["activities"]
    assert ours["activities"]["after_prediction_time"] > 1000 and ours["activities"]["won_before_prediction_time"] > 0
    assert "contract sent" not in ours["activities"]["types"]  # only after a win: never known at prediction time
    assert dask_set.label_report == pandas_set.label_report
    assert dask_set.relation.context.types_ == pandas_set.relation.context.types_
    written = json.loads(profile.read_text())
    assert written["activities"]["features"] == theirs["activities"]["features"]
    assert {s.column for s in dask_set.strengths} == {s.column for s in pandas_set.strengths}


def test_dask_activity_errors_name_rows_of_the_whole_table(synthetic_spec, synthetic_dir, scheduler_address,
                                                           tmp_path, write_spec):
    """A time that does not read, in the third file, names its data row counted from the first; times with
    a zone in one file and without in another are a question naming the key to set. Nothing is written."""
    events = pd.read_csv(synthetic_dir / "activities.csv", dtype=str, keep_default_na=False)
    out = tmp_path / "out.parquet"

    def build_fails(changed: pd.DataFrame, name: str) -> str:
        spec = write_spec(_parted(synthetic_spec, synthetic_dir, tmp_path / name, changed), f"{name}.yaml")
        result = CliRunner().invoke(app, ["build", "--spec", str(spec), "--out", str(out), "--engine", "dask",
                                          "--scheduler", scheduler_address])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert not out.exists()
        return " ".join(result.output.split())

    bad = events.copy()
    bad.loc[45_006, "occurred_at"] = "soon"
    text = build_fails(bad, "bad")
    assert "data row 45007" in text and "'occurred_at'" in text and "activities.date_format" in text
    zoned = events.copy()
    zoned.loc[30_000:, "occurred_at"] = zoned.loc[30_000:, "occurred_at"] + "+08:00"  # files 2 on: a zone
    text = build_fails(zoned, "zoned")
    assert "activities.timezone" in text and "data row 30001" in text and "data row 1:" in text


def test_dask_training_with_activities_carries_the_engagement_step(synthetic_spec, synthetic_dir, scheduler_address,
                                                                   engaged_leads, tmp_path, monkeypatch):
    """The model trained on the cluster carries the fitted LeadContext: the service turns a lead's own
    activities into the features the cluster computed, and the model ranks as the pandas engine's does."""
    from training.fit.dask import train_on_dask
    from training.fit.train import SERVED, TrainOptions, evaluate_all
    from training.registry.tracking import load_model

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    pandas_set = build_training_set(DatasetSpec.model_validate(synthetic_spec))
    theirs = evaluate_all(pandas_set, TrainOptions()).metrics["models"][SERVED]["roc_auc"]
    spec = DatasetSpec.model_validate(_parted(synthetic_spec, synthetic_dir, tmp_path))
    result = train_on_dask(spec, TrainOptions(), scheduler=scheduler_address)
    ours = result.metrics["models"][SERVED]["roc_auc"]
    assert abs(ours - theirs) <= 0.01, (ours, theirs)

    loaded = load_model(result.model_uri)
    context = loaded.pipeline.named_steps["context"]
    assert context.types_ == pandas_set.relation.context.types_
    records = context.transform_records(engaged_leads[:20])
    assert records == pandas_set.relation.context.transform_records(engaged_leads[:20])
    assert sum(r["activity types"] > 0 for r in records) >= 10
    probabilities = loaded.pipeline.predict_proba(pd.DataFrame(records))[:, 1]
    assert len(probabilities) == 20 and 0 < probabilities.min() <= probabilities.max() < 1


def test_dask_scoring_with_activities_equals_pandas_scoring(trained, synthetic_dir, scheduler_address, tmp_path):
    """`score --engine dask --activities`: each lead scored with its own events as of the given time, the
    same probability, band and reasons as the pandas engine gives; a time later with no new activity
    lowers the engagement part."""
    from features.load import load_table
    from training.fit.metadata import model_metadata
    from training.registry.tracking import LoadedModel
    from training.scoring.dask import score_dask
    from training.scoring.score import score_frame

    loaded = LoadedModel(pipeline=trained.pipeline, metadata=model_metadata(trained), uri="test")
    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads")
    events = pd.read_csv(synthetic_dir / "activities.csv", dtype=str, keep_default_na=False)
    lead_parts, event_parts = tmp_path / "leads", _split(events, tmp_path / "events", 20000)
    lead_parts.mkdir()
    for i, start in enumerate(range(0, len(leads), 1100)):  # Parquet keeps whole numbers whole (CSV parts: floats)
        leads.iloc[start:start + 1100].to_parquet(lead_parts / f"part-{i}.parquet")
    as_of = pd.Timestamp("2025-03-01")
    context = loaded.pipeline.named_steps["context"]
    read, _ = context.read_events(str(synthetic_dir / "activities.csv"))
    whole = score_frame(loaded, leads, events=read, as_of=as_of).sort_values("lead_id").reset_index(drop=True)

    notes: list[str] = []
    bands, where = score_dask(loaded, tmp_path / "scored", str(lead_parts), scheduler=scheduler_address,
                              activities=str(event_parts), as_of=as_of, notes=notes)
    got = pd.read_parquet(where).sort_values("lead_id").reset_index(drop=True)
    assert len(got) == len(whole) == len(bands) == len(leads) and got.columns.tolist() == whole.columns.tolist()
    assert (got["lead_id"] == whole["lead_id"]).all()
    assert (got["probability"] - whole["probability"]).abs().max() <= 1e-9
    for column in ("score", "band", "reasons"):
        assert got[column].tolist() == whole[column].tolist(), column
    assert got["reasons"].str.contains("days|last", regex=True).sum() > 100  # engagement reasons
    assert not list(tmp_path.glob(".*.tmp"))

    later, _ = score_dask(loaded, tmp_path / "later", str(lead_parts), scheduler=scheduler_address,
                          activities=str(event_parts), as_of=as_of + pd.Timedelta(days=200))
    later_scores = pd.read_parquet(tmp_path / "later").sort_values("lead_id")["score"].to_numpy()
    assert later_scores.mean() < got["score"].to_numpy().mean()  # engagement decays with no new activity


def test_whole_number_ids_match_on_both_engines(synthetic_spec, synthetic_dir, scheduler_address, tmp_path):
    """Lead ids written as numbers (one event with a blank id, so pandas reads that column as floats): the
    Dask build equals the pandas build, labels and engagement included."""
    def numbered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(lead_id=frame["lead_id"].str.replace(r"^[A-Z]0*", "", regex=True))

    leads = numbered(pd.read_csv(synthetic_dir / "leads.csv", dtype=str, keep_default_na=False))
    outcomes = numbered(pd.read_csv(synthetic_dir / "outcomes.csv", dtype=str, keep_default_na=False))
    events = numbered(pd.read_csv(synthetic_dir / "activities.csv", dtype=str, keep_default_na=False))
    events.loc[7, "lead_id"] = ""
    for name, frame in (("leads", leads), ("outcomes", outcomes), ("activities", events)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    raw = {**synthetic_spec, "leads": {**synthetic_spec["leads"], "path": str(tmp_path / "leads.csv")},
           "outcome": {**synthetic_spec["outcome"], "path": str(tmp_path / "outcomes.csv")},
           "activities": {**synthetic_spec["activities"], "path": str(tmp_path / "activities.csv")}}
    pandas_set = build_training_set(DatasetSpec.model_validate(raw))
    dask_set, (parquet, _) = build_on_dask(DatasetSpec.model_validate(_parted(raw, tmp_path, tmp_path / "parts")),
                                           tmp_path / "dask.parquet", scheduler=scheduler_address)
    expected = pandas_set.frame.sort_values("lead_id").reset_index(drop=True)
    got = pd.read_parquet(parquet).sort_values("lead_id").reset_index(drop=True)
    assert expected["lead_id"].str.fullmatch(r"\d+").all() and expected["label"].sum() > 300
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert pandas_set.relation.activities.unknown_leads == 0 and pandas_set.relation.activities.empty == 1
    assert dask_set.relation.profile()["activities"] == pandas_set.relation.profile()["activities"]


def test_an_empty_activity_table_stops_the_dask_build(synthetic_spec, synthetic_dir, scheduler_address, tmp_path,
                                                      write_spec):
    parted = _parted(synthetic_spec, synthetic_dir, tmp_path)
    for part in sorted((tmp_path / "events").glob("*.csv")):  # every file: its header alone
        part.write_text(part.read_text().splitlines()[0] + "\n")
    result = CliRunner().invoke(app, ["build", "--spec", str(write_spec(parted)), "--out", str(tmp_path / "o.parquet"),
                                      "--engine", "dask", "--scheduler", scheduler_address])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "has no rows" in " ".join(result.output.split()) and not (tmp_path / "o.parquet").exists()


def test_day_first_times_are_read_when_the_first_file_cannot_prove_the_order(synthetic_spec, synthetic_dir,
                                                                            scheduler_address, tmp_path):
    """Day-first times (31/01/2025 10:00) whose first file holds only days up to the 12th, as an export sorted
    by time may: the sample spread over the table proves the order, as the pandas engine's sample of the
    whole table does, and both builds read the same times."""
    events = pd.read_csv(synthetic_dir / "activities.csv", dtype=str, keep_default_na=False)
    at = pd.to_datetime(events["occurred_at"])
    events = events.assign(occurred_at=at.dt.strftime("%d/%m/%Y %H:%M:%S"))
    events = pd.concat([events[at.dt.day <= 12], events[at.dt.day > 12]], ignore_index=True)
    assert (pd.to_datetime(events["occurred_at"].iloc[:20000], dayfirst=True).dt.day <= 12).all()
    events.to_csv(tmp_path / "activities.csv", index=False)
    raw = {**synthetic_spec, "activities": {**synthetic_spec["activities"], "path": str(tmp_path / "activities.csv")}}
    pandas_set = build_training_set(DatasetSpec.model_validate(raw))
    _, (parquet, _) = build_on_dask(DatasetSpec.model_validate(_parted(raw, synthetic_dir, tmp_path / "parts", events)),
                                    tmp_path / "dask.parquet", scheduler=scheduler_address)
    expected = pandas_set.frame.sort_values("lead_id").reset_index(drop=True)
    got = pd.read_parquet(parquet).sort_values("lead_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
