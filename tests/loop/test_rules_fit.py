"""Points that learn: fitted points recover weights planted in synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from serving.cli.main import app
from training.rules.fit import fit_points, learned_rules, suggest
from training.rules.table import Range, Rule, RuleTable, load_rules

# Planted log-odds per option; each rule's lowest option is 0, the best options sum to 5.0.
PLANTED = {"need": {"high": 2.0, "medium": 1.0, "low": 0.0}, "timeline": {"now": 1.5, "later": 0.0},
           "visits": [0.0, 1.5]}


def planted_leads(n: int = 40_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"need": rng.choice(["high", "medium", "low"], n), "timeline": rng.choice(["now", "later"], n),
                          "visits": rng.integers(0, 20, n), "noise": rng.choice(["a", "b"], n)})
    logit = (frame["need"].map(PLANTED["need"]) + frame["timeline"].map(PLANTED["timeline"])
             + np.where(frame["visits"] >= 10, 1.5, 0.0) - 2.5)
    return frame, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


TABLE = RuleTable(rules=[Rule(field="need", points={"high": 10, "medium": 10, "low": 10}),
                         Rule(field="timeline", points={"now": 5, "later": 5}),
                         Rule(field="visits", ranges=[Range(max=10, points=0), Range(min=10, points=1)])])


def test_fitted_points_recover_the_planted_weights():
    frame, y = planted_leads()
    fitted = fit_points(TABLE, frame, y)
    expected = {"high": 40, "medium": 20, "low": 0, "now": 30, "later": 0}  # planted x 100 / 5.0
    got = {**fitted.rules[0].points, **fitted.rules[1].points}
    assert all(abs(got[k] - v) <= 3 for k, v in expected.items()), got
    assert [r.points for r in fitted.rules[2].ranges][0] == 0 and abs(fitted.rules[2].ranges[1].points - 30) <= 3
    assert all(float(v).is_integer() for v in got.values())
    best = {"need": "high", "timeline": "now", "visits": 15}
    assert abs(fitted.score_record(best)[0] - 100) <= 2  # a perfect lead scores (about) 100


def test_suggest_beats_flat_points_on_held_out_leads_and_writes_a_loadable_table(tmp_path):
    frame, y = planted_leads(8000, seed=1)
    fitted, auc = suggest(TABLE, frame, y)
    assert auc["suggested"] > auc["current"] + 0.1 and auc["held_out"] == 2000
    learned = learned_rules(frame, y, {}, sample=5000)  # no table in the spec: fields chosen, noise left out
    assert {r.field for r in learned.rules[:3]} == {"need", "timeline", "visits"}


def test_cli_suggest_writes_a_rule_file_the_service_loads(tmp_path, synthetic_spec, write_spec):
    out = tmp_path / "fitted.yaml"
    done = CliRunner().invoke(app, ["rules", "suggest", "--spec", str(write_spec(synthetic_spec)), "--write", str(out)])
    assert done.exit_code == 0, done.output
    assert "held-out ROC-AUC" in done.output and "suggested" in done.output
    table = load_rules(out)
    assert [r.field for r in table.rules] == [r.field for r in load_rules(synthetic_spec["rules"]).rules]
