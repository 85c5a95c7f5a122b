"""The training-set builder on real and synthetic data, every source type, and the leak guard."""

import copy
import sqlite3

import numpy as np
import pandas as pd
import pytest

from features.build import build_training_set, write_training_set
from features.errors import LeadscoreError
from features.spec import DatasetSpec


def spec_of(raw: dict) -> DatasetSpec:
    return DatasetSpec.model_validate(raw)


def test_x_education_builds_honestly(x_education_spec):
    ts = build_training_set(spec_of(x_education_spec))
    assert len(ts.frame) == 9240
    assert ts.frame["label"].mean() == pytest.approx(0.385, abs=0.002)
    originals = set(ts.feature_names.values())
    assert not originals & {"Tags", "Lead Quality", "Lead Number", "Prospect ID", "Converted", "Last Activity"}
    assert "Total Time Spent on Website" in originals
    assert ts.frame["lead_origin"].dtype == "string"  # pandas 3 string dtype, not object
    assert "Unnamed: 37" not in originals  # the empty column of the header's trailing comma


def test_leak_guard_catches_tags_when_undeclared(x_education_spec):
    raw = copy.deepcopy(x_education_spec)
    raw["features"]["known_after_contact"].remove("Tags")
    with pytest.raises(LeadscoreError, match=r"'Tags' \(ROC-AUC 0\.9[12]\d\)") as err:
        build_training_set(spec_of(raw))
    assert "known_after_contact" in str(err.value)


def test_leak_guard_lets_declared_strong_column_through(x_education_spec):
    raw = copy.deepcopy(x_education_spec)
    raw["features"]["known_after_contact"].remove("Tags")
    raw["features"]["allow_strong"] = ["Tags"]
    ts = build_training_set(spec_of(raw))
    tags = next(s for s in ts.strengths if s.column == "tags")
    assert 0.90 <= tags.auc < 0.95


def test_honest_columns_pass_and_are_measured(x_education_spec):
    ts = build_training_set(spec_of(x_education_spec))
    strength = {s.column: s.auc for s in ts.strengths}
    assert max(strength.values()) < 0.90
    assert strength["total_time_spent_on_website"] == pytest.approx(0.77, abs=0.02)


def test_copy_of_label_is_caught(tmp_path, x_education_spec):
    frame = pd.read_csv(x_education_spec["leads"]["path"]).head(3000)
    frame["Outcome Copy"] = frame["Converted"].map({1: "won", 0: "lost"})
    path = tmp_path / "leads.csv"
    frame.to_csv(path, index=False)
    raw = copy.deepcopy(x_education_spec)
    raw["leads"]["path"] = str(path)
    with pytest.raises(LeadscoreError, match=r"'Outcome Copy' \(ROC-AUC 1\.000\)"):
        build_training_set(spec_of(raw))


def test_csv_parquet_and_sqlite_give_the_same_training_set(tmp_path, synthetic_spec):
    csv_set = build_training_set(spec_of(synthetic_spec)).frame
    leads = pd.read_csv(synthetic_spec["leads"]["path"])
    outcomes = pd.read_csv(synthetic_spec["outcome"]["path"])

    parquet = copy.deepcopy(synthetic_spec)
    leads.to_parquet(tmp_path / "leads.parquet")
    outcomes.to_parquet(tmp_path / "outcomes.parquet")
    parquet["leads"]["path"] = str(tmp_path / "leads.parquet")
    parquet["outcome"]["path"] = str(tmp_path / "outcomes.parquet")

    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as connection:
        leads.to_sql("leads", connection, index=False)
        outcomes.to_sql("deals", connection, index=False)
    url = f"sqlite:///{db}"
    sql = copy.deepcopy(synthetic_spec)
    sql["leads"].pop("path")
    sql["leads"]["sql"] = {"url": url, "query": "select * from leads"}
    sql["outcome"].pop("path")
    sql["outcome"]["sql"] = {"url": url, "query": "select lead_id, won_at from deals"}

    for other in (parquet, sql):
        frame = build_training_set(spec_of(other)).frame
        assert list(frame.columns) == list(csv_set.columns)
        assert frame["lead_id"].tolist() == csv_set["lead_id"].tolist()
        assert frame["label"].tolist() == csv_set["label"].tolist()
        np.testing.assert_allclose(frame["time_on_site_sec"], csv_set["time_on_site_sec"])
        assert frame["need"].fillna("?").tolist() == csv_set["need"].fillna("?").tolist()


def test_personal_data_is_never_a_feature(synthetic_spec):
    ts = build_training_set(spec_of(synthetic_spec))
    for column in ("contact_name", "email", "phone", "hours_to_first_response"):
        assert column not in ts.frame.columns


def test_undeclared_email_column_is_refused(synthetic_spec):
    raw = copy.deepcopy(synthetic_spec)
    raw["features"]["pii"] = ["contact_name", "phone"]
    with pytest.raises(LeadscoreError, match=r"'email' looks like personal data \(email addresses\)"):
        build_training_set(spec_of(raw))


def test_written_profile_matches_frame(tmp_path, synthetic_spec):
    ts = build_training_set(spec_of(synthetic_spec))
    parquet, profile_file = write_training_set(ts, tmp_path / "out" / "train.parquet")
    frame = pd.read_parquet(parquet)
    profile = __import__("json").loads(profile_file.read_text())
    assert profile["rows"] == len(frame) == len(ts.frame)
    assert profile["positive_rate"] == pytest.approx(frame["label"].mean(), abs=1e-4)
    assert profile["columns"]["need"]["type"] == "categorical"
    assert profile["columns"]["need"]["missing_share"] == pytest.approx(frame["need"].isna().mean(), abs=1e-4)
    assert profile["columns"]["website_visits"]["type"] == "numeric"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["train.parquet", "train.profile.json"]
