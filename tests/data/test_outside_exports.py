"""Rough edges met by trying `leadscore` on exports it had never seen (a HubSpot-style contacts export
with a 'Became a Customer Date', a B2B pipeline with an accounts lookup), each reproduced on a small
frame written here."""

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from serving.cli.main import app


def contacts_export(path, n=400, seed=3):
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-02") + pd.to_timedelta(rng.integers(0, 500 * 24 * 60, n), unit="min")
    won = rng.random(n) < 0.3
    won_at = created + pd.to_timedelta(rng.integers(2, 80, n), unit="D")
    pd.DataFrame({
        "Record ID": np.arange(51000, 51000 + n),
        "Create Date": created.strftime("%Y-%m-%d %H:%M"),
        "Original Source": rng.choice(["Organic Search", "Referrals", "Paid Search"], n),
        "Became a Customer Date": np.where(won, won_at.strftime("%Y-%m-%d %H:%M"), None),
    }).to_csv(path, index=False)


def test_the_horizon_init_asks_for_stops_the_build_until_it_is_set(tmp_path):
    # init writes `horizon_days: null  # FILL IN`; the build used to label every lead won at any time as
    # positive and every younger lead as lost, exit 0, without a word.
    contacts_export(tmp_path / "contacts.csv")
    spec = tmp_path / "spec.yaml"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--from", str(tmp_path / "contacts.csv"), "--out", str(spec)]).exit_code == 0
    assert yaml.safe_load(spec.read_text(encoding="utf-8"))["outcome"]["horizon_days"] is None
    result = runner.invoke(app, ["build", "--spec", str(spec), "--out", str(tmp_path / "ts.parquet")])
    assert result.exit_code == 2, result.output
    assert "'outcome.horizon_days' is empty" in result.output and "'Became a Customer Date'" in result.output
    assert not (tmp_path / "ts.parquet").exists()

    spec.write_text(spec.read_text(encoding="utf-8").replace("horizon_days: null", "horizon_days: 60"),
                    encoding="utf-8")
    result = runner.invoke(app, ["build", "--spec", str(spec), "--out", str(tmp_path / "ts.parquet")])
    assert result.exit_code == 0, result.output
    assert "not yet known" in result.output


def test_a_later_date_filled_on_some_rows_is_not_said_to_be_filled_on_every_row(tmp_path):
    # The share is of the rows where both dates are filled: a win date filled on 30% of the contacts
    # was said to be 'filled after 'Create Date' on 100% of rows'.
    contacts_export(tmp_path / "contacts.csv")
    spec = tmp_path / "spec.yaml"
    assert CliRunner().invoke(app, ["init", "--from", str(tmp_path / "contacts.csv"), "--out", str(spec)]
                              ).exit_code == 0
    line = next(x for x in spec.read_text(encoding="utf-8").splitlines()
                if x.strip().startswith('- "Became a Customer Date"'))
    assert "on 100% of the rows where both are filled" in line and "100% of rows" not in line


