"""`--engine dask` scoring on a real two-worker cluster started with Dask's own programs, on loopback."""

import functools

import pandas as pd
import pytest

from features.load import load_table
from training.fit.metadata import model_metadata
from training.registry.tracking import LoadedModel
from training.scoring.dask import score_dask
from training.scoring.score import numeric_fields, score_frame

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(trained):
    return LoadedModel(pipeline=trained.pipeline, metadata=model_metadata(trained), uri="test")


def test_dask_scoring_equals_pandas_scoring(loaded, synthetic_dir, scheduler_address, tmp_path):
    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads")
    parts = tmp_path / "leads"
    parts.mkdir()
    for i, start in enumerate(range(0, len(leads), 1100)):  # four files: several partitions on two workers
        leads.iloc[start:start + 1100].to_parquet(parts / f"part-{i}.parquet")
    out = tmp_path / "scored"
    bands, where = score_dask(loaded, out, str(parts), lang="zh",
                              scheduler=scheduler_address)
    assert where == str(out)
    got = pd.read_parquet(out).reset_index(drop=True)
    whole = score_frame(loaded, leads, lang="zh")
    assert len(got) == len(whole) == len(bands) and got.columns.tolist() == whole.columns.tolist()
    assert (got["lead_id"].astype(str) == whole["lead_id"].astype(str)).all()
    assert (got["probability"] - whole["probability"]).abs().max() <= 1e-9
    for column in ("score", "band", "top_positive", "top_negative", "reasons"):
        assert got[column].tolist() == whole[column].tolist(), column
    assert not list(tmp_path.glob(".*.tmp"))


def test_dask_scoring_into_a_table_and_the_prediction_log(loaded, synthetic_dir, scheduler_address, tmp_path):
    """Scores land in a database table in one transaction, and every lead once in the prediction log,
    written by the workers; logging a partition again (as when Dask retries it) adds nothing."""
    import sqlalchemy as sa

    from training.loop.batch_log import log_batch

    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads").iloc[:2000]
    parts = tmp_path / "leads"
    parts.mkdir()
    for i, start in enumerate(range(0, len(leads), 700)):
        leads.iloc[start:start + 700].to_parquet(parts / f"part-{i}.parquet")
    log_url, out_url = f"sqlite:///{tmp_path / 'log.db'}", f"sqlite:///{tmp_path / 'scores.db'}"
    logged = functools.partial(log_batch, log_url, loaded)
    bands, where = score_dask(loaded, out_url, str(parts), scheduler=scheduler_address,
                              table="scores", mode="replace", on_scored=logged)
    assert where.endswith("table 'scores'") and len(bands) == len(leads)
    table = pd.read_sql_table("scores", sa.create_engine(out_url))
    whole = score_frame(loaded, leads)
    assert sorted(table["lead_id"].astype(str)) == sorted(whole["lead_id"].astype(str))
    merged = table.astype({"lead_id": str}).merge(whole.astype({"lead_id": str}), on="lead_id")
    assert (merged["probability_x"] - merged["probability_y"]).abs().max() <= 1e-9
    assert (merged["reasons_x"] == merged["reasons_y"]).all()
    log = pd.read_sql_table("predictions", sa.create_engine(log_url))
    assert len(log) == len(leads) and log["row_key"].is_unique and set(log["origin"]) == {"batch"}
    assert sorted(log["lead_id"].astype(str)) == sorted(whole["lead_id"].astype(str))
    request = log["request_id"].iloc[0]
    again = whole[whole["lead_id"].astype(str).isin(log.loc[log["request_id"] == request, "lead_id"])]
    assert log_batch(log_url, loaded, leads.iloc[:len(again)], again, request_id=request) == 0


