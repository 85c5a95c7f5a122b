"""Snapshot rows in evaluation and scoring: the time split goes by snapshot date and never puts one lead
on both sides, k-fold groups a lead's rows, and a model trained on snapshot rows scores through the same
Pipeline (`leadscore score --as-of`) as its training rows were made."""

import copy

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.build import build_training_set
from features.spec import DatasetSpec
from serving.cli.main import app
from training.evaluate.splits import TIME_HOLDOUT_SHARE, evaluation_splits

SNAPSHOTS = {"snapshot_every_days": 14, "horizon_days": 30, "max_age_days": 42}


@pytest.fixture(scope="module")
def snapshot_spec(synthetic_spec, synthetic_dir, tmp_path_factory):
    """The synthetic export's first 1,500 leads, a row per lead every 14 days up to 42 days old."""
    folder = tmp_path_factory.mktemp("snapshots")
    pd.read_csv(synthetic_dir / "leads.csv").head(1500).to_csv(folder / "leads.csv", index=False)
    raw = copy.deepcopy(synthetic_spec)
    raw["name"] = "snapshots"
    raw["leads"]["path"] = str(folder / "leads.csv")
    raw["outcome"].pop("horizon_days", None)
    raw["activities"]["prediction"] = dict(SNAPSHOTS)
    return folder, raw


@pytest.fixture(scope="module")
def snapshot_set(snapshot_spec):
    return build_training_set(DatasetSpec.model_validate(snapshot_spec[1]))


def test_time_split_goes_by_snapshot_date_and_keeps_a_lead_on_one_side(snapshot_set):
    frame = snapshot_set.frame
    assert frame["lead_id"].duplicated().any()
    (train, held), = evaluation_splits(frame, 5, 0)
    train_rows, held_rows = frame.iloc[train], frame.iloc[held]
    assert not set(train_rows["lead_id"]) & set(held_rows["lead_id"])
    assert held_rows["snapshot_at"].min() > train_rows["snapshot_at"].max()
    assert len(held) == pytest.approx(TIME_HOLDOUT_SHARE * len(frame), rel=0.05)
    # by snapshot date, not creation: some held-out rows belong to leads created before trained-on ones
    assert held_rows["created_at"].min() < train_rows["created_at"].max()
    # every trained-on label was known at the cut: its horizon ended by the first held-out snapshot
    assert train_rows["horizon_end"].max() <= held_rows["snapshot_at"].min()
    # what is left out of training: the older rows of the leads held out, rows whose horizon runs past
    # the cut, and nothing else
    dropped = frame.drop(index=frame.index[np.r_[train, held]])
    of_held = dropped["lead_id"].isin(set(held_rows["lead_id"]))
    assert of_held.any() and (dropped.loc[~of_held, "horizon_end"] > held_rows["snapshot_at"].min()).all()
    assert held_rows["label"].nunique() == 2 and train_rows["label"].nunique() == 2


def test_k_fold_groups_a_lead_into_one_fold():
    rng = np.random.default_rng(0)
    leads = np.repeat([f"L{i}" for i in range(120)], rng.integers(1, 6, 120))
    frame = pd.DataFrame({"lead_id": leads, "label": (rng.random(len(leads)) < 0.3).astype("int8"),
                          "x": rng.normal(size=len(leads))})
    splits = evaluation_splits(frame, 5, 0)
    assert len(splits) == 5
    evaluated = np.concatenate([held for _, held in splits])
    assert sorted(evaluated) == list(range(len(frame)))  # every row evaluated once
    for train, held in splits:
        assert not set(frame["lead_id"].iloc[train]) & set(frame["lead_id"].iloc[held])


@pytest.fixture(scope="module")
def published(snapshot_spec, tmp_path_factory):
    from training.fit.train import TrainOptions
    from training.registry.publish import train_and_publish

    folder = tmp_path_factory.mktemp("snapshot-registry")
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder}/mlflow.db")
    patch.chdir(folder)
    result = train_and_publish(DatasetSpec.model_validate(snapshot_spec[1]),
                               TrainOptions(tune_trials=0, register=True, promote=True))
    yield folder, result
    patch.undo()


def test_model_from_snapshot_rows_scores_through_the_same_pipeline(published, snapshot_spec, synthetic_dir):
    """Scored by `leadscore score --as-of` at one of its snapshot times, with the export's activities, a
    lead gets the probability its training row gets from the fitted Pipeline."""
    folder, result = published
    ts = result.training_set
    assert result.metrics["rows_evaluated"] > 0 and ts.relation.snapshots.rows == len(ts.frame)
    leads = pd.read_csv(snapshot_spec[0] / "leads.csv")
    rows = ts.frame.groupby("lead_id").nth(1).sample(4, random_state=1)  # each lead's second snapshot
    expected = result.pipeline.predict_proba(rows[ts.features])[:, 1]
    for (_, row), probability in zip(rows.iterrows(), expected, strict=True):
        leads[leads["lead_id"] == row["lead_id"]].to_csv(folder / "one.csv", index=False)
        out = folder / "scored.csv"
        scored = CliRunner().invoke(app, [
            "score", "--model", "models:/leadscore-snapshots@champion", "--input", str(folder / "one.csv"),
            "--output", str(out), "--no-log", "--activities", str(synthetic_dir / "activities.csv"),
            "--as-of", row["snapshot_at"].isoformat()])
        assert scored.exit_code == 0, scored.output
        assert pd.read_csv(out)["probability"].iloc[0] == pytest.approx(probability, abs=1e-6)


def test_the_protocol_says_how_snapshot_rows_were_made_and_split(published):
    """The run, the model card and the page (metadata protocol, protocol_zh) say: a row per lead every K
    days, split by snapshot date, a lead's rows on one side."""
    from training.registry.tracking import load_model

    _, result = published
    meta = load_model("models:/leadscore-snapshots@champion").metadata
    every, horizon = SNAPSHOTS["snapshot_every_days"], SNAPSHOTS["horizon_days"]
    for text in (result.metrics["protocol"], meta.protocol):
        assert f"one per lead every {every} days" in text and f"a win within {horizon} days" in text
        assert "split by snapshot date" in text and "newest 20% of snapshot dates" in text
        assert "a lead's rows stay on one side" in text
    assert f"每 {every} 天一行" in meta.protocol_zh and f"{horizon} 天内" in meta.protocol_zh
    assert "按快照日期划分" in meta.protocol_zh and "同一线索的行始终在同一侧" in meta.protocol_zh
