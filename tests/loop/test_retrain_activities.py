"""`leadscore retrain` builds the engagement features from the imported activities (`leadscore activities
import`) beside the spec's own, point-in-time as `build` does."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from features.spec import DatasetSpec
from training.loop.activities import import_activities
from training.loop.retrain import with_imported_activities
from training.loop.store import create_tables, open_engine, outcomes

PLANTED = "signed order form"  # stored only, always 30 days after creation: after every prediction time


def split_export(synthetic_dir, folder):
    """The spec's file without pricing page visits; the loop database with them (and a few events the
    file has too), plus a planted type that only ever happens after the prediction time."""
    events = pd.read_csv(synthetic_dir / "activities.csv")
    pricing = events["activity_type"] == "pricing page visit"
    events[~pricing].to_csv(folder / "own.csv", index=False)
    leads = pd.read_csv(synthetic_dir / "leads.csv", usecols=["lead_id", "created_at"]).head(600)
    planted = pd.DataFrame({"lead_id": leads["lead_id"], "activity_type": PLANTED, "channel": "web",
                            "occurred_at": pd.to_datetime(leads["created_at"]) + pd.Timedelta(days=30)})
    stored = pd.concat([events[pricing], events[~pricing].head(50), planted], ignore_index=True)
    stored.to_csv(folder / "stored.csv", index=False)
    url = f"sqlite:///{folder}/loop.db"
    report = import_activities(url, str(folder / "stored.csv"))
    assert report.inserted == len(stored)
    return url, int(pricing.sum()) + len(planted)


def test_the_spec_plus_imported_events_each_once(synthetic_spec, synthetic_dir, tmp_path):
    url, new = split_export(synthetic_dir, tmp_path)
    spec = DatasetSpec.model_validate({**synthetic_spec, "activities": {
        **synthetic_spec["activities"], "path": str(tmp_path / "own.csv")}})
    copy, added = with_imported_activities(spec, url, tmp_path)
    assert added == new  # the 50 events both hold count once
    combined = pd.read_parquet(copy.activities.path)
    own = pd.read_csv(tmp_path / "own.csv")
    assert len(combined) == len(own) + new
    assert set(combined["activity_type"]) == set(own["activity_type"]) | {"pricing page visit", PLANTED}
    assert copy.activities.windows == spec.activities.windows and copy.outcome == spec.outcome
    empty = f"sqlite:///{tmp_path}/empty.db"
    assert with_imported_activities(spec, empty, tmp_path) == (spec, 0)  # nothing imported: the spec's events
    no_activities = spec.model_copy(update={"activities": None})
    assert with_imported_activities(no_activities, url, tmp_path) == (no_activities, 0)


@pytest.mark.slow
def test_retrain_learns_from_imported_activities_point_in_time(synthetic_spec, synthetic_dir, tmp_path, monkeypatch):
    from training.fit.train import TrainOptions
    from training.loop.retrain import retrain

    url, new = split_export(synthetic_dir, tmp_path)
    engine = open_engine(url)
    try:
        create_tables(engine, outcomes)  # imported outcomes: none beyond the spec's own won deals
    finally:
        engine.dispose()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    spec = DatasetSpec.model_validate({**synthetic_spec, "activities": {
        **synthetic_spec["activities"], "path": str(tmp_path / "own.csv")}})
    outcome = retrain(spec, url, TrainOptions(tune_trials=0, model_name="leadscore-retrain-activities"))
    assert outcome.imported_activities == new
    context = dict(outcome.result.pipeline.steps)["context"]
    assert "pricing page visit" in context.types_  # known only from the imported events
    assert PLANTED not in context.types_ and not [c for c in context.columns_ if PLANTED in c]
    training_set = outcome.result.training_set
    column = next(safe for safe, name in training_set.feature_names.items()
                  if name == "pricing page visit in the last 7 days")
    assert training_set.frame[column].sum() > 0
    with sa.create_engine(url).connect() as connection:  # retrain read the table, it did not change it
        assert connection.exec_driver_sql("select count(*) from activities").scalar() == \
               len(pd.read_csv(tmp_path / "stored.csv"))
