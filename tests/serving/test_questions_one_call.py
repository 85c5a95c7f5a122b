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
