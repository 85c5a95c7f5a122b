"""A user's own export, through the CLI: dates never guessed, values matched as text, errors people can act on."""

import copy
import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from features.synth.export import write_export
from serving.cli.main import app

runner = CliRunner()
DAY_FIRST = "%d-%m-%Y %H:%M"


def run(*args):
    result = runner.invoke(app, list(args))
    return result, " ".join(result.output.split())  # rich wraps long lines


def build(spec_path, out):
    return run("build", "--spec", str(spec_path), "--out", str(out))


def assert_refused(result, text, out, *needles):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "np.int64" not in text
    for needle in needles:
        assert needle in text, text
    assert not out.exists()
    assert not list(out.parent.glob(".*tmp"))


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The same synthetic export written twice: ISO dates and day-first dates."""
    root = tmp_path_factory.mktemp("exports")
    return write_export(root / "iso", 1500, seed=5), write_export(root / "dmy", 1500, seed=5, date_format=DAY_FIRST)


def spec_for(raw, folder, **leads):
    raw = copy.deepcopy(raw)
    raw["leads"]["path"] = str(folder / "leads.csv")
    raw["outcome"]["path"] = str(folder / "outcomes.csv")
    # the export's own related tables; a folder holding leads and outcomes only keeps the shared accounts
    # (every synthetic export has the same) and has no activities
    raw["lookups"] = [{**t, "path": str(folder / Path(t["path"]).name)} if (folder / Path(t["path"]).name).is_file()
                      else t for t in raw.get("lookups", [])]
    if raw.get("activities") and (folder / "activities.csv").is_file():
        raw["activities"] = {**raw["activities"], "path": str(folder / "activities.csv")}
        if leads.get("date_format"):
            raw["activities"]["date_format"] = leads["date_format"]
    else:
        raw.pop("activities", None)
    raw["leads"].update(leads)
    return raw


def test_day_first_export_is_read_right_with_date_format(tmp_path, write_spec, synthetic_spec, exports):
    iso, dmy = exports
    leads = pd.read_csv(dmy / "leads.csv")
    days = leads["created_at"].str.slice(0, 2).astype(int)
    assert (days <= 12).any() and (days > 12).any()  # both kinds of day, as in a real month
    raw = spec_for(synthetic_spec, dmy, date_format=DAY_FIRST)
    raw["outcome"]["date_format"] = DAY_FIRST
    result, _ = build(write_spec(raw), tmp_path / "dmy.parquet")
    assert result.exit_code == 0, result.output
    result, _ = build(write_spec(spec_for(synthetic_spec, iso), "iso.yaml"), tmp_path / "iso.parquet")
    assert result.exit_code == 0, result.output
    read, truth = pd.read_parquet(tmp_path / "dmy.parquet"), pd.read_parquet(tmp_path / "iso.parquet")
    pd.testing.assert_series_equal(read["created_at"], truth["created_at"].dt.floor("min"))
    assert read["label"].tolist() == truth["label"].tolist()


def test_day_first_dates_that_cannot_be_proven_are_refused(tmp_path, write_spec, synthetic_spec, exports):
    _, dmy = exports
    leads = pd.read_csv(dmy / "leads.csv")
    small_days = leads[leads["created_at"].str.slice(0, 2).astype(int) <= 12]
    folder = tmp_path / "export"
    folder.mkdir()
    small_days.to_csv(folder / "leads.csv", index=False)
    (folder / "outcomes.csv").write_bytes((dmy / "outcomes.csv").read_bytes())
    out = tmp_path / "o.parquet"
    result, text = build(write_spec(spec_for(synthetic_spec, folder)), out)
    example = small_days["created_at"][small_days["created_at"].str.slice(0, 2) != small_days["created_at"]
                                       .str.slice(3, 5)].iloc[0]
    day, month, year = example[:2], example[3:5], example[6:10]
    assert_refused(result, text, out, "'created_at'", f"'{example}'", f"{year}-{month}-{day} (day first)",
                   f"{year}-{day}-{month} (month first)", "'leads.date_format'", '"%d-%m-%Y %H:%M"')
    # the outcomes' won_at has its own key: declared leads format alone is not enough when won_at is unproven
    outcomes = pd.read_csv(dmy / "outcomes.csv")
    outcomes[outcomes["won_at"].str.slice(0, 2).astype(int) <= 12].to_csv(folder / "outcomes.csv", index=False)
    result, text = build(write_spec(spec_for(synthetic_spec, folder, date_format=DAY_FIRST)), out)
    assert_refused(result, text, out, "'won_at'", "'outcome.date_format'")


def test_proven_day_first_order_is_read_without_a_format(tmp_path, write_spec, synthetic_spec, exports):
    iso, dmy = exports
    result, _ = build(write_spec(spec_for(synthetic_spec, dmy)), tmp_path / "dmy.parquet")
    assert result.exit_code == 0, result.output
    read = pd.read_parquet(tmp_path / "dmy.parquet")["created_at"]
    truth = pd.to_datetime(pd.read_csv(iso / "leads.csv")["created_at"]).dt.floor("min")
    assert set(read) <= set(truth)


def test_yes_no_outcome_values_work_as_written(tmp_path, x_education_spec):
    frame = pd.read_csv(x_education_spec["leads"]["path"]).head(600)
    frame["Converted"] = frame["Converted"].map({1: "yes", 0: "no"})
    frame.to_csv(tmp_path / "x.csv", index=False)
    raw = copy.deepcopy(x_education_spec)
    raw["leads"]["path"] = str(tmp_path / "x.csv")
    raw["outcome"].update(positive="POSITIVE", negative="NEGATIVE")
    text = yaml.safe_dump(raw, sort_keys=False).replace("POSITIVE", "[yes]").replace("NEGATIVE", "[no]")
    assert "positive: [yes]" in text and "negative: [no]" in text  # unquoted, as a user writes it
    (tmp_path / "spec.yaml").write_text(text)
    result, _ = build(tmp_path / "spec.yaml", tmp_path / "o.parquet")
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(tmp_path / "o.parquet")["label"].sum() == (frame["Converted"] == "yes").sum()


def test_undeclared_value_is_shown_as_the_file_has_it(tmp_path, write_spec, x_education_spec):
    frame = pd.read_csv(x_education_spec["leads"]["path"]).head(300)
    frame["Prospect ID"] = range(1, len(frame) + 1)
    frame.loc[7, "Converted"] = 2
    frame.to_csv(tmp_path / "x.csv", index=False)
    raw = copy.deepcopy(x_education_spec)
    raw["leads"]["path"] = str(tmp_path / "x.csv")
    out = tmp_path / "o.parquet"
    result, text = build(write_spec(raw), out)
    assert_refused(result, text, out, "holds 2 at data row 8 (lead id 8)", "'outcome.positive' [1]",
                   "undeclared values: '2'")


def test_misspelt_column_and_key_get_the_nearest_match(tmp_path, write_spec, synthetic_spec):
    raw = copy.deepcopy(synthetic_spec)
    raw["features"]["known_after_contact"] = ["hours_to_first_respons"]
    out = tmp_path / "o.parquet"
    result, text = build(write_spec(raw), out)
    assert_refused(result, text, out, "did you mean 'hours_to_first_response'?", "'features.known_after_contact'",
                   "'channel'", "more")  # ten columns, then the count of the rest (issue 23)
    raw = copy.deepcopy(synthetic_spec)
    raw["features"]["leak_treshold"] = raw["features"].pop("leak_threshold")
    result, text = build(write_spec(raw), out)
    assert_refused(result, text, out, "unknown key 'features.leak_treshold' (did you mean 'leak_threshold'?)")


@pytest.mark.parametrize("kind", ["gzip", "folder", "latin-1"])
def test_unreadable_files_are_named(tmp_path, write_spec, x_education_spec, kind):
    source = tmp_path / "x.csv"
    frame = pd.read_csv(x_education_spec["leads"]["path"]).head(300)
    if kind == "gzip":
        source.write_bytes(gzip.compress(frame.to_csv(index=False).encode()))
        needles = ("x.csv: not a text CSV",)
    elif kind == "folder":
        source.mkdir()
        needles = ("x.csv: a folder, not a file",)
    else:
        frame.loc[3, "City"] = "Montréal"
        frame.to_csv(source, index=False, encoding="latin-1")
        needles = ("line 5 is not valid utf-8", "'leads.encoding'")
    raw = copy.deepcopy(x_education_spec)
    raw["leads"]["path"] = str(source)
    out = tmp_path / "o.parquet"
    result, text = build(write_spec(raw), out)
    assert_refused(result, text, out, *needles)
    assert "\\x" not in text and "b'" not in text  # no raw bytes
    if kind == "latin-1":
        raw["leads"]["encoding"] = "latin-1"
        result, _ = build(write_spec(raw), out)
        assert result.exit_code == 0, result.output
        assert "Montréal" in set(pd.read_parquet(out)["city"].dropna())


def test_small_broken_tables_exit_2_in_one_line(tmp_path, write_spec, synthetic_spec, exports):
    iso, _ = exports
    leads = pd.read_csv(iso / "leads.csv")
    cases = {
        "tiny": (leads.head(8), "only 8 labelled leads"),
        "future": (leads.assign(created_at=leads["created_at"].where(leads.index != 4, "2199-01-05 10:00:00")),
                   "1 lead(s) are dated in the future in column 'created_at', e.g. data row 5"),
        "one class": (leads, "every labelled lead has outcome 0"),
    }
    for name, (frame, needle) in cases.items():
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        frame.to_csv(folder / "leads.csv", index=False)
        outcomes = pd.read_csv(iso / "outcomes.csv")
        if name == "one class":  # no outcome matches a lead: every lead is a loss
            outcomes = outcomes.head(3).assign(lead_id="nobody")
        outcomes.to_csv(folder / "outcomes.csv", index=False)
        out = folder / "o.parquet"
        result, text = build(write_spec(spec_for(synthetic_spec, folder), f"{name}.yaml"), out)
        assert_refused(result, text, out, needle)
        assert text.count("error:") == 1, result.output


def test_duplicated_column_names_are_refused(tmp_path, write_spec, synthetic_spec, exports):
    iso, _ = exports
    lines = (iso / "leads.csv").read_text().splitlines()
    lines[0] = lines[0].replace('"industry"', '"channel"')
    (tmp_path / "leads.csv").write_text("\n".join(lines[:200]) + "\n")
    (tmp_path / "outcomes.csv").write_bytes((iso / "outcomes.csv").read_bytes())
    out = tmp_path / "o.parquet"
    result, text = build(write_spec(spec_for(synthetic_spec, tmp_path)), out)
    assert_refused(result, text, out, "column name 'channel' appears more than once")


def test_chinese_column_names_stay_readable(tmp_path, write_spec, x_education_spec):
    frame = pd.read_csv(x_education_spec["leads"]["path"]).head(400)
    frame = frame.rename(columns={"Lead Source": "线索来源", "City": "城市",
                                  "Total Time Spent on Website": "网站停留时间（秒）"})
    frame.to_csv(tmp_path / "x.csv", index=False)
    raw = copy.deepcopy(x_education_spec)
    raw["leads"]["path"] = str(tmp_path / "x.csv")
    raw["features"]["allow_strong"] = []
    raw["display"] = None
    result, _ = build(write_spec(raw), tmp_path / "o.parquet")
    assert result.exit_code == 0, result.output
    columns = set(pd.read_parquet(tmp_path / "o.parquet").columns)
    assert {"线索来源", "城市", "网站停留时间_秒"} <= columns


def test_label_sanity_counts_are_printed_and_kept(tmp_path, write_spec, synthetic_spec, exports):
    iso, _ = exports
    outcomes = pd.read_csv(iso / "outcomes.csv")
    leads = pd.read_csv(iso / "leads.csv", parse_dates=["created_at"])
    # a third of the wins dated a year early: what a day/month swap does to a real export
    early = outcomes.index % 3 == 0
    outcomes.loc[early, "won_at"] = (pd.to_datetime(outcomes.loc[early, "won_at"]) - pd.Timedelta(days=365)).astype(str)
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    leads.to_csv(tmp_path / "leads.csv", index=False)
    as_of = str(leads["created_at"].quantile(0.95).date())
    result, text = run("build", "--spec", str(write_spec(spec_for(synthetic_spec, tmp_path))), "--out",
                       str(tmp_path / "o.parquet"), "--as-of", as_of)
    assert result.exit_code == 0, result.output
    profile = json.loads((tmp_path / "o.profile.json").read_text())
    labels = profile["labels"]
    assert labels["snapshot_from"] == "--as-of" and labels["snapshot"].startswith(as_of)
    assert labels["leads_after_snapshot"] == int((leads["created_at"] > pd.Timestamp(as_of)).sum()) > 0
    assert labels["wins_before_creation"] > 0.2 * labels["won_leads"]
    assert f"wins dated before creation: {labels['wins_before_creation']:,}" in text
    assert "(from --as-of)" in text
    assert sum("warning:" in w for w in text.split("warning:")[1:]) == 0 and text.count("warning:") == 2
    assert len(profile["label_warnings"]) == 2


def test_strong_column_warns_below_the_stop(tmp_path, write_spec, x_education_spec):
    raw = copy.deepcopy(x_education_spec)
    raw["features"]["allow_strong"] = []
    raw["features"]["known_after_contact"].remove("Lead Quality")  # 0.80 alone: warned about, not stopped
    result, text = build(write_spec(raw), tmp_path / "o.parquet")
    assert result.exit_code == 0, result.output
    assert "warning: column 'Lead Quality' alone separates the outcome at ROC-AUC 0.7" in text or \
        "warning: column 'Lead Quality' alone separates the outcome at ROC-AUC 0.8" in text
    warned = {w["column"]: w for w in json.loads((tmp_path / "o.profile.json").read_text())["leak_warnings"]}
    assert 0.75 <= warned["Lead Quality"]["auc"] < 0.90 and not warned["Lead Quality"]["declared_honest"]
    raw["features"]["leak_warn"] = 0.95
    result, text = build(write_spec(raw), tmp_path / "o.parquet")
    assert result.exit_code == 2 and "'leak_warn' must not be above 'leak_threshold'" in text
