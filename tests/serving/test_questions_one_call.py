"""One lead's questions: its filled-in leads are scored in the lead's own model call, and each answer is still
what /predict answers for that filled-in lead sent alone."""

from __future__ import annotations

from training.explain.treeshap import FEW_ROWS

ASKABLE = ("need", "purchase_timeline", "budget", "decision_authority")


def test_one_leads_answers_come_from_its_own_model_call_and_equal_predict_alone(client, sample_leads, monkeypatch):
    import training.explain.questions as questions
    from training.registry.tracking import load_model

    askable = load_model("models:/leadscore-synthetic@champion").metadata.askable
    second_calls = []
    real = questions._probabilities
    monkeypatch.setattr(questions, "_probabilities", lambda *a: second_calls.append(1) or real(*a))

    def filled_in(lead: dict) -> int:
        return sum(len(e["answers"]) for e in askable.values() if lead.get(e["field"]) in (None, "unknown"))

    leads = [lead for lead in sample_leads if filled_in(lead) > 0 and 1 + filled_in(lead) <= FEW_ROWS]
    checked = 0
    for lead in leads:  # most leads have no question worth asking: as many as it takes
        if checked >= 6:
            break
        result = client.post("/predict", json={"leads": [lead], "questions": True}).json()["results"][0]
        assert result["source"] == "model"
        for question in result["questions"]:
            for answer in question["answers"]:
                alone = client.post("/predict", json={"leads": [{**lead, question["field"]: answer["value"]}]})
                direct = alone.json()["results"][0]
                assert (answer["probability"], answer["score"], answer["band"]) == (
                    direct["probability"], direct["score"], direct["band"])
                checked += 1
    assert checked >= 4
    assert not second_calls  # every filled-in lead went through its lead's own model call


def test_a_batch_too_large_for_one_call_scores_the_filled_in_leads_apart(client, sample_leads, monkeypatch):
    import training.explain.questions as questions

    second_calls = []
    real = questions._probabilities
    monkeypatch.setattr(questions, "_probabilities", lambda *a: second_calls.append(len(a[1])) or real(*a))
    results = client.post("/predict", json={"leads": sample_leads, "questions": True}).json()["results"]
    assert second_calls and second_calls[0] > FEW_ROWS
    assert any(r["questions"] for r in results)


def test_a_filled_in_lead_the_model_cannot_score_costs_its_question_not_the_leads_answer(client, sample_leads,
                                                                                          monkeypatch):
    """The finiteness checks of a model call run on the request's own leads: a filled-in lead scored in the
    same call with a probability that is no number drops its question, and the lead keeps its model answer
    from that one call."""
    import numpy as np

    import serving.scorer as scorer
    import training.explain.questions as questions

    lead = next(lead for lead in sample_leads if client.post("/predict", json={"leads": [lead], "questions": True})
                .json()["results"][0]["questions"])
    before = client.post("/predict", json={"leads": [lead], "questions": True}).json()["results"][0]
    real, second_calls = scorer.explain_matrix, []

    def variants_unscorable(pipeline, matrix, values):
        explanation = real(pipeline, matrix, values)
        explanation.probability[len(values):] = np.nan  # the rows after the leads' own: their filled-in leads
        explanation.points[len(values):] = np.nan
        return explanation

    monkeypatch.setattr(scorer, "explain_matrix", variants_unscorable)
    probabilities = questions._probabilities
    monkeypatch.setattr(questions, "_probabilities", lambda *a: second_calls.append(1) or probabilities(*a))
    answer = client.post("/predict", json={"leads": [lead], "questions": True})
    assert answer.status_code == 200
    after = answer.json()["results"][0]
    assert after["source"] == "model" and after["fallback_reason"] is None
    assert (after["probability"], after["reasons"]) == (before["probability"], before["reasons"])
    assert after["questions"] == [] and not second_calls  # no question, and no second model call for them
