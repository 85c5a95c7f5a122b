"""Exports that record when a lead was won rather than whether (a 'Became a Customer Date', a lifecycle stage
with no lost value), with creation times written with a zone after a space, as CRMs export them."""

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from features.build import build_training_set
from features.dates import ISO, detect_format, looks_like_dates
from features.spec import load_spec
from serving.cli.main import app


def test_times_with_a_zone_after_a_space_are_iso_dates_not_text():
    values = pd.Series(["2024-03-05 14:22:01 +0800", "2024-11-30 08:00:00 -0500", "2024-01-02 00:00:00 +08:00"])
    assert looks_like_dates(values) and detect_format(values).fmt == ISO
    assert not looks_like_dates(pd.Series(["+86 13812345678", "+86 13987654321"]))  # phones stay phones


def lifecycle_export(path, n=1500, seed=2):
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300 * 24 * 60, n), unit="min")
    pageviews = rng.poisson(4, n)
    customer = rng.random(n) < 1 / (1 + np.exp(-(0.5 * pageviews - 4)))
    days = rng.integers(1, 150, n)
    won_at = (created + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    stage = np.where(customer, "customer", rng.choice(["subscriber", "lead", "salesqualifiedlead"], n))
    frame = pd.DataFrame({
        "Record ID": rng.choice(10**9, n, replace=False),
        "Email": [f"user{i}@example.com" for i in range(n)],
        "Create Date": created.tz_localize("Asia/Shanghai").strftime("%Y-%m-%d %H:%M:%S %z"),
        "Lifecycle Stage": stage,
        "Number of Pageviews": pageviews,
        "Original Source": rng.choice(["Organic Search", "Paid Social", "Referrals"], n),
        "Became a Customer Date": np.where(customer, won_at, None),
    })
    frame.to_csv(path, index=False)
    return frame


def test_a_won_date_column_is_proposed_as_a_point_in_time_outcome_and_builds(tmp_path):
    export = lifecycle_export(tmp_path / "contacts.csv")
    spec_path = tmp_path / "spec.yaml"
    result = CliRunner().invoke(app, ["init", "--from", str(tmp_path / "contacts.csv"), "--out", str(spec_path)])
    assert result.exit_code == 0, result.output
    text = spec_path.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    assert raw["leads"]["created_at"] == "Create Date"  # not the win date, which only customers have
    assert raw["outcome"] == {"path": str(tmp_path / "contacts.csv"), "id": "Record ID",
                              "won_at": "Became a Customer Date", "horizon_days": None}
    share = export["Became a Customer Date"].notna().mean()
    assert f"CHECK: filled on {share:.0%} of rows" in text and "horizon_days: null  # FILL IN" in text
    # The stage says 'customer' exactly for the won leads: it is the outcome itself, never a feature.
    assert "Lifecycle Stage" in raw["features"]["known_after_contact"]

    raw["outcome"]["horizon_days"] = 90
    spec_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    ts = build_training_set(load_spec(spec_path), check_leakage=True)
    created = pd.to_datetime(export["Create Date"], format="ISO8601", utc=True).dt.tz_localize(None)
    won = pd.to_datetime(export["Became a Customer Date"])
    within = (won - created <= pd.Timedelta(days=90)).fillna(False)
    labels = dict(zip(ts.frame["lead_id"], ts.frame["label"], strict=True))
    expected = dict(zip(export["Record ID"].astype(str), within.astype(int), strict=True))
    assert len(labels) > 0.5 * len(export)
    assert all(labels[k] == expected[k] for k in labels)
    assert "lifecycle_stage" not in ts.frame.columns