def test_unknown_engine_or_dask_without_files_exits_2(tmp_path):
    from typer.testing import CliRunner

    from serving.cli.main import app

    for extra in (["--engine", "spark", "--input", "x.csv"], ["--engine", "dask", "--sql-url", "sqlite://",
                                                               "--sql-query", "select 1"]):
        result = CliRunner().invoke(app, ["score", "--model", "models:/x@champion", "--output",
                                          str(tmp_path / "out"), *extra])
        assert result.exit_code == 2 and "--engine" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_dask_scoring_numbers_leads_without_ids_by_row(loaded, synthetic_dir, scheduler_address, tmp_path):
    """Without the id column, leads are numbered by their row in the whole input, as the pandas engine does."""
    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads").drop(columns=["lead_id"]).iloc[:2500]
    parts = tmp_path / "leads"
    parts.mkdir()
    for i, start in enumerate(range(0, len(leads), 1000)):
        leads.iloc[start:start + 1000].to_parquet(parts / f"part-{i}.parquet")
    out = tmp_path / "scored"
    score_dask(loaded, out, str(parts), scheduler=scheduler_address)
    got = pd.read_parquet(out).reset_index(drop=True)
    whole = score_frame(loaded, leads)
    assert got["lead_id"].astype(str).tolist() == [str(i) for i in range(1, 2501)]
    assert got["lead_id"].astype(str).tolist() == whole["lead_id"].astype(str).tolist()
    assert (got["probability"] - whole["probability"]).abs().max() <= 1e-9


def test_dask_reads_csv_numbers_plain_or_written_for_people(loaded, synthetic_dir, scheduler_address, tmp_path):
    """CSV parts read as text, then plain numbers as numbers per partition: a part writing a numeric field
    as '12%' scores as 12, the plain part exactly as the pandas engine scores it, reasons included."""
    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads").iloc[:600].reset_index(drop=True)
    field = next(n for n in numeric_fields(loaded) if n in leads.columns and leads[n].notna().all())
    parts = tmp_path / "leads"
    parts.mkdir()
    leads.iloc[:300].to_csv(parts / "part-0.csv", index=False)
    written = leads.iloc[300:].copy()
    written[field] = written[field].map(lambda v: f"{v:g}%")
    written.to_csv(parts / "part-1.csv", index=False)
    score_dask(loaded, tmp_path / "scored", str(parts), scheduler=scheduler_address)
    got = pd.read_parquet(tmp_path / "scored").reset_index(drop=True)
    whole = score_frame(loaded, leads)
    assert (got["probability"] - whole["probability"]).abs().max() <= 1e-9
    for column in ("score", "band", "top_positive", "top_negative"):  # reasons' JSON: 1365.0 read from CSV parts
        assert got[column].iloc[:300].tolist() == whole[column].iloc[:300].tolist(), column


@pytest.mark.parametrize("ids", [True, False], ids=["with ids", "without ids"])
def test_a_bad_value_in_a_later_partition_names_its_row_in_the_whole_input(loaded, synthetic_dir, scheduler_address,
                                                                           tmp_path, ids):
    """As on one machine: the row is counted from the start of the whole input, whether the leads carry ids
    (no partition lengths computed up front) or not."""
    from features.errors import LeadscoreError

    leads = load_table(str(synthetic_dir / "leads.csv"), None, "leads").iloc[:1200].reset_index(drop=True)
    if not ids:
        leads = leads.drop(columns=["lead_id"])
    field = next(n for n in numeric_fields(loaded) if n in leads.columns and leads[n].notna().all())
    leads[field] = leads[field].map(lambda v: f"{v:g}")  # numbers as text in every file: one schema
    leads.loc[1000, field] = "lots"  # the fourth file's 101st row
    parts = tmp_path / "leads"
    parts.mkdir()
    for i, start in enumerate(range(0, len(leads), 300)):
        leads.iloc[start:start + 300].to_parquet(parts / f"part-{i}.parquet")
    out = tmp_path / "scored"
    with pytest.raises(LeadscoreError) as raised:
        score_dask(loaded, out, str(parts), scheduler=scheduler_address)
    assert "'lots' at data row 1001 is not a number" in str(raised.value)
    assert str(raised.value).startswith(str(parts))
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))
