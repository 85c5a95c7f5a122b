"""Unix epoch times (seconds or milliseconds since 1970): `init` proposes a column as a date with its unit
only when its name and its values both say so; `build` reads `date_format: epoch_s / epoch_ms` exactly."""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from features.dates import parse_dates
from features.errors import LeadscoreError
from features.load import load_table
from serving.cli.main import app

runner = CliRunner()
SCALE = {"epoch_s": 1, "epoch_ms": 1000}


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result, " ".join(result.output.split())


def epoch(times: pd.Series, fmt: str) -> pd.Series:
    return times.astype("datetime64[s]").astype("int64") * SCALE[fmt]


@pytest.fixture(scope="module")
def leads(synthetic_spec):
    return load_table(synthetic_spec["leads"]["path"], None, "leads").head(1500)


def init_spec(tmp_path, frame, synthetic_spec, outcomes=True):
    frame.to_csv(tmp_path / "leads.csv", index=False)
    out = tmp_path / "s.yaml"
    wins = ["--outcomes", synthetic_spec["outcome"]["path"]] if outcomes else []
    result, _ = run("init", "--from", tmp_path / "leads.csv", *wins, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    return yaml.safe_load(out.read_text()), out.read_text()


@pytest.mark.parametrize(("name", "fmt"), [("created", "epoch_s"), ("CreatedDate", "epoch_ms"),
                                           ("signup_time", "epoch_ms"), ("创建时间", "epoch_s")])
def test_init_proposes_an_epoch_column_named_like_a_time_with_its_unit(tmp_path, leads, synthetic_spec, name, fmt):
    frame = leads.drop(columns=["created_at"]).assign(**{name: epoch(leads["created_at"], fmt)})
    raw, text = init_spec(tmp_path, frame, synthetic_spec)
    assert raw["leads"]["created_at"] == name and raw["leads"]["date_format"] == fmt
    unit = "seconds" if fmt == "epoch_s" else "milliseconds"
    first = leads["created_at"].min().strftime("%Y-%m-%d %H:%M:%S")
    assert f"CHECK: whole numbers read as Unix {unit} (UTC): {first} to " in text
    assert raw["leads"]["id"] == "lead_id"
    assert name not in {*raw["features"]["exclude"], *raw["features"]["known_after_contact"]}


def test_init_proposes_no_large_integer_id_or_amount_as_a_date(tmp_path, leads, synthetic_spec):
    rng = np.random.default_rng(0)
    frame = leads.drop(columns=["created_at", "lead_id"]).assign(
        customer_id=1_717_000_000 + 7 * np.arange(len(leads)),  # an id whose values fall in the epoch range
        amount=rng.choice([1_200_000_000, 1_500_000_000, 2_000_000_000], len(leads)),  # deals in the same range
        time_on_site_sec=leads["time_on_site_sec"],  # a name that reads like a time, values that are none
    )
    raw, text = init_spec(tmp_path, frame, synthetic_spec, outcomes=False)  # the won deals name other ids
    assert raw["leads"]["created_at"] is None and "date_format" not in raw["leads"]
    assert raw["leads"]["id"] == "customer_id"  # the only unique column: kept, with the question beside it
    assert '  id: "customer_id"  # CHECK: its values read as Unix seconds (UTC) too' in text
    assert "if it is a time, choose another id" in text
    assert '  # - "amount"  # CHECK: its values read as Unix seconds (UTC) too' in text  # still a feature
    assert "amount" not in {*raw["features"]["exclude"], *raw["features"]["known_after_contact"]}
    assert "time_on_site_sec" not in text.split("features:")[1]  # its values are no times: nothing said


def test_init_lists_a_later_epoch_column_as_known_after_contact(tmp_path, leads, synthetic_spec):
    closed = leads["created_at"] + pd.to_timedelta(np.arange(len(leads)) % 40 + 1, unit="D")
    frame = leads.assign(created_at=epoch(leads["created_at"], "epoch_ms"), closed_ms=epoch(closed, "epoch_ms"))
    raw, _ = init_spec(tmp_path, frame, synthetic_spec)
    assert raw["leads"]["created_at"] == "created_at" and raw["leads"]["date_format"] == "epoch_ms"
    assert raw["features"]["known_after_contact"] == ["closed_ms"]


@pytest.mark.parametrize("fmt", ["epoch_ms", "epoch_s"])
def test_build_reads_epoch_times_exactly_and_labels_as_iso_text(tmp_path, write_spec, synthetic_spec, fmt):
    source = load_table(synthetic_spec["leads"]["path"], None, "leads")
    raw = copy.deepcopy(synthetic_spec)
    raw.pop("lookups")
    raw.pop("activities")
    raw.update(display=None, rules=None)
    raw["leads"]["path"] = str(tmp_path / "iso.csv")
    source.assign(created_at=source["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%S")).to_csv(raw["leads"]["path"],
                                                                                         index=False)
    result, _ = run("build", "--spec", write_spec(raw, "iso.yaml"), "--out", tmp_path / "iso.parquet")
    assert result.exit_code == 0, result.output
    numbers = epoch(source["created_at"], fmt)
    raw["leads"].update(path=str(tmp_path / "epoch.csv"), date_format=fmt)
    source.assign(created_at=numbers).to_csv(raw["leads"]["path"], index=False)
    result, _ = run("build", "--spec", write_spec(raw, "epoch.yaml"), "--out", tmp_path / "epoch.parquet")
    assert result.exit_code == 0, result.output
    iso, from_epoch = pd.read_parquet(tmp_path / "iso.parquet"), pd.read_parquet(tmp_path / "epoch.parquet")
    assert len(iso) > 1000 and iso["label"].nunique() == 2
    pd.testing.assert_series_equal(from_epoch["created_at"], iso["created_at"])  # to the second, every row
    pd.testing.assert_series_equal(from_epoch["label"], iso["label"])
    pd.testing.assert_frame_equal(from_epoch, iso)

    source.assign(created_at=numbers * (1000 if fmt == "epoch_s" else 1) // (1 if fmt == "epoch_s" else 1000)) \
        .to_csv(raw["leads"]["path"], index=False)  # the other unit than declared
    result, text = run("build", "--spec", write_spec(raw, "epoch.yaml"), "--out", tmp_path / "wrong.parquet")
    other = "epoch_s" if fmt == "epoch_ms" else "epoch_ms"
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"column 'created_at' has {len(source)} value(s) that are not times in 'leads.date_format' \"{fmt}\"" in text
    assert f"set 'leads.date_format' to \"{other}\"" in text and not (tmp_path / "wrong.parquet").exists()


def test_epoch_text_and_blanks_parse_and_a_word_names_its_row():
    ids = pd.Series(["a", "b", "c"])
    parsed = parse_dates(pd.Series(["1717171717", "", " 1717171718 "]), "epoch_s", "f.csv", "t", "leads.date_format",
                         ids)
    assert parsed.tolist()[0] == pd.Timestamp("2024-05-31 16:08:37") and pd.isna(parsed.iloc[1])
    assert parsed.iloc[2] == pd.Timestamp("2024-05-31 16:08:38")
    with pytest.raises(LeadscoreError, match=r"f.csv: column 't' .* data row 2 \(lead id 'b'\) holds 'soon', which is "
                                             "not a number"):
        parse_dates(pd.Series(["1717171717", "soon", None]), "epoch_s", "f.csv", "t", "leads.date_format", ids)


def test_an_activity_table_in_epoch_ms_is_proposed_with_its_unit_and_builds_as_iso(tmp_path, write_spec,
                                                                                   synthetic_spec):
    """--table proposes `activities.date_format: epoch_ms`; the engagement built from it equals the ISO one's."""
    events = load_table(synthetic_spec["activities"]["path"], None, "activities")
    events.assign(occurred_at=epoch(events["occurred_at"], "epoch_ms")).to_csv(tmp_path / "events.csv", index=False)
    out = tmp_path / "s.yaml"
    result, _ = run("init", "--from", synthetic_spec["leads"]["path"], "--table", tmp_path / "events.csv",
                    "--out", out)
    assert result.exit_code == 0, result.output
    proposed = yaml.safe_load(out.read_text())["activities"]
    assert proposed["at"] == "occurred_at" and proposed["date_format"] == "epoch_ms"
    assert "CHECK: whole numbers read as Unix milliseconds (UTC)" in out.read_text()

    raw = copy.deepcopy(synthetic_spec)
    result, _ = run("build", "--spec", write_spec(raw, "iso.yaml"), "--out", tmp_path / "iso.parquet")
    assert result.exit_code == 0, result.output
    raw["activities"].update(path=str(tmp_path / "events.csv"), date_format="epoch_ms")
    result, _ = run("build", "--spec", write_spec(raw, "ms.yaml"), "--out", tmp_path / "ms.parquet")
    assert result.exit_code == 0, result.output
    iso, ms = pd.read_parquet(tmp_path / "iso.parquet"), pd.read_parquet(tmp_path / "ms.parquet")
    assert iso["days_since_last_activity"].notna().sum() > 1000
    pd.testing.assert_frame_equal(ms, iso)
