"""Batch scoring streams CSV and Parquet in chunks and gives what scoring the whole frame at once gives."""

import json

import pandas as pd
import pytest

from features.errors import LeadscoreError
from features.load import load_table
from training.fit.metadata import model_metadata
from training.registry.tracking import LoadedModel
from training.scoring import batch_io
from training.scoring.score import score_frame, score_source


@pytest.fixture(scope="module")
def loaded(trained):
    return LoadedModel(pipeline=trained.pipeline, metadata=model_metadata(trained), uri="test")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunked_file_scoring_equals_whole_frame(loaded, synthetic_dir, tmp_path, monkeypatch, suffix):
    source = synthetic_dir / "leads.csv"
    if suffix == ".parquet":
        source = tmp_path / "leads.parquet"
        load_table(str(synthetic_dir / "leads.csv"), None, "leads").to_parquet(source, row_group_size=700)
    monkeypatch.setattr(batch_io, "CHUNK_ROWS", 900)  # several chunks, cut inside a Parquet row group
    monkeypatch.setattr(batch_io.read_chunks, "__defaults__", (frozenset(), 900))
    out = tmp_path / f"scored{suffix}"
    bands, where = score_source(loaded, out, path=str(source), lang="zh")
    whole = score_frame(loaded, load_table(str(source), None, "leads"), lang="zh")
    got = pd.read_csv(out, dtype={"lead_id": "string"}) if suffix == ".csv" else pd.read_parquet(out)
    assert where == str(out) and len(got) == len(whole) == len(bands) and not list(tmp_path.glob(".*.tmp"))
    assert got["lead_id"].astype(str).tolist() == whole["lead_id"].astype(str).tolist()
    pd.testing.assert_series_equal(got["probability"], whole["probability"], atol=1e-9, check_dtype=False)
    assert got["band"].tolist() == whole["band"].tolist()
    texts = got["top_positive"].fillna("") + got["top_negative"].fillna("")
    assert texts.tolist() == (whole["top_positive"] + whole["top_negative"]).tolist()
    parsed = [json.loads(r) for r in got["reasons"]]
    assert [[[r["text"] for r in side] for side in item.values()] for item in parsed] == [
        [[r["text"] for r in side] for side in json.loads(item).values()] for item in whole["reasons"]]


def test_text_in_a_numeric_field_names_the_file(loaded, synthetic_dir, tmp_path):
    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads")
    encoder = loaded.pipeline.named_steps["encode"]
    numeric = next(name for name, is_number in zip(encoder.display_names_, encoder.is_numeric_, strict=True)
                   if is_number)
    leads[numeric] = leads[numeric].astype(object)
    leads.loc[len(leads) - 1, numeric] = "lots"
    bad = tmp_path / "bad.csv"
    leads.to_csv(bad, index=False)
    out = tmp_path / "scored.csv"
    with pytest.raises(LeadscoreError, match="bad.csv.*number"):
        score_source(loaded, out, path=str(bad))
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


def test_batch_log_masks_emails_and_phone_numbers_in_text_fields(loaded, synthetic_dir, tmp_path):
    import sqlalchemy as sa

    from training.loop.batch_log import log_batch

    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads").iloc[:40].copy()
    leads["job_title"] = leads["job_title"].astype(object)
    leads.loc[leads.index[:3], "job_title"] = ["li.khan0@example.com", "+1 555 1930195", " a.b@example.org "]
    url = f"sqlite:///{tmp_path / 'log.db'}"
    assert log_batch(url, loaded, leads, score_frame(loaded, leads), request_id="masked") == 40
    inputs = [json.loads(text) for text in pd.read_sql_table("predictions", sa.create_engine(url))["inputs"]]
    assert [row["job_title"] for row in inputs[:3]] == ["<email>", "<phone>", "<email>"]
    assert inputs[3]["job_title"] == leads["job_title"].iloc[3] and "@" not in json.dumps(inputs)
    assert inputs[0]["website_visits"] == leads["website_visits"].iloc[0]  # numbers are logged as they are


def test_numeric_fields_written_for_people_are_read_as_numbers_and_kept_as_numbers(loaded, synthetic_dir, tmp_path):
    """A CSV writing a numeric field as '12%' in some rows: every chunk carries the number the model reads,
    so the scores equal the plain file's and `--keep` writes one numeric column, whichever chunk it is."""
    from training.scoring.score import numeric_fields

    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads").iloc[:1200]
    field = next(n for n in sorted(numeric_fields(loaded)) if n in leads.columns and leads[n].notna().all())
    written = leads.astype({field: object})
    written.loc[600:, field] = [f"{v:g}%" for v in leads.loc[600:, field]]
    written.to_csv(tmp_path / "written.csv", index=False)
    score_source(loaded, tmp_path / "scored.parquet", path=str(tmp_path / "written.csv"), keep=[field])
    got = pd.read_parquet(tmp_path / "scored.parquet")
    whole = score_frame(loaded, leads)
    assert got[field].dtype == "float64" and got[field].tolist() == leads[field].astype(float).tolist()
    pd.testing.assert_series_equal(got["probability"], whole["probability"], atol=1e-9, check_dtype=False)


def test_a_workbook_scores_as_its_csv_and_scores_write_to_a_workbook(loaded, synthetic_dir, tmp_path):
    """An .xlsx of the leads (real datetime and number cells) scores as the CSV does; --output .xlsx holds
    the same rows and values as --output .csv."""
    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads").head(1500)
    leads.to_csv(tmp_path / "leads.csv", index=False)
    leads.to_excel(tmp_path / "leads.xlsx", index=False)
    score_source(loaded, tmp_path / "from_csv.csv", path=str(tmp_path / "leads.csv"))
    bands, where = score_source(loaded, tmp_path / "from_xlsx.xlsx", path=str(tmp_path / "leads.xlsx"))
    from_csv = pd.read_csv(tmp_path / "from_csv.csv", dtype={"lead_id": "string"})
    from_xlsx = pd.read_excel(tmp_path / "from_xlsx.xlsx", dtype={"lead_id": "string"})
    assert where == str(tmp_path / "from_xlsx.xlsx") and len(bands) == len(from_xlsx) == 1500
    assert list(from_xlsx.columns) == list(from_csv.columns)
    assert from_xlsx["lead_id"].tolist() == leads["lead_id"].tolist()
    pd.testing.assert_series_equal(from_xlsx["probability"], from_csv["probability"], atol=1e-9, check_dtype=False)
    assert from_xlsx["band"].tolist() == from_csv["band"].tolist()
    assert from_xlsx["reasons"].tolist() == from_csv["reasons"].tolist()
    assert not list(tmp_path.glob(".*.tmp"))
