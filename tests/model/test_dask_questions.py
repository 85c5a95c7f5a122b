"""`leadscore score --questions --engine dask` on a local cluster (started and stopped by the command): the
same questions columns as the pandas engine for the same leads."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from training.fit.metadata import model_metadata
from training.fit.train import TrainOptions
from training.registry.contract import json_safe
from training.registry.tracking import LoadedModel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def leads_only_model(leads_only_training_set) -> LoadedModel:
    """A model --engine dask scores (no lookups, no activities), with the rule table's factors askable."""
    from training.fit.train import evaluate_all

    trained = evaluate_all(leads_only_training_set, TrainOptions(tune_trials=2))
    return LoadedModel(pipeline=trained.pipeline, metadata=json_safe(model_metadata(trained)), uri="test")


def test_dask_scoring_gives_the_pandas_questions(leads_only_model, synthetic_dir, tmp_path, monkeypatch):
    import training.registry.tracking as tracking
    from serving.cli.main import app

    assert leads_only_model.metadata.askable
    monkeypatch.setattr(tracking, "load_model", lambda uri: leads_only_model)
    leads = pd.read_csv(synthetic_dir / "leads.csv", nrows=1500)
    leads.to_csv(tmp_path / "leads.csv", index=False)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, len(leads), 500)):  # three files: partitions on both workers
        leads.iloc[start:start + 500].to_csv(parts / f"part-{i}.csv", index=False)
    common = ["score", "--model", "models:/any@champion", "--questions", "--no-log"]
    here = CliRunner().invoke(app, [*common, "--input", str(tmp_path / "leads.csv"), "--output",
                                    str(tmp_path / "pandas.csv")])
    assert here.exit_code == 0, here.output
    on_dask = CliRunner().invoke(app, [*common, "--engine", "dask", "--input", str(parts), "--output",
                                       str(tmp_path / "dask")])
    assert on_dask.exit_code == 0, on_dask.output
    pandas_out = pd.read_csv(tmp_path / "pandas.csv", keep_default_na=False, dtype={"lead_id": str})
    dask_out = pd.read_parquet(tmp_path / "dask")
    assert len(dask_out) == len(pandas_out) == len(leads)
    merged = pandas_out.merge(dask_out.astype({"lead_id": str}), on="lead_id", suffixes=("_pandas", "_dask"))
    assert len(merged) == len(leads)
    assert (merged["band_pandas"] == merged["band_dask"]).all()
    assert (merged["questions_pandas"] == merged["questions_dask"].fillna("")).all()
    asked = merged[merged["questions_pandas"] != ""]
    assert len(asked) > 20  # the comparison covers leads that have questions
    for ours, theirs in zip(asked["questions_json_pandas"], asked["questions_json_dask"], strict=True):
        assert json.loads(ours) == json.loads(theirs)
