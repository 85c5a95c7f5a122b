"""Shared fixtures: the real X Education export, a small synthetic export, and spec writing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
X_EDUCATION = ROOT.parent / "shared" / "data" / "x_education" / "Leads.csv"


@pytest.fixture(scope="session")
def x_education_csv() -> Path:
    if not X_EDUCATION.is_file():
        pytest.fail(f"{X_EDUCATION} is missing: tests read the real export from ../shared/data")
    return X_EDUCATION


@pytest.fixture(scope="session")
def x_education_spec(x_education_csv) -> dict:
    """The shipped honest X Education spec, pointed at the real file by absolute path."""
    raw = yaml.safe_load((ROOT / "data" / "specs" / "x_education.yaml").read_text())
    raw["leads"]["path"] = str(x_education_csv)
    return raw


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    from features.synth.export import write_export

    return write_export(tmp_path_factory.mktemp("synthetic"), n_leads=4000, seed=7)


@pytest.fixture(scope="session")
def engaged_leads(synthetic_dir, sample_leads):
    """The sample leads as a CRM sends them at their prediction time (the default spec's: three days after
    creation), each with its activities up to then and that time as `as_of`."""
    import pandas as pd

    events = pd.read_csv(synthetic_dir / "activities.csv", parse_dates=["occurred_at"])
    leads = []
    for lead in sample_leads:
        as_of = pd.Timestamp(lead["created_at"]) + pd.Timedelta(days=3)
        mine = events[(events["lead_id"] == lead["lead_id"]) & (events["occurred_at"] <= as_of)]
        leads.append({**lead, "as_of": as_of.isoformat(), "activities": [
            {"at": at.isoformat(), "type": kind, "channel": None if pd.isna(channel) else channel}
            for at, kind, channel in zip(mine["occurred_at"], mine["activity_type"], mine["channel"], strict=True)]})
    return leads


@pytest.fixture(scope="session")
def synthetic_spec(synthetic_dir) -> dict:
    raw = yaml.safe_load((ROOT / "data" / "specs" / "synthetic.yaml").read_text())
    raw["leads"]["path"] = str(synthetic_dir / "leads.csv")
    raw["outcome"]["path"] = str(synthetic_dir / "outcomes.csv")
    for lookup in raw.get("lookups", []):
        lookup["path"] = str(synthetic_dir / Path(lookup["path"]).name)
    if raw.get("activities"):
        raw["activities"]["path"] = str(synthetic_dir / "activities.csv")
    raw["rules"] = str(ROOT / raw["rules"])  # some tests change the working folder
    raw["display"] = str(ROOT / raw["display"])
    raw.pop("synthetic")
    return raw


@pytest.fixture(scope="session")
def leads_only_spec(synthetic_spec) -> dict:
    """The synthetic spec without its lookups and activities (the leads table alone, as many tests of the
    Dask engine need it); without the display glossary too, which names the account's columns."""
    return {k: v for k, v in synthetic_spec.items() if k not in ("lookups", "activities", "display")}


@pytest.fixture
def write_spec(tmp_path):
    """Write a spec dict as YAML and return its path."""

    def write(raw: dict, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        return path

    return write


# -- a registered model and CRM-like leads: the serving and reliability tests share them -----------------
@pytest.fixture(scope="session")
def registry(tmp_path_factory, synthetic_spec):
    """A registry with leadscore-synthetic version 1 as champion. Returns (tracking URI, train result)."""
    from features.spec import DatasetSpec
    from training.fit.train import TrainOptions
    from training.registry.publish import train_and_publish

    folder = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{folder}/mlflow.db"
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", uri)
    patch.chdir(folder)  # the run's artifacts land here, not in the repository
    result = train_and_publish(DatasetSpec.model_validate(synthetic_spec),
                               TrainOptions(tune_trials=2, register=True, promote=True))
    patch.undo()
    return uri, result


@pytest.fixture(scope="session")
def sample_leads(synthetic_dir):
    """Leads as the CRM sends them: the export's rows, personal data included."""
    import json

    import pandas as pd

    frame = pd.read_csv(synthetic_dir / "leads.csv", nrows=50)
    return [json.loads(row.to_json()) for _, row in frame.iterrows()]
