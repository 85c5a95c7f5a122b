"""Questions worth asking (training/explain/questions.py): each answer scored by the model itself, asked
only when an answer moves the band or the probability, never about personal data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from features.errors import LeadscoreError
from features.spec import DatasetSpec
from training.evaluate.metrics import assign_bands
from training.explain.askable import resolve_askable
from training.explain.contributions import explain_records
from training.explain.questions import MIN_CHANGE, questions_for_frame, questions_for_records
from training.fit.metadata import model_metadata
from training.registry.contract import json_safe
from training.registry.tracking import LoadedModel
from training.rules.table import RuleTable


@pytest.fixture(scope="module")
def model(trained) -> LoadedModel:
    return LoadedModel(pipeline=trained.pipeline, metadata=json_safe(model_metadata(trained)), uri="test")


@pytest.fixture(scope="module")
def leads(synthetic_dir) -> list[dict]:
    frame = pd.read_csv(synthetic_dir / "leads.csv", nrows=600)
    return [json.loads(row.to_json()) for _, row in frame.iterrows()]


def served(model, lead: dict) -> tuple[float, int, str]:
    """What the service answers for one lead: probability (as sent), score, band."""
    explanation = explain_records(model.pipeline, [lead])
    p = float(explanation.probability[0])
    return p, int(explanation.score[0]), str(assign_bands(np.array([p]), model.metadata.bands.thresholds())[0])


def asked(model, leads: list[dict], lang: str = "en", min_change: float = MIN_CHANGE) -> dict[int, list[dict]]:
    current = {i: served(model, lead)[::2] for i, lead in enumerate(leads)}
    return questions_for_records(model, leads, current, model.metadata.bands.thresholds(), lang, min_change)


def test_the_rule_tables_factors_are_askable_with_answer_shares_from_training(model):
    askable = model.metadata.askable
    assert set(askable) == {"need", "purchase_timeline", "budget", "decision_authority"}
    assert askable["budget"]["answers"] == ["high", "medium", "low"] and askable["budget"]["unknown"] == ["unknown"]
    for entry in askable.values():
        for band, shares in entry["shares"].items():
            assert sum(shares.values()) == pytest.approx(1.0), band
    # the planted budget effect: hot leads (before their budget is known) have a high budget more often
    assert askable["budget"]["shares"]["hot"]["high"] > askable["budget"]["shares"]["cold"]["high"]


def test_an_unknown_budget_that_crosses_a_band_is_asked_with_the_models_own_scores(model, leads):
    unknown = [lead for lead in leads if lead["budget"] == "unknown"]
    found = asked(model, unknown)
    crossing = [(i, q) for i, qs in found.items() for q in qs if q["field"] == "budget" and q["crosses_band"]]
    assert crossing, "no lead with an unknown budget whose answer crosses a band"
    for i, question in crossing[:10]:
        p0, _, band0 = served(model, unknown[i])
        bands = {a["band"] for a in question["answers"]}
        assert bands - {band0}, question
        for answer in question["answers"]:  # exactly the served answer for the filled-in lead
            p, score, band = served(model, {**unknown[i], "budget": answer["value"]})
            assert (answer["probability"], answer["score"], answer["band"]) == (round(p, 6), score, band)
        scores = {a["value"]: a["score"] for a in question["answers"]}
        assert scores["high"] > scores["low"]  # the planted effect's direction
        assert question["text"].startswith("Ask about budget: high → ")
        assert question["question"] == "What budget have they set aside?"


def test_a_field_is_asked_exactly_when_an_answer_moves_the_band_or_the_probability(model, leads):
    sample = [lead for lead in leads if lead["budget"] == "unknown" or lead["need"] is None][:40]
    found = asked(model, sample)
    checked = 0
    for i, lead in enumerate(sample):
        p0, _, band0 = served(model, lead)
        for feature, entry in model.metadata.askable.items():
            value = lead.get(feature)
            if value is not None and value not in entry["unknown"]:
                assert feature not in {q["field"] for q in found[i]}  # known: never asked
                continue
            answers = [served(model, {**lead, feature: a}) for a in entry["answers"]]
            moves = any(b != band0 for _, _, b in answers) or max(abs(p - p0) for p, _, _ in answers) > MIN_CHANGE
            assert (feature in {q["field"] for q in found[i]}) == moves, (i, feature)
            checked += not moves
    assert checked, "every unknown field moved its lead: the test proved nothing about fields not asked"
    for questions in found.values():  # ranked by expected change
        changes = [q["expected_change"] for q in questions]
        assert changes == sorted(changes, reverse=True)


def test_a_lead_with_nothing_unknown_gets_no_questions(model, leads):
    known = [lead for lead in leads if all(lead.get(f) not in (None, "unknown") for f in model.metadata.askable)]
    assert known
    found = asked(model, known[:20], min_change=1e-9)
    assert all(questions == [] for questions in found.values())


def test_the_batch_path_gives_the_same_questions_in_chinese(model, leads):
    frame = pd.DataFrame(leads[:200])
    current = asked(model, leads[:200], lang="zh")
    probability = np.array([served(model, lead)[0] for lead in leads[:200]])
    bands = assign_bands(probability, model.metadata.bands.thresholds())
    batch = questions_for_frame(model, frame, probability, bands, model.metadata.bands.thresholds(), "zh")
    assert [current[i] for i in range(200)] == batch
    texts = [q["text"] for qs in batch for q in qs]
    assert texts and all(t.startswith("询问") for t in texts)


def test_models_without_askable_fields_offer_no_questions(model, leads):
    old = LoadedModel(pipeline=model.pipeline, metadata=model.metadata.model_copy(update={"askable": {}}), uri="old")
    assert all(q == [] for q in asked(old, leads[:30], min_change=1e-9).values())


def _spec(raw: dict, **changes) -> DatasetSpec:
    return DatasetSpec.model_validate({**raw, **changes})


def test_personal_data_is_never_askable(synthetic_spec):
    frame = pd.DataFrame({"budget": ["high", "low"] * 20, "email": ["a@example.com", "b@example.com"] * 20})
    names = {"budget": "budget", "email": "email"}
    declared = _spec(synthetic_spec, askable={"email": {"answers": ["a@example.com", "b@example.com"]}})
    with pytest.raises(LeadscoreError, match="askable.email.*personal data"):
        resolve_askable(declared, None, frame, names)
    rules = RuleTable.model_validate({"rules": [{"field": "email", "points": {"a@example.com": 10, "x": 1}},
                                                {"field": "budget", "points": {"high": 20, "low": 10}}]})
    assert list(resolve_askable(_spec(synthetic_spec), rules, frame, names)) == ["budget"]


def test_declared_answers_are_matched_to_the_exports_spelling_or_refused(synthetic_spec):
    frame = pd.DataFrame({"budget_range": ["High", "Low", None] * 20})  # a training frame: safe names
    names = {"budget_range": "Budget Range"}
    spec = _spec(synthetic_spec, askable={"Budget Range": {"answers": ["high", "low"], "unknown": ["TBD"]}})
    assert resolve_askable(spec, None, frame, names) == {
        "budget_range": {"field": "Budget Range", "answers": ["High", "Low"], "unknown": ["TBD"]}}
    typo = _spec(synthetic_spec, askable={"Budget Range": {"answers": ["high", "lo"]}})
    with pytest.raises(LeadscoreError, match="askable.Budget Range.*'lo' never occurs"):
        resolve_askable(typo, None, frame, names)
    missing = _spec(synthetic_spec, askable={"region": {"answers": ["north", "south"]}})
    with pytest.raises(LeadscoreError, match="askable.region.*not a model feature"):
        resolve_askable(missing, None, frame, names)


def test_leadscore_score_questions_adds_the_top_questions(registry, synthetic_dir, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from features.context import enrich_records
    from serving.cli.main import app
    from training.registry.tracking import load_model

    uri, _ = registry
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    leads = pd.read_csv(synthetic_dir / "leads.csv", nrows=300)
    leads.to_csv(tmp_path / "leads.csv", index=False)
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(app, ["score", "--model", "models:/leadscore-synthetic@champion", "--questions",
                                      "--input", str(tmp_path / "leads.csv"), "--output", str(out), "--no-log"])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out, keep_default_na=False)
    model = load_model("models:/leadscore-synthetic@champion")
    for i, questions in enumerate(scored["questions_json"].map(json.loads)):
        # As batch scoring sees the lead: its account joined, its engagement (no activities given) as of now.
        lead = enrich_records(model.pipeline, [json.loads(leads.iloc[i].to_json())])[0]
        assert len(questions) <= 3 and scored["questions"][i] == "\n".join(q["text"] for q in questions)
        for question in questions:
            for answer in question["answers"]:
                p, score, band = served(model, {**lead, question["field"]: answer["value"]})
                assert (answer["probability"], answer["score"], answer["band"]) == (round(p, 6), score, band)
    assert (scored["questions"] != "").sum() > 10


def test_train_refuses_personal_data_as_askable_before_fitting(synthetic_spec, write_spec, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from serving.cli.main import app

    monkeypatch.chdir(tmp_path)
    spec = write_spec({**synthetic_spec, "askable": {"phone": {"answers": ["1", "2"]}}})
    result = CliRunner().invoke(app, ["train", "--spec", str(spec)])
    assert result.exit_code == 2 and "askable.phone" in result.output and "personal data" in result.output
    assert not (tmp_path / "mlruns").exists()
