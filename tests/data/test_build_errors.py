"""Bad input: one clear error naming file, column and row; exit code 2; nothing written."""

import copy

import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.cli.main import app

runner = CliRunner()


def run_build(write_spec, raw, out):
    result = runner.invoke(app, ["build", "--spec", str(write_spec(raw)), "--out", str(out)])
    return result, " ".join(result.output.split())  # rich wraps long lines


@pytest.fixture
def small_leads(tmp_path, synthetic_spec):
    """A small editable copy of the synthetic export and a spec pointing at it."""
    leads = pd.read_csv(synthetic_spec["leads"]["path"]).head(400)
    raw = copy.deepcopy(synthetic_spec)
    raw["leads"]["path"] = str(tmp_path / "leads.csv")
    return leads, raw


def assert_failed_cleanly(result, text, out, *needles):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in text, text
    assert not out.exists()
    assert not list(out.parent.glob(".*tmp"))


def test_missing_file(tmp_path, write_spec, small_leads):
    _, raw = small_leads
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "leads.csv: file not found")


def test_missing_column(tmp_path, write_spec, small_leads):
    leads, raw = small_leads
    leads.drop(columns=["created_at"]).to_csv(raw["leads"]["path"], index=False)
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "column 'created_at'", "leads.created_at")


def test_misspelt_pii_column(tmp_path, write_spec, small_leads):
    leads, raw = small_leads
    leads.to_csv(raw["leads"]["path"], index=False)
    raw["features"]["pii"] = ["contact_nmae", "email", "phone"]
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "'contact_nmae'", "features.pii")


def test_misspelt_people_column(tmp_path, write_spec, small_leads):
    leads, raw = small_leads
    leads.to_csv(raw["leads"]["path"], index=False)
    raw["features"]["people"] = ["ownre"]
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "'ownre'", "features.people")


def test_misspelt_display_field(tmp_path, write_spec, small_leads):
    leads, raw = small_leads
    leads.to_csv(raw["leads"]["path"], index=False)
    names = tmp_path / "names.yaml"
    names.write_text("zh:\n  fields: {budgte: 预算}\n", encoding="utf-8")
    raw["display"] = str(names)
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "names.yaml", "'budgte'", "fix the spelling")


def test_duplicate_ids(tmp_path, write_spec, small_leads):
    leads, raw = small_leads
    leads.loc[5, "lead_id"] = leads.loc[2, "lead_id"]
    leads.to_csv(raw["leads"]["path"], index=False)
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", f"lead id '{leads.loc[2, 'lead_id']}'",
                          "data rows 3 and 6")


def test_unparsable_dates(tmp_path, write_spec, small_leads):
    leads, raw = small_leads
    leads["created_at"] = leads["created_at"].astype(str)
    leads.loc[9, "created_at"] = "last tuesday"
    leads.to_csv(raw["leads"]["path"], index=False)
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "'created_at'", "data row 10",
                          f"'{leads.loc[9, 'lead_id']}'", "'last tuesday'")


def test_label_value_outside_declared(tmp_path, write_spec, x_education_spec):
    frame = pd.read_csv(x_education_spec["leads"]["path"]).head(300)
    frame.loc[7, "Converted"] = 2
    path = tmp_path / "x.csv"
    frame.to_csv(path, index=False)
    raw = copy.deepcopy(x_education_spec)
    raw["leads"]["path"] = str(path)
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "'Converted'", "data row 8", "outcome.positive")


def test_empty_table(tmp_path, write_spec, small_leads):
    leads, raw = small_leads
    leads.head(0).to_csv(raw["leads"]["path"], index=False)
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "leads table has no rows")


def test_password_is_masked_in_messages():
    from features.load import safe_url

    assert "s3cret" not in safe_url("postgresql://scott:s3cret@db.internal/crm")


def test_bad_sql_query_is_named(tmp_path, write_spec, small_leads):
    _, raw = small_leads
    raw["leads"].pop("path")
    raw["leads"]["sql"] = {"url": f"sqlite:///{tmp_path}/crm.db", "query": "select * from no_such_table"}
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "no_such_table", "query failed")


def test_existing_output_is_not_clobbered_by_a_failed_build(tmp_path, write_spec, small_leads):
    leads, raw = small_leads
    out = tmp_path / "o.parquet"
    out.write_bytes(b"previous good file")
    leads.head(0).to_csv(raw["leads"]["path"], index=False)
    result, _ = run_build(write_spec, raw, out)
    assert result.exit_code == 2
    assert out.read_bytes() == b"previous good file"


def test_build_succeeds_and_reports_unmatched_outcomes(tmp_path, write_spec, synthetic_spec):
    out = tmp_path / "train.parquet"
    result, text = run_build(write_spec, synthetic_spec, out)
    assert result.exit_code == 0, result.output
    assert out.is_file() and (tmp_path / "train.profile.json").is_file()
    assert "not yet known" in text
    assert "outcome(s) match no lead id, e.g. X0000000" in text


def test_a_relative_path_not_found_says_where_it_was_looked_for(tmp_path, write_spec, small_leads, monkeypatch):
    """A spec written beside its export and run from another folder: the message says relative paths are
    read from the folder the command runs in, and names it."""
    _, raw = small_leads
    monkeypatch.chdir(tmp_path)
    raw = {**raw, "leads": {**raw["leads"], "path": "exports/leads.csv"}}
    result, text = run_build(write_spec, raw, tmp_path / "o.parquet")
    assert_failed_cleanly(result, text, tmp_path / "o.parquet", "exports/leads.csv: file not found",
                          f"read from the folder the command runs in, {tmp_path}", "check the 'path' in the spec")
    assert "synth" not in text
