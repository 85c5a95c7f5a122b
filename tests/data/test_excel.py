"""Excel exports (.xlsx): the same spec, training set and errors as the same data in CSV; a workbook of several
sheets is a question naming them; a damaged or protected workbook is exit 2 naming the file."""

import copy
import datetime as dt

import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from features.dask.read import list_files
from features.errors import LeadscoreError
from features.load import load_table
from features.spec import DatasetSpec
from serving.cli.main import app

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result, " ".join(result.output.split())


def as_workbook(csv_path, out, **extra_sheets):
    """The CSV's table written by openpyxl as a workbook with real datetime and number cells (the shared
    loader reads ISO text as datetimes), plus any `extra_sheets` (name -> rows)."""
    frame = load_table(str(csv_path), None, "leads")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    sheet.append(list(frame.columns))
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        sheet.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row])
    for name, rows in extra_sheets.items():
        extra = book.create_sheet(name)
        for row in rows:
            extra.append(row)
    book.save(out)
    return out


@pytest.fixture(scope="module")
def export(tmp_path_factory, synthetic_spec):
    """A small synthetic export in CSV and the same tables as workbooks, with a spec for each (no rules or
    glossary: they would only add their own checks)."""
    from features.synth.export import write_export

    folder = write_export(tmp_path_factory.mktemp("excel"), n_leads=600, seed=3)
    csv = copy.deepcopy(synthetic_spec)
    csv.update(rules=None, display=None)
    for part in (csv["leads"], csv["outcome"], csv["activities"], *csv["lookups"]):
        part["path"] = str(folder / (part["path"].rsplit("/", 1)[-1]))
    xlsx = copy.deepcopy(csv)
    for part in (xlsx["leads"], xlsx["outcome"], xlsx["activities"], *xlsx["lookups"]):
        part["path"] = str(as_workbook(part["path"], part["path"].replace(".csv", ".xlsx")))
    return folder, csv, xlsx


def test_the_workbook_cells_are_dates_and_numbers(export):
    folder, _, _ = export
    leads = load_table(str(folder / "leads.xlsx"), None, "leads")
    assert pd.api.types.is_datetime64_any_dtype(leads["created_at"])
    assert pd.api.types.is_integer_dtype(leads["website_visits"])


def test_build_from_workbooks_gives_the_csv_training_set(export, write_spec, tmp_path):
    _, csv, xlsx = export
    for name, raw in (("csv", csv), ("xlsx", xlsx)):
        result, _ = run("build", "--spec", write_spec(raw), "--out", tmp_path / f"{name}.parquet")
        assert result.exit_code == 0, result.output
    from_csv, from_xlsx = (pd.read_parquet(tmp_path / f"{n}.parquet") for n in ("csv", "xlsx"))
    assert len(from_csv) > 400 and from_csv["label"].nunique() == 2
    assert {"account_tier", "days_since_last_activity"} <= set(from_csv.columns)  # lookup and activities took part
    assert from_csv["days_since_last_activity"].notna().any()
    pd.testing.assert_frame_equal(from_csv, from_xlsx)


def test_init_proposes_the_same_spec_as_for_the_csv(export, tmp_path):
    folder, _, _ = export
    specs = {}
    for suffix in ("csv", "xlsx"):
        out = tmp_path / suffix / "mine.yaml"
        out.parent.mkdir()
        result, _ = run("init", "--from", folder / f"leads.{suffix}", "--outcomes", folder / f"outcomes.{suffix}",
                        "--table", folder / f"accounts.{suffix}", "--table", folder / f"activities.{suffix}",
                        "--out", out)
        assert result.exit_code == 0, result.output
        text = out.read_text().replace(f".{suffix}", ".FILE").replace(str(out.parent), "DIR")
        specs[suffix] = (text, (out.parent / "mine.display.yaml").read_text())
    assert specs["xlsx"] == specs["csv"]
    raw = yaml.safe_load(specs["csv"][0])
    assert raw["leads"]["created_at"] == "created_at" and raw["activities"]["at"] == "occurred_at"


def test_a_workbook_of_several_sheets_is_a_question(export, write_spec, tmp_path):
    folder, _, xlsx = export
    book = as_workbook(folder / "leads.csv", tmp_path / "crm.xlsx", Notes=[["note"], ["call back Monday"]],
                       Empty=[])
    raw = copy.deepcopy(xlsx)
    raw["leads"]["path"] = str(book)
    result, text = run("build", "--spec", write_spec(raw), "--out", tmp_path / "t.parquet")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "crm.xlsx: the workbook has 2 sheets with values ('Export', 'Notes')" in text
    assert "set 'leads.sheet' in the spec to one of them" in text and not (tmp_path / "t.parquet").exists()
    raw["leads"]["sheet"] = "Exprt"
    result, text = run("build", "--spec", write_spec(raw), "--out", tmp_path / "t.parquet")
    assert result.exit_code == 2 and "no sheet named 'Exprt' (spec key 'leads.sheet') (did you mean 'Export'?)" in text
    raw["leads"]["sheet"] = "Export"
    result, _ = run("build", "--spec", write_spec(raw), "--out", tmp_path / "t.parquet")
    assert result.exit_code == 0, result.output

    result, text = run("init", "--from", book, "--out", tmp_path / "s.yaml")
    assert result.exit_code == 2 and "pass --sheet with one of them" in text and not (tmp_path / "s.yaml").exists()
    result, _ = run("init", "--from", book, "--sheet", "Export", "--out", tmp_path / "s.yaml")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((tmp_path / "s.yaml").read_text())["leads"]["sheet"] == "Export"


