"""Loading a model validates its metadata and changes no process-wide MLflow setting (issue 11: loading
a local folder used to set MLflow's tracking and registry URIs and environment for the whole process)."""

import os

import mlflow

from training.fit.metadata import model_metadata
from training.registry.contract import json_safe


def settings() -> tuple:
    """What a later MLflow call in this process would use (MLflow's own telemetry variables aside)."""
    return ({k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI",
                                             "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR")},
            mlflow.get_tracking_uri(), mlflow.get_registry_uri())


def test_loading_a_local_model_leaves_mlflow_settings_alone(trained, tmp_path, monkeypatch):
    from training.registry.publish import log_pipeline
    from training.registry.tracking import download_model, load_model, recording_to

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    for name in ("MLFLOW_REGISTRY_URI", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"):
        monkeypatch.delenv(name, raising=False)
    before = settings()
    with recording_to(), mlflow.start_run():  # recording sets them for its block only
        assert os.environ["MLFLOW_REGISTRY_URI"] == f"sqlite:///{tmp_path}/mlflow.db"
        info = log_pipeline(trained, json_safe(model_metadata(trained)).model_dump())
    assert settings() == before
    folder = download_model(info.model_uri)
    assert settings() == before
    loaded = load_model(str(folder))
    assert loaded.metadata.dataset == trained.training_set.spec.name
    assert settings() == before


def test_a_model_with_broken_metadata_is_one_red_line_and_exit_2(trained, tmp_path, monkeypatch):
    import yaml
    from typer.testing import CliRunner

    from serving.cli.main import app
    from training.registry.publish import log_pipeline
    from training.registry.tracking import download_model, recording_to

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    with recording_to(), mlflow.start_run():
        info = log_pipeline(trained, json_safe(model_metadata(trained)).model_dump())
    folder = download_model(info.model_uri)
    mlmodel = yaml.safe_load((folder / "MLmodel").read_text())
    mlmodel["metadata"]["leadscore"]["bands"]["hot"] = "very"
    (folder / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    leads = trained.training_set.frame[trained.training_set.features].head(3)
    leads.to_csv(tmp_path / "leads.csv", index=False)
    result = CliRunner().invoke(app, ["score", "--model", str(folder), "--input", str(tmp_path / "leads.csv"),
                                      "--output", str(tmp_path / "scored.csv"), "--no-log"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "invalid metadata (bands.hot" in " ".join(result.output.split())
    assert not (tmp_path / "scored.csv").exists()
