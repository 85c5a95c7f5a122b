"""How the OpenAPI document describes `questions` (training/explain/questions.py) and `follow_up_by`
(serving/follow_up.py) in /predict's answer."""

from __future__ import annotations

ANSWER = {
    "type": "object", "required": ["value", "label", "probability", "score", "band", "share"],
    "properties": {
        "value": {"description": "the answer as the CRM holds it", "anyOf": [{"type": "string"}, {"type": "number"}]},
        "label": {"type": "string", "description": "the answer's display name in the requested language"},
        "probability": {"type": "number", "description": "the served probability of the lead with this answer"},
        "score": {"type": "integer", "description": "the score (0-100) the lead gets with this answer"},
        "band": {"type": "string", "description": "the band the lead gets with this answer"},
        "share": {"type": "number", "description": "how often this answer occurs among training leads of the "
                                                   "lead's band (the weight of the expected change)"},
    },
}
QUESTION = {
    "type": "object", "description": "an unknown field worth asking about: some answer moves the lead into "
                                     "another band or moves its probability by more than question_min_change",
    "required": ["field", "label", "value", "question", "expected_change", "answers", "text", "crosses_band"],
    "properties": {
        "field": {"type": "string", "description": "the CRM field"},
        "label": {"type": "string", "description": "the field's display name in the requested language"},
        "value": {"description": "what the lead holds now: null (missing) or a declared unknown value"},
        "question": {"type": "string", "description": "how a rep asks about it (display glossary)"},
        "expected_change": {"type": "number", "description": "expected score change in points, each answer "
                                                              "weighed by its share; questions are ranked by it"},
        "crosses_band": {"type": "boolean", "description": "some answer moves the lead into another band"},
        "answers": {"type": "array", "items": ANSWER},
        "text": {"type": "string", "description": "e.g. 'Ask about budget: high → 82 hot, low → 41 warm'"},
    },
}


def describe_questions(spec: dict) -> None:
    """Add the Question schema and point /predict's results at it (the 200 answer stays open otherwise)."""
    spec.setdefault("components", {}).setdefault("schemas", {})["Question"] = QUESTION
    ok = spec.get("paths", {}).get("/predict", {}).get("post", {}).get("responses", {}).get("200")
    schema = (ok or {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    result = schema.setdefault("properties", {}).setdefault("results", {"type": "array", "items": {"type": "object"}})
    properties = result.setdefault("items", {"type": "object"}).setdefault("properties", {})
    properties["follow_up_by"] = {
        "type": "string", "nullable": True,
        "description": "follow the lead up by this time: its creation time (the model's spec, leads.created_at; or "
                       "its last activity, the service config's last_activity_field) plus its band's deadline "
                       "(action.within_hours); in the lead's own clock; null without a time or a deadline"}
    properties["questions"] = {
        "type": "array", "items": {"$ref": "#/components/schemas/Question"},
        "description": "with \"questions\": true (or the service config's default): the lead's unknown fields "
                       "worth asking about, best first; empty when the rules answered or nothing is unknown"}