def engaged_contacts(folder, before_days=(), n=300, seed=4):
    """Contacts won within 60 days or not, and their engagements from creation on; for each of
    `before_days`, a page view that many days before each lead's creation too."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-02") + pd.to_timedelta(rng.integers(0, 300 * 24, n), unit="h")
    ids = np.arange(51000, 51000 + n)
    won = rng.random(n) < 0.35
    pd.DataFrame({"Record ID": ids, "Create Date": created.strftime("%Y-%m-%d %H:%M"),
                  "Original Source": rng.choice(["Organic Search", "Referrals"], n),
                  "Became a Customer Date": np.where(won, (created + pd.Timedelta(days=20)).strftime("%Y-%m-%d %H:%M"),
                                                     None)}).to_csv(folder / "contacts.csv", index=False)
    rows = [(i, c + pd.Timedelta(hours=float(h)), t) for i, c in zip(ids, created, strict=True)
            for h, t in zip(rng.uniform(0, 60, 3), rng.choice(["EMAIL", "PAGE_VIEW", "CALL"], 3), strict=True)]
    rows += [(i, c - pd.Timedelta(days=d), "PAGE_VIEW") for d in before_days for i, c in zip(ids, created, strict=True)]
    pd.DataFrame(rows, columns=["Record ID", "Activity date", "Activity type"]).assign(
        **{"Activity date": lambda f: f["Activity date"].dt.strftime("%Y-%m-%d %H:%M")}).to_csv(
        folder / "engagements.csv", index=False)
    return {"name": "contacts",
            "leads": {"path": str(folder / "contacts.csv"), "id": "Record ID", "created_at": "Create Date"},
            "outcome": {"path": str(folder / "contacts.csv"), "id": "Record ID", "won_at": "Became a Customer Date",
                        "horizon_days": 60},
            "activities": {"path": str(folder / "engagements.csv"), "lead_id": "Record ID", "at": "Activity date",
                           "type": "Activity type", "windows": [7, 30, 90], "min_type_count": 1,
                           "prediction": {"age_days": 3}},
            "features": {"known_after_contact": ["Became a Customer Date"]}}


def test_windows_that_only_repeat_a_shorter_one_are_named_at_build(tmp_path):
    # init proposes windows [7, 30, 90] with a prediction 3 days after creation: without events long before
    # creation every window counts the same events, and each answer repeated one count three times
    # ('2 PAGE_VIEWs in the last 7 days raise the score by 12 points', then 30 days, then 90 days).
    from features.build import build_training_set
    from features.spec import DatasetSpec

    ts = build_training_set(DatasetSpec.model_validate(engaged_contacts(tmp_path)), check_leakage=False)
    assert "activities.windows: the counts in the last 30 and 90 days equal those in the last 7 days" in \
        " ".join(ts.warnings())
    assert ts.relation.repeated_windows == [(30, 7), (90, 7)]
    # A page view 20 days before creation: the 30-day window counts it, the 90-day one repeats the 30-day one.
    ts = build_training_set(DatasetSpec.model_validate(engaged_contacts(tmp_path, before_days=[20])),
                            check_leakage=False)
    assert ts.relation.repeated_windows == [(90, 30)]
    assert "the counts in the last 90 days equal those in the last 30 days" in " ".join(ts.warnings())
    ts = build_training_set(DatasetSpec.model_validate(engaged_contacts(tmp_path, before_days=[20, 60])),
                            check_leakage=False)
    assert ts.relation.repeated_windows == [] and "activities.windows" not in " ".join(ts.warnings())


def test_a_manager_joined_from_a_teams_table_is_proposed_under_people(tmp_path):
    # The pipeline's 'sales_agent' was proposed under people, but the manager the sales_teams lookup joins
    # ('Sales team manager is Melvin Marxen lowers the score by 0.3 points') was a plain feature.
    rng = np.random.default_rng(6)
    agents = ["Anna Snelling", "Boris Cappel", "Cecily Jurcek", "Darcel Hammack", "Elease Gorner", "Garret Bentz",
              "Hayden Zalewski", "Kami Pettiford", "Moses Benitez"]
    pd.DataFrame({"sales_agent": agents, "manager": ["Dustin Brinkmann", "Cara Losch", "Celia Rouche"] * 3,
                  "regional_office": ["Central", "East", "West"] * 3}).to_csv(tmp_path / "sales_teams.csv", index=False)
    n = 300
    pd.DataFrame({"opportunity_id": [f"O{i:04d}" for i in range(n)], "sales_agent": rng.choice(agents, n),
                  "product": rng.choice(["GTX Basic", "MG Special"], n),
                  "deal_stage": rng.choice(["Won", "Lost", "Engaging"], n)}).to_csv(tmp_path / "pipeline.csv",
                                                                                     index=False)
    spec = tmp_path / "spec.yaml"
    result = CliRunner().invoke(app, ["init", "--from", str(tmp_path / "pipeline.csv"), "--table",
                                      str(tmp_path / "sales_teams.csv"), "--out", str(spec)])
    assert result.exit_code == 0, result.output
    raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    assert raw["features"]["people"] == ["sales_agent", "sales_team manager"]
    assert "its values look like people's names (in " in spec.read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["build", "--spec", str(spec), "--out", str(tmp_path / "ts.parquet")])
    assert result.exit_code == 0, result.output
