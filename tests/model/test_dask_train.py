"""`leadscore train --engine dask` on a real two-worker cluster: as good as the pandas engine, and the
artifact is the usual Pipeline, loaded and scored through the normal path (no Dask in serving)."""

from pathlib import Path

import pandas as pd
import pytest

from features.spec import DatasetSpec
from training.fit.dask import train_on_dask
from training.fit.train import SERVED, TrainOptions, evaluate_all
from training.registry.tracking import load_model
from training.scoring.score import score_frame

pytestmark = pytest.mark.slow


def test_dask_training_matches_pandas_and_loads_as_usual(leads_only_spec, leads_only_training_set, synthetic_dir,
                                                         scheduler_address, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    spec = DatasetSpec.model_validate(leads_only_spec)
    pandas_result = evaluate_all(leads_only_training_set, TrainOptions())
    result = train_on_dask(spec, TrainOptions(), scheduler=scheduler_address)

    ours, theirs = result.metrics["models"][SERVED], pandas_result.metrics["models"][SERVED]
    assert result.metrics["protocol"] == pandas_result.metrics["protocol"]
    assert result.metrics["rows_evaluated"] == pandas_result.metrics["rows_evaluated"]
    print(f"ROC-AUC dask {ours['roc_auc']:.4f} pandas {theirs['roc_auc']:.4f}")
    assert abs(ours["roc_auc"] - theirs["roc_auc"]) <= 0.01, (ours["roc_auc"], theirs["roc_auc"])
    assert set(result.metrics["models"]) == set(pandas_result.metrics["models"])
    classifier = result.pipeline.named_steps["classify"]
    assert type(classifier.trees_).__name__ == "Booster"  # to_local(): no Dask inside

    loaded = load_model(result.model_uri)
    leads = pd.read_csv(synthetic_dir / "leads.csv").head(200)
    scored = score_frame(loaded, leads)
    direct = result.pipeline.predict_proba(leads[leads_only_training_set.features].rename(
        columns=leads_only_training_set.feature_names))[:, 1]
    assert len(scored) == 200 and scored["reasons"].str.len().min() > 0
    assert abs(scored["probability"].to_numpy() - direct).max() <= 5e-7  # score_frame rounds to 6 decimals


def test_dask_folds_score_held_rows_on_the_workers(x_education_spec, scheduler_address, tmp_path, monkeypatch):
    """Without creation dates (K-fold): every row is evaluated from predictions made on the workers; the
    client gathers only a sample of the rows themselves (for the charts and page)."""
    from features.build import build_training_set
    from training.fit import dask as dask_train

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dask_train, "SHOWN_ROWS", 1500)
    root = Path(__file__).resolve().parents[2]
    spec = DatasetSpec.model_validate({**x_education_spec, "display": str(root / x_education_spec["display"]),
                                       "evaluation": {"folds": 3, "seed": 0}})
    pandas_result = evaluate_all(build_training_set(spec), TrainOptions())
    result = train_on_dask(spec, TrainOptions(), scheduler=scheduler_address)

    assert result.metrics["protocol"] == pandas_result.metrics["protocol"]
    assert result.metrics["rows_evaluated"] == pandas_result.metrics["rows_evaluated"] == 9240
    ours, theirs = result.metrics["models"], pandas_result.metrics["models"]
    assert set(ours) == set(theirs)
    print({name: (round(ours[name]["roc_auc"], 4), round(theirs[name]["roc_auc"], 4)) for name in ours})
    assert abs(ours[SERVED]["roc_auc"] - theirs[SERVED]["roc_auc"]) <= 0.01
    for name in ("logistic_regression", "naive_bayes_odoo"):  # the same fit on the same rows (< SAMPLE_ROWS)
        assert abs(ours[name]["roc_auc"] - theirs[name]["roc_auc"]) <= 1e-9, name
    assert ours[SERVED]["by_source"].keys() == theirs[SERVED]["by_source"].keys()
    assert len(result.training_set.frame) == 1500
    assert all(len(p) == 1500 for p in result.predictions.values())


def test_dask_time_split_over_many_partitions(leads_only_spec, leads_only_training_set, scheduler_address):
    """The newest 20% live in the last partitions: partitions without a held-out row are skipped, and
    every held-out row is evaluated once, as with the pandas engine."""
    from features.dask.build import build_training_set_dask
    from features.dask.cluster import dask_client
    from training.fit.dask import evaluate_dask

    spec = DatasetSpec.model_validate(leads_only_spec)
    with dask_client(scheduler_address) as client:
        ts = build_training_set_dask(spec, blocksize="100KB")
        assert ts.frame.npartitions >= 5
        result = evaluate_dask(ts, TrainOptions(), client)
    pandas_result = evaluate_all(leads_only_training_set, TrainOptions())
    assert result.metrics["rows_evaluated"] == pandas_result.metrics["rows_evaluated"]
    assert len(result.training_set.frame) == result.metrics["rows_evaluated"]
    ours, theirs = result.metrics["models"], pandas_result.metrics["models"]
    assert abs(ours[SERVED]["roc_auc"] - theirs[SERVED]["roc_auc"]) <= 0.01
    assert abs(ours["rules"]["roc_auc"] - theirs["rules"]["roc_auc"]) <= 1e-9  # same held-out rows, no fitting


def test_dask_trains_and_scores_a_spec_with_lookups(synthetic_spec, synthetic_dir, scheduler_address, tmp_path,
                                                    monkeypatch):
    """The model trained on the cluster carries the lookup tables (its LeadContext), so scoring joins the
    account's columns from the lead's key alone, on this machine and on the cluster alike."""
    from training.scoring.dask import score_dask

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    spec = DatasetSpec.model_validate({k: v for k, v in synthetic_spec.items() if k != "activities"})
    result = train_on_dask(spec, TrainOptions(), scheduler=scheduler_address)
    context = result.pipeline.named_steps["context"]
    assert [t["name"] for t in context.lookups] == ["account"] and context.windows is None
    assert result.metrics["models"][SERVED]["roc_auc"] > 0.7

    loaded = load_model(result.model_uri)
    leads = pd.read_csv(synthetic_dir / "leads.csv").head(600)
    here = score_frame(loaded, leads)
    unjoined = score_frame(loaded, leads.assign(account_id=None))
    assert (here["probability"] != unjoined["probability"]).mean() > 0.5  # the account's columns count
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, len(leads), 200)):
        leads.iloc[start:start + 200].to_parquet(parts / f"part-{i}.parquet")
    score_dask(loaded, tmp_path / "scored", str(parts), scheduler=scheduler_address)
    there = pd.read_parquet(tmp_path / "scored").reset_index(drop=True)
    assert (there["probability"] - here["probability"]).abs().max() <= 1e-9
    assert there["reasons"].tolist() == here["reasons"].tolist()
