"""Monitoring figures against hand-computed cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from features.synth.later import later_frames
from training.evaluate.drift import psi, summarize_training
from training.monitor.compute import Thresholds, monitor
from training.registry.contract import ModelMetadata

LIMITS = Thresholds(min_leads=50)


def test_psi_matches_the_formula():
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(expected, rel=1e-9)
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def make_log(inputs: pd.DataFrame, probability: np.ndarray, bands: np.ndarray, source: str = "model") -> pd.DataFrame:
    n = len(inputs)
    return pd.DataFrame({
        "logged_at": pd.Timestamp("2026-08-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="min"),
        "lead_id": [f"L{i}" for i in range(n)], "model_name": "m", "model_version": "1", "source": source,
        "probability": probability, "score": (probability * 100).astype(int), "band": bands,
        "rule_score": probability * 100, "inputs": [json.dumps(r) for r in inputs.to_dict("records")]})


def outcomes_of(won: np.ndarray, hours: np.ndarray | None = None) -> pd.DataFrame:
    n = len(won)
    return pd.DataFrame({"lead_id": [f"L{i}" for i in range(n)], "outcome": np.where(won, "won", "lost"),
                         "outcome_at": pd.Timestamp("2026-09-01", tz="UTC"),
                         "first_response_hours": hours if hours is not None else np.nan, "deal_value": np.nan})


def metadata(training: pd.DataFrame) -> ModelMetadata:
    return ModelMetadata(dataset="test", bands={"hot": 0.5, "warm": 0.2},
                         training_summary=summarize_training(training, {}), features={c: c for c in training.columns},
                         conversion_by_band={"hot": {"leads": 100}, "warm": {"leads": 300}, "cold": {"leads": 600}},
                         source_column="channel")


def test_a_shifted_feature_raises_its_psi_over_the_threshold_and_a_stable_one_does_not():
    rng = np.random.default_rng(0)
    training = pd.DataFrame({"visits": rng.normal(0, 1, 5000), "stable": rng.normal(0, 1, 5000),
                             "channel": rng.choice(["web", "social"], 5000, p=[0.7, 0.3])})
    served = pd.DataFrame({"visits": rng.normal(1.0, 1, 2000), "stable": rng.normal(0, 1, 2000),
                           "channel": rng.choice(["web", "social", "new campaign"], 2000, p=[0.4, 0.3, 0.3])})
    p = np.full(2000, 0.2)
    bands = rng.choice(["hot", "warm", "cold"], 2000, p=[0.1, 0.3, 0.6])
    result = monitor(make_log(served, p, bands), outcomes_of(rng.random(2000) < 0.2), metadata(training), LIMITS)
    scores = result.sections["drift"]["psi"]
    assert scores["visits"] > 0.2 and scores["channel"] > 0.2 and scores["stable"] < 0.05
    assert any("PSI of visits" in b for b in result.breaches) and any("PSI of channel" in b for b in result.breaches)
    assert not any("PSI of stable" in b for b in result.breaches)


def test_a_miscalibrated_band_shows_and_breaches():
    rng = np.random.default_rng(1)
    n = 3000
    bands = np.array(["hot"] * 300 + ["warm"] * 900 + ["cold"] * 1800)
    predicted = np.select([bands == "hot", bands == "warm"], [0.6, 0.3], 0.05)
    realised = np.select([bands == "hot", bands == "warm"], [0.3, 0.3], 0.05)  # hot leads convert half as often
    won = rng.random(n) < realised
    frame = pd.DataFrame({"x": rng.normal(size=n)})
    result = monitor(make_log(frame, predicted, bands), outcomes_of(won), metadata(frame), LIMITS)
    rows = {r["band"]: r for r in result.sections["calibration"]}
    assert rows["hot"]["predicted"] == 0.6 and abs(rows["hot"]["realised"] - won[:300].mean()) < 1e-12
    assert rows["hot"]["gap"] < -0.2 and abs(rows["warm"]["gap"]) < 0.05
    assert [b for b in result.breaches if b.startswith("calibration")] == [
        f"calibration: hot leads of 2026-08 converted {won[:300].mean():.1%} against 60.0% predicted"]


def test_slow_follow_up_of_hot_leads_costs_conversions_in_the_synthetic_data():
    frames = later_frames(6000, seed=3)
    leads, outcomes = frames["new_leads.csv"], frames["outcomes_import.csv"]
    truth = frames["truth.csv"].set_index("lead_id")["p_convert"].reindex(leads["lead_id"]).to_numpy()
    hot_cut, warm_cut = np.quantile(truth, 0.9), np.quantile(truth, 0.6)
    bands = np.where(truth >= hot_cut, "hot", np.where(truth >= warm_cut, "warm", "cold"))
    log = make_log(leads[["channel", "need"]], truth, bands)
    log["lead_id"] = leads["lead_id"].to_numpy()
    result = monitor(log, outcomes, metadata(leads[["channel", "need"]]), LIMITS)
    speed = result.sections["speed_to_lead"]
    hot = outcomes.set_index("lead_id").loc[leads["lead_id"][bands == "hot"]]
    fast, slow = hot[hot["first_response_hours"] < 4], hot[hot["first_response_hours"] >= 4]
    fast_rate, slow_rate = (fast["outcome"] == "won").mean(), (slow["outcome"] == "won").mean()
    assert slow_rate < fast_rate - 0.05  # the synthetic truth: slow response hurts hot leads most
    assert speed["fast_rate"] == fast_rate and speed["slow_rate"] == slow_rate
    assert speed["lost_conversions"] == len(slow) * fast_rate - (slow["outcome"] == "won").sum() > 0
    buckets = {(r["band"], r["response"]): r for r in speed["table"]}
    assert buckets[("hot", "<1h")]["conversion"] > buckets[("hot", ">72h")]["conversion"]


def test_the_managers_page_section_shows_the_latest_stored_report(tmp_path):
    from serving.monitor_page import monitor_section
    from training.monitor.report import store

    db = f"sqlite:///{tmp_path}/log.db"
    assert monitor_section(db, "m", "en") == ""  # monitoring never ran: no section
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=500)})
    result = monitor(make_log(frame, np.full(500, 0.2), np.array(["cold"] * 500)),
                     outcomes_of(rng.random(500) < 0.2), metadata(frame), LIMITS, model_name="m")
    store(db, result)
    english, chinese = monitor_section(db, "m", "en"), monitor_section(db, "m", "zh")
    assert "How the scores held up" in english and "band mix: cold is 100.0%" in english
    assert "评分的实际表现" in chinese and monitor_section(db, "other", "en") == ""
