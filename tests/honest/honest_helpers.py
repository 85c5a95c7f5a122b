"""Small CRM exports made inside the tests, shaped like the three real exports of issue 23 (a bank's call
campaign, a B2B CRM's opportunities, an insurer's cold calls), and a CLI runner."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

runner = CliRunner()


def run(*args):
    """`leadscore ARGS` in process: (result, its output on one line)."""
    from serving.cli.main import app

    result = runner.invoke(app, [str(a) for a in args])
    return result, " ".join(result.output.split())


def opportunities(n: int = 900, seed: int = 0, signal: float = 0.0, base_rate: float = 0.6) -> pd.DataFrame:
    """A B2B CRM's opportunities: a stage column (Won/Lost/Engaging/Prospecting), ISO dates, a sales agent;
    with `signal` 0 no column says anything about the outcome."""
    rng = np.random.default_rng(seed)
    product = rng.choice(["GTX Basic", "GTX Pro", "MG Special", "GTK 500"], n)
    value = rng.gamma(2.0, 1500.0, n).round(0)
    logit = np.log(base_rate / (1 - base_rate)) + signal * (product == "GTX Pro") - signal * (product == "GTK 500")
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    stage = np.where(won, "Won", "Lost").astype(object)
    open_ = rng.random(n) < 0.15
    stage[open_] = rng.choice(["Engaging", "Prospecting"], int(open_.sum()))
    engage = pd.Timestamp("2016-10-20") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    close = engage + pd.to_timedelta(rng.integers(5, 120, n), unit="D")
    return pd.DataFrame({
        "opportunity_id": [f"OP{i:05d}" for i in range(n)],
        "sales_agent": rng.choice(["Moses Frase", "Darcel Schlecht", "Zane Levy", "Anna Snelling"], n),
        "product": product, "account": rng.choice([f"Acme {i}" for i in range(30)], n),
        "deal_stage": stage,
        "engage_date": engage.strftime("%Y-%m-%d"),
        "close_date": np.where(open_, "", close.strftime("%Y-%m-%d")),
        "close_value": np.where(stage == "Won", value, 0.0),
        "region": rng.choice(["East", "West", "Central"], n),
    })
