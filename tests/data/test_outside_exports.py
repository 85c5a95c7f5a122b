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
