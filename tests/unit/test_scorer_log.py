"""The service's prediction-log rows record what the model that scored a request saw, under its name, even
when another model (or none) is served by the time the rows are built."""

import json

from tests.unit.test_one_home import _leads, _model_with_rules, _scorer


def test_log_rows_come_from_the_model_that_scored_not_the_one_served_later(tmp_path):
    from serving.config import DEFAULT_RULES

    model = _model_with_rules(tmp_path, "models:/leadscore-x/3", None)
    scorer = _scorer(model, str(DEFAULT_RULES))
    leads = _leads()
    scored = scorer.score(leads.to_dict("records"))
    assert {r["source"] for r in scored.results} == {"model"}
    scorer.state = None  # a reload between the answer and its log rows
    rows = scorer.log_rows(scored, list(leads["lead_id"]), "api-request", "api")
    assert [r["model_name"] for r in rows] == ["leadscore-x"] * len(leads)
    features = set(model.pipeline.named_steps["encode"].column_index_)
    logged = [json.loads(r["inputs"]) for r in rows]
    assert all(set(inputs) <= features | scorer.rule_fields(None) for inputs in logged)
    assert any(set(inputs) & features - scorer.rule_fields(None) for inputs in logged)  # the model's own fields
