"""`--engine dask` scoring on a real two-worker cluster started with Dask's own programs, on loopback."""

import pandas as pd
import pytest

from features.load import load_table
from training.dask_score import score_dask
from training.metadata import model_metadata
from training.score import numeric_fields, score_frame
from training.tracking import LoadedModel

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
    bands = score_dask(loaded, out, str(parts), numeric_fields(loaded), lang="zh", scheduler=scheduler_address)
    got = pd.read_parquet(out).reset_index(drop=True)
    whole = score_frame(loaded, leads, lang="zh")
    assert len(got) == len(whole) == len(bands) and got.columns.tolist() == whole.columns.tolist()
    assert (got["lead_id"].astype(str) == whole["lead_id"].astype(str)).all()
    assert (got["probability"] - whole["probability"]).abs().max() <= 1e-9
    for column in ("score", "band", "top_positive", "top_negative", "reasons"):
        assert got[column].tolist() == whole[column].tolist(), column
    assert not list(tmp_path.glob(".*.tmp"))


def test_unknown_engine_or_dask_without_files_exits_2(tmp_path):
    from typer.testing import CliRunner

    from serving.cli import app

    for extra in (["--engine", "spark", "--input", "x.csv"], ["--engine", "dask", "--sql-url", "sqlite://",
                                                               "--sql-query", "select 1"]):
        result = CliRunner().invoke(app, ["score", "--model", "models:/x@champion", "--output",
                                          str(tmp_path / "out"), *extra])
        assert result.exit_code == 2 and "--engine" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
