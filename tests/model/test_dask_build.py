"""`leadscore build --engine dask` on a real two-worker cluster equals the pandas build row for row."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from features.build import build_training_set, write_training_set
from features.dask.run import build_on_dask
from features.spec import DatasetSpec
from serving.cli.main import app

pytestmark = pytest.mark.slow


def _parts(source, folder, rows: int, suffix: str):
    """The export split into several files, so the cluster sees several partitions."""
    leads = pd.read_csv(source, dtype=str, keep_default_na=False)
    folder.mkdir()
    for i, start in enumerate(range(0, len(leads), rows)):
        part = leads.iloc[start:start + rows]
        if suffix == ".csv":
            part.to_csv(folder / f"part-{i}.csv", index=False)
        else:
            pd.read_csv(source).iloc[start:start + rows].to_parquet(folder / f"part-{i}.parquet")
    return folder


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_dask_build_equals_pandas_build(leads_only_spec, synthetic_dir, scheduler_address, tmp_path, suffix):
    spec = DatasetSpec.model_validate(leads_only_spec)
    pandas_set = build_training_set(spec)
    write_training_set(pandas_set, tmp_path / "pandas.parquet")
    parted = DatasetSpec.model_validate({**leads_only_spec, "leads": {
        **leads_only_spec["leads"],
        "path": str(_parts(synthetic_dir / "leads.csv", tmp_path / "parts", 1100, suffix))}})
    dask_set, (parquet, profile) = build_on_dask(parted, tmp_path / "dask.parquet", scheduler=scheduler_address)

    expected, got = pd.read_parquet(tmp_path / "pandas.parquet"), pd.read_parquet(parquet)
    assert len(got) == len(expected) > 1000 and got["label"].sum() > 50
    # Numbers read from CSV parts are float64 on Dask (a part cannot know whether a later one has blanks).
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    expected_profile = json.loads((tmp_path / "pandas.profile.json").read_text())
    assert json.loads(profile.read_text()) == expected_profile
    assert dask_set.label_report == pandas_set.label_report and dask_set.label_report.not_yet_known > 0
    assert [(s.column, s.auc) for s in dask_set.strengths] == [(s.column, s.auc) for s in pandas_set.strengths]


def test_dask_build_refuses_a_duplicate_id_naming_rows(leads_only_spec, synthetic_dir, scheduler_address, tmp_path,
                                                        write_spec):
    leads = pd.read_csv(synthetic_dir / "leads.csv")
    folder = tmp_path / "parts"
    folder.mkdir()
    leads.iloc[:2000].to_parquet(folder / "a.parquet")
    tail = leads.iloc[2000:].copy()
    tail.iloc[5, 0] = leads.iloc[3, 0]  # the id of data row 4 again at data row 2006, in another partition
    tail.to_parquet(folder / "b.parquet")
    spec = write_spec({**leads_only_spec, "leads": {**leads_only_spec["leads"], "path": str(folder)}})
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["build", "--spec", str(spec), "--out", str(out), "--engine", "dask",
                                      "--scheduler", scheduler_address])
    assert result.exit_code == 2 and "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert f"lead id '{leads.iloc[3, 0]}'" in text and "data rows 4 and 2006" in text
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


def test_unknown_engine_or_sql_source_on_dask_exits_2(leads_only_spec, tmp_path, write_spec):
    sql = write_spec({**leads_only_spec, "leads": {**{k: v for k, v in leads_only_spec["leads"].items() if k != "path"},
                                                  "sql": {"url": "sqlite://", "query": "select 1"}}}, "sql.yaml")
    for command, spec, extra in (("build", write_spec(leads_only_spec), ["--engine", "spark"]),
                                 ("train", write_spec(leads_only_spec), ["--engine", "spark"]),
                                 ("build", sql, ["--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])):
        out = ["--out", str(tmp_path / "out.parquet")] if command == "build" else []
        result = CliRunner().invoke(app, [command, "--spec", str(spec), *out, *extra])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "--engine" in result.output or "leads.path" in result.output
    assert not (tmp_path / "out.parquet").exists()


def test_dask_build_joins_lookups_like_pandas(synthetic_spec, synthetic_dir, scheduler_address, tmp_path):
    """Lookup tables are read once and joined on every partition: the same rows, columns and match report
    (counts summed over partitions) as the pandas build; the model's LeadContext carries the same shares."""
    raw = {k: v for k, v in synthetic_spec.items() if k != "activities"}
    leads = pd.read_csv(synthetic_dir / "leads.csv", dtype=str, keep_default_na=False)
    leads.loc[leads.index[::97], "account_id"] = "ACC-NOWHERE"  # keys the accounts table does not hold
    leads.loc[leads.index[5::89], "account_id"] = ""
    leads.to_csv(tmp_path / "leads.csv", index=False)
    raw["leads"] = {**raw["leads"], "path": str(tmp_path / "leads.csv")}
    pandas_set = build_training_set(DatasetSpec.model_validate(raw))
    write_training_set(pandas_set, tmp_path / "pandas.parquet")
    parted = DatasetSpec.model_validate({**raw, "leads": {
        **raw["leads"], "path": str(_parts(tmp_path / "leads.csv", tmp_path / "parts", 1100, ".csv"))}})
    dask_set, (parquet, profile) = build_on_dask(parted, tmp_path / "dask.parquet", scheduler=scheduler_address)

    expected, got = pd.read_parquet(tmp_path / "pandas.parquet"), pd.read_parquet(parquet)
    assert any(c.startswith("account_") for c in got.columns) and "account_id" not in got.columns
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert json.loads(profile.read_text()) == json.loads((tmp_path / "pandas.profile.json").read_text())
    ours, theirs = dask_set.relation.matches[0], pandas_set.relation.matches[0]
    assert ours == theirs and ours.unmatched > 40 and ours.missing_key > 40 and "ACC-NOWHERE" in ours.examples
    assert dask_set.relation.context.unmatched_share_ == pandas_set.relation.context.unmatched_share_


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_an_empty_horizon_with_dated_wins_is_a_question_on_both_engines(leads_only_spec, scheduler_address, tmp_path,
                                                                        write_spec, engine):
    """Creation and win dates without `outcome.horizon_days`: a lead created yesterday would count as lost
    beside one that had a year to be won. Both engines stop, naming the key; nothing is written."""
    outcome = {k: v for k, v in leads_only_spec["outcome"].items() if k != "horizon_days"}
    spec = write_spec({**leads_only_spec, "outcome": outcome})
    out = tmp_path / "out.parquet"
    args = ["build", "--spec", str(spec), "--out", str(out)]
    if engine == "dask":
        args += ["--engine", "dask", "--scheduler", scheduler_address]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "'outcome.horizon_days' is empty" in " ".join(result.output.split()) and not out.exists()
