"""`leadscore init --table`: the export's other tables proposed as lookups or the activity table, each with
its figures and a CHECK, and a spec that builds as written."""

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from features.build import build_training_set
from features.spec import load_spec
from serving.cli.main import app


def crm_tables(tmp_path, activity_dates: str = "iso"):
    """Opportunities with an account (some empty), a product (one misspelt) and a rep; accounts with a parent
    account and a contact email; products; reps; activities; a table unrelated to the leads."""
    rng = np.random.default_rng(4)
    n = 400
    accounts = pd.DataFrame({"account": [f"Acc {i}" for i in range(30)],
                             "sector": rng.choice(["retail", "software", "finance"], 30),
                             "employees": rng.integers(5, 5000, 30),
                             "parent": [None] * 25 + [f"Acc {i}" for i in range(5)],
                             "contact_email": [f"buyer{i}@acc{i}.example.com" for i in range(30)]})
    products = pd.DataFrame({"product": ["GTX Basic", "GTX Pro", "MG Special"], "price": [550, 4821, 55]})
    reps = pd.DataFrame({"agent": [f"Agent {c}" for c in "ABCDEF"], "office": rng.choice(["East", "West"], 6)})
    product = rng.choice(["GTX Basic", "GTX Pro", "MG Special", "GTXPro"], n, p=[0.4, 0.3, 0.25, 0.05])
    opportunities = pd.DataFrame({
        "opportunity_id": [f"OP{i:05d}" for i in range(n)],
        "agent": rng.choice(reps["agent"], n),
        "product": product,
        "account": np.where(rng.random(n) < 0.1, None, rng.choice(accounts["account"], n)),
        "stage": rng.choice(["Won", "Lost", "Engaging"], n, p=[0.45, 0.45, 0.1]),
        "engage_date": (pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
                        ).strftime("%Y-%m-%d"),
    })
    events = []
    for i in rng.choice(n, 250, replace=False):
        for _ in range(rng.integers(1, 6)):
            at = pd.Timestamp("2024-12-01") + pd.Timedelta(hours=float(rng.uniform(0, 24 * 360)))
            events.append((f"OP{i:05d}", at.strftime("%d/%m/%Y %H:%M") if activity_dates == "day-first"
                           else at.isoformat(), rng.choice(["email open", "call", "web visit"]),
                           rng.choice(["web", "email"])))
    activities = pd.DataFrame(events, columns=["opp", "when", "what", "channel"])
    files = {}
    currencies = pd.DataFrame({"code": ["EUR", "USD"], "rate": [1.1, 1.0]})  # related to no lead
    for name, frame in {"opportunities": opportunities, "accounts": accounts, "products": products, "reps": reps,
                        "activities": activities, "currencies": currencies}.items():
        files[name] = tmp_path / f"{name}.csv"
        frame.to_csv(files[name], index=False)
    return files


def run_init(files, out, tables):
    args = ["init", "--from", str(files["opportunities"]), "--out", str(out)]
    for name in tables:
        args += ["--table", str(files[name])]
    return CliRunner().invoke(app, args)


def test_other_tables_are_proposed_as_lookups_and_activities_and_the_spec_builds(tmp_path):
    files = crm_tables(tmp_path)
    out = tmp_path / "spec.yaml"
    result = run_init(files, out, ["accounts", "products", "reps", "activities", "currencies"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    lookups = {entry["name"]: entry for entry in raw["lookups"]}
    assert {n: (e["key"], e["via"]) for n, e in lookups.items()} == {
        "account": ("account", "account"), "product": ("product", "product"), "rep": ("agent", "agent")}
    # Personal data of a related table never becomes a feature: its columns are listed without it.
    assert lookups["account"]["columns"] == ["sector", "employees", "parent"]
    assert "personal data left out: contact_email" in text
    line = next(line for line in text.splitlines() if '"product", path' in line)
    share = (pd.read_csv(files["opportunities"])["product"] != "GTXPro").mean()
    assert f"CHECK: {share:.0%} of the values" in line  # the figure the reader judges the join by
    # A column holding the table's own keys is a parent: offered as a chain, commented, never chosen.
    assert '# - {name: "parent_account", path: ' in text and 'via: "account.parent"' in text
    activities = raw["activities"]
    assert (activities["lead_id"], activities["at"], activities["type"], activities["channel"]) == (
        "opp", "when", "what", "channel")
    assert "CHECK: each training row's prediction time" in text
    assert "currencies.csv" in result.output and "not used" in result.output
    assert "currencies" not in str(raw["lookups"])  # only as a comment

    ts = build_training_set(load_spec(out), check_leakage=False)
    columns = set(ts.frame.columns)
    assert {"account_sector", "account_employees", "product_price", "rep_office"} <= columns
    assert not any("contact" in c for c in columns)
    assert any(c.startswith("engagement") for c in columns), sorted(columns)
    glossary = (tmp_path / "spec.display.yaml").read_text(encoding="utf-8")
    assert '"account sector": "Account sector"' in glossary


def test_day_first_activity_times_are_a_question_and_no_table_no_keys(tmp_path):
    files = crm_tables(tmp_path, activity_dates="day-first")
    out = tmp_path / "spec.yaml"
    assert run_init(files, out, ["activities"]).exit_code == 0
    text = out.read_text(encoding="utf-8")
    at_line = next(line for line in text.splitlines() if line.strip().startswith("date_format") and
                   text.index(line) > text.index("activities:"))
    assert "%d/%m/%Y" in at_line and ("CHECK" in at_line or "proven" in at_line)
    assert "lookups" not in yaml.safe_load(text)

    plain = tmp_path / "plain.yaml"
    assert run_init(files, plain, []).exit_code == 0
    raw = yaml.safe_load(plain.read_text(encoding="utf-8"))
    assert "lookups" not in raw and "activities" not in raw
