"""/predict with a lead's recent activities: the same probability as batch scoring for the same lead,
activities and time; engagement reasons in plain words (English and Chinese); scores decay."""

import pandas as pd
import pytest

from features.activities import EngagementColumn
from training.registry.tracking import load_model
from training.scoring.score import score_frame

AS_OF = pd.Timestamp("2026-03-31 12:00")


def predict(client, leads, **extra):
    return client.post("/predict", json={"leads": leads, **extra})


def engaged_lead(sample_leads):
    """A lead from the export with a recent history: pricing visits, opens and a demo request."""
    lead = dict(sample_leads[0])
    days = [0.5, 1.5, 2.0, 4.0, 6.0, 12.0]
    kinds = ["pricing page visit", "pricing page visit", "demo request", "pricing page visit", "email open",
             "email open"]
    lead["activities"] = [{"at": (AS_OF - pd.Timedelta(days=d)).isoformat() + "Z", "type": k,
                           "channel": "email" if k == "email open" else "web"}
                          for d, k in zip(days, kinds, strict=True)]
    return lead


def test_request_with_activities_equals_batch_scoring(client, registry, sample_leads, monkeypatch):
    uri, _ = registry
    lead = engaged_lead(sample_leads)
    result = predict(client, [{**lead, "as_of": AS_OF.isoformat()}]).json()["results"][0]
    assert result["source"] == "model"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    loaded = load_model("models:/leadscore-synthetic@champion")
    events = pd.DataFrame([{"lead": lead["lead_id"], "at": pd.Timestamp(a["at"]).tz_localize(None),
                            "type": a["type"], "channel": a["channel"]} for a in lead["activities"]])
    frame = pd.DataFrame([{k: v for k, v in lead.items() if k != "activities"}])
    batch = score_frame(loaded, frame, events=events, as_of=AS_OF)
    assert result["probability"] == pytest.approx(float(batch["probability"].iloc[0]), abs=1e-6)
    without = predict(client, [{**sample_leads[0], "as_of": AS_OF.isoformat()}]).json()["results"][0]
    assert without["probability"] != result["probability"]  # the activities were counted


def test_engagement_reasons_in_plain_words_en_and_zh(client, registry, sample_leads):
    _, trained = registry
    context = dict(trained.pipeline.steps)["context"]
    glossary = trained.training_set.glossary
    names = {lang: {glossary.field(n, lang) for n in context.engagement_columns_} for lang in ("en", "zh")}
    lead = {**engaged_lead(sample_leads), "as_of": AS_OF.isoformat()}
    body = predict(client, [lead], reasons=10).json()
    assert not {"activities", "as_of", "account_id"} & set(body["unknown_fields"])
    for lang, words in (("en", ("raise the score by", "raises the score by", "lower the score by",
                                "lowers the score by")), ("zh", ("评分提高", "评分降低"))):
        reasons = predict(client, [lead], lang=lang, reasons=10).json()["results"][0]["reasons"]
        engaged = [r for r in reasons["positive"] + reasons["negative"] if r["label"] in names[lang]]
        assert engaged, reasons
        assert all(any(w in r["text"] for w in words) for r in engaged)
        # Plain words, not "{generated name} = {value}": the sentence the feature's kind and value pick,
        # ending with the reason's own points.
        unit = " points" if lang == "en" else " 分"
        assert all(r["text"].endswith(f"{abs(r['impact']):g}{unit}") for r in engaged), engaged
        generic = ("=",) if lang == "en" else ("次数为", "天数为")  # the generic template's "{name} = {value}"
        assert not [r for r in engaged if any(g in r["text"] for g in generic)], engaged
    assert "pricing page visits in the last 7 days" in names["en"] and "近 7 天访问定价页次数" in names["zh"]


def test_scores_decay_without_new_activity(client, sample_leads):
    lead = engaged_lead(sample_leads)
    now = predict(client, [{**lead, "as_of": AS_OF.isoformat()}]).json()["results"][0]
    later = predict(client, [{**lead, "as_of": (AS_OF + pd.Timedelta(days=40)).isoformat()}]).json()["results"][0]
    assert later["probability"] < now["probability"]


def test_bad_activity_is_a_422_naming_the_field(client, sample_leads):
    lead = {**sample_leads[0], "activities": [{"at": "not a time", "type": "email open"}]}
    response = predict(client, [lead])
    assert response.status_code == 422 and "Traceback" not in response.text
    assert "leads.0.activities.0" in response.text
    response = predict(client, [{**sample_leads[0], "activities": [{"type": "email open"}]}])
    assert response.status_code == 422 and "'at'" in response.text


def test_engagement_names_in_the_model_glossary(registry):
    from training.report.engagement_names import engagement_name

    _, trained = registry
    glossary = trained.training_set.glossary
    column = EngagementColumn("count", "pricing page visit", 7)
    assert engagement_name(column, glossary, "en") == "pricing page visits in the last 7 days"
    assert engagement_name(column, glossary, "zh") == "近 7 天访问定价页次数"
    assert glossary.field("pricing page visit in the last 7 days", "zh") == "近 7 天访问定价页次数"


def test_prediction_log_holds_the_engagement_fields_for_monitoring(client, tmp_path, sample_leads):
    import json
    import threading

    import sqlalchemy as sa

    predict(client, [{**engaged_lead(sample_leads), "as_of": AS_OF.isoformat()}])
    engine = sa.create_engine(f"sqlite:///{tmp_path}/predictions.db")
    rows = []
    for _ in range(50):  # the writer thread batches every 0.2 s
        with engine.connect() as connection:
            rows = connection.execute(sa.text("select inputs from predictions")).mappings().all()
        if rows:
            break
        threading.Event().wait(0.1)
    logged = json.loads(rows[0]["inputs"])
    assert logged["pricing page visit in the last 7 days"] == 3 and "account tier" in logged
    assert "activities" not in logged