def test_a_sheet_key_needs_a_workbook():
    with pytest.raises(ValueError, match="'sheet' names a sheet of an Excel workbook"):
        DatasetSpec.model_validate({"name": "x", "leads": {"path": "leads.csv", "id": "id", "sheet": "Leads"},
                                    "outcome": {"column": "won"}})


def test_a_title_block_is_skipped_and_a_repeated_name_refused(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append([None, "Leads report"])
    sheet.append([None, "Filtered by: this quarter"])
    sheet.append([None, "lead_id", "created_at", "visits"])
    sheet.append([None, 1, dt.datetime(2024, 3, 5, 14, 22, 1), 3])
    sheet.append([None, 2, dt.datetime(2024, 3, 6, 9, 0), None])
    book.save(tmp_path / "report.xlsx")
    frame = load_table(str(tmp_path / "report.xlsx"), None, "leads")
    assert list(frame.columns) == ["lead_id", "created_at", "visits"]
    assert frame["lead_id"].tolist() == [1, 2] and frame["created_at"].iloc[0] == pd.Timestamp("2024-03-05 14:22:01")
    sheet.append([])
    sheet["D4"] = "lead_id"
    book.save(tmp_path / "twice.xlsx")
    with pytest.raises(LeadscoreError, match="twice.xlsx: column name 'lead_id' appears more than once"):
        load_table(str(tmp_path / "twice.xlsx"), None, "leads")


def test_whole_number_ids_from_a_sheet_match_text_ids(tmp_path, write_spec):
    """A won-deals sheet with a blank row reads its numeric lead ids as floats: 123.0 is the lead '123'."""
    created = pd.date_range("2024-01-01", periods=60, freq="D")
    leads = pd.DataFrame({"lead_id": range(1000, 1060), "created_at": created,
                          "channel": ["web", "partner", "event", "ads"] * 15})
    leads.to_csv(tmp_path / "leads.csv", index=False)
    leads.to_excel(tmp_path / "leads.xlsx", index=False)
    leads.astype({"lead_id": "float64"}).to_parquet(tmp_path / "leads.parquet")  # ids as a float column holds them
    won = pd.DataFrame({"lead_id": [1000.0 + i for i in range(0, 60, 3)] + [None],  # a deal without its lead
                        "won_at": list(created[::3] + pd.Timedelta(days=5)) + [created[1]]})
    won.to_excel(tmp_path / "won.xlsx", index=False)
    assert load_table(str(tmp_path / "won.xlsx"), None, "outcomes")["lead_id"].dtype == "float64"
    labels = {}
    for suffix in ("csv", "xlsx", "parquet"):
        raw = {"name": "ids", "leads": {"path": str(tmp_path / f"leads.{suffix}"), "id": "lead_id",
                                        "created_at": "created_at"},
               "outcome": {"path": str(tmp_path / "won.xlsx"), "id": "lead_id", "won_at": "won_at",
                           "horizon_days": 30},
               "features": {"allow_strong": ["channel"]}}
        result, _ = run("build", "--spec", write_spec(raw), "--out", tmp_path / f"{suffix}.parquet")
        assert result.exit_code == 0, result.output
        built = pd.read_parquet(tmp_path / f"{suffix}.parquet")
        labels[suffix] = built.set_index("lead_id")["label"]
    won_leads = (labels["xlsx"].index.astype(int) - 1000) % 3 == 0  # every third lead has its deal
    assert len(labels["xlsx"]) > 20 and (labels["xlsx"].to_numpy() == won_leads).all()
    pd.testing.assert_series_equal(labels["csv"], labels["xlsx"])
    pd.testing.assert_series_equal(labels["csv"], labels["parquet"])


@pytest.mark.parametrize(("content", "needle"), [
    (b"PK\x03\x04 not really a zip", "cannot be read as an Excel workbook"),
    (b"lead_id,created_at\n1,2024-01-01\n", "cannot be read as an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "a password-protected workbook"),
])
def test_a_damaged_or_protected_workbook_is_exit_2_naming_the_file(tmp_path, content, needle):
    bad = tmp_path / "leads.xlsx"
    bad.write_bytes(content)
    for args in (("init", "--from", bad, "--out", tmp_path / "s.yaml"),):
        result, text = run(*args)
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert f"{bad}: {needle}" in text and not (tmp_path / "s.yaml").exists()


def test_an_empty_workbook_or_sheet_is_exit_2_naming_the_file(tmp_path):
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    result, text = run("init", "--from", tmp_path / "empty.xlsx", "--out", tmp_path / "s.yaml")
    assert result.exit_code == 2 and "empty.xlsx: every sheet of the workbook is empty" in text
    book = openpyxl.Workbook()
    book.active.append(["lead_id", "created_at", "won"])
    book.save(tmp_path / "header.xlsx")
    result, text = run("init", "--from", tmp_path / "header.xlsx", "--out", tmp_path / "s.yaml")
    assert result.exit_code == 2 and "header.xlsx: the leads table has no rows" in text
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    result, text = run("init", "--from", tmp_path / "old.xls", "--out", tmp_path / "s.yaml")
    assert result.exit_code == 2 and "old.xls: an Excel 97-2003 workbook (.xls) cannot be read" in text


def test_the_dask_engine_says_to_convert_a_workbook(export):
    folder, _, _ = export
    with pytest.raises(LeadscoreError, match="an Excel workbook; the Dask engine reads CSV or Parquet in blocks: "
                                             "save the sheet as CSV or Parquet, or leave out --engine dask"):
        list_files(str(folder / "leads.xlsx"))
