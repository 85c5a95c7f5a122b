"""Engagement reasons in plain words, in English and Chinese, for every kind of engagement feature
(features/activities.py): counts per window (none, one, many, 'other'), days since the last activity and
since the last of a type (recent, long ago, under a day, never), kinds of activity, the decayed engagement
score and the touch channels. Row by row and column-wise reasons give the same sentences with the same points."""

import json

import numpy as np
import pytest

from features.activities import engagement_columns
from features.glossary import Glossary
from training.explain.contributions import Explanation, reasons_for
from training.explain.engagement import EngagementWords, plural
from training.explain.reasons import build_reasons

GLOSSARY = Glossary.model_validate({"zh": {"values": {"pricing page visit": "访问定价页", "sales call": "销售电话",
                                                      "email": "邮件"}}})
WORDS = EngagementWords(engagement_columns(["pricing page visit", "sales call"], [7, 30], grouped=True, channel=True),
                        half_life_days=7)

# (feature, value, points) -> English, Chinese
CASES = [
    ("pricing page visit in the last 7 days", 3.0, 6.0,
     "3 pricing page visits in the last 7 days raise the score by 6 points", "近 7 天访问定价页 3 次，评分提高 6 分"),
    ("pricing page visit in the last 7 days", 1.0, 2.5,
     "1 pricing page visit in the last 7 days raises the score by 2.5 points",
     "近 7 天访问定价页 1 次，评分提高 2.5 分"),
    ("pricing page visit in the last 30 days", 0.0, -1.2,
     "no pricing page visit in the last 30 days lowers the score by 1.2 points",
     "近 30 天没有访问定价页，评分降低 1.2 分"),
    ("other in the last 7 days", 4.0, 0.7,
     "4 other activities in the last 7 days raise the score by 0.7 points", "近 7 天其他活动 4 次，评分提高 0.7 分"),
    ("days since last activity", 45.6, -9.0,
     "no activity for 45 days lowers the score by 9 points", "已 45 天没有任何活动，评分降低 9 分"),
    ("days since last activity", 2.3, 4.0,
     "last activity 2 days ago raises the score by 4 points", "上次活动距今 2 天，评分提高 4 分"),
    ("days since last activity", 1.5, -0.4,
     "no activity for 1 day lowers the score by 0.4 points", "已 1 天没有任何活动，评分降低 0.4 分"),
    ("days since last activity", 0.25, 3.1,
     "last activity less than a day ago raises the score by 3.1 points", "上次活动距今不到 1 天，评分提高 3.1 分"),
    ("days since last activity", None, -5.0,
     "no activity on record lowers the score by 5 points", "没有任何活动记录，评分降低 5 分"),
    ("days since last sales call", 12.9, -2.0,
     "no sales call for 12 days lowers the score by 2 points", "已 12 天没有销售电话，评分降低 2 分"),
    ("days since last sales call", 3.0, 1.0,
     "last sales call 3 days ago raises the score by 1 points", "上次销售电话距今 3 天，评分提高 1 分"),
    ("days since last pricing page visit", float("nan"), -0.8,
     "no pricing page visit on record lowers the score by 0.8 points", "没有访问定价页的记录，评分降低 0.8 分"),
    ("activity types", 3.0, 1.5,
     "3 kinds of activity raise the score by 1.5 points", "有过 3 种活动，评分提高 1.5 分"),
    ("activity types", 1.0, 0.5, "1 kind of activity raises the score by 0.5 points", "有过 1 种活动，评分提高 0.5 分"),
    ("activity types", 0.0, -2.0, "no activity of any kind lowers the score by 2 points",
     "没有任何活动，评分降低 2 分"),
    ("engagement score", 2.345, 3.0,
     "recent engagement of 2.3 (an activity's weight halves every 7 days) raises the score by 3 points",
     "近期互动得分为 2.3（每项活动的分量每 7 天减半），评分提高 3 分"),
    ("engagement score", 0.01, -1.0,
     "recent engagement below 0.1 (an activity's weight halves every 7 days) lowers the score by 1 points",
     "近期互动得分低于 0.1（每项活动的分量每 7 天减半），评分降低 1 分"),
    ("engagement score", 0.0, -4.0, "no recent engagement lowers the score by 4 points", "近期没有互动，评分降低 4 分"),
    ("first touch channel", "email", 1.2, "first touch through email raises the score by 1.2 points",
     "首次接触渠道为“邮件”，评分提高 1.2 分"),
    ("last touch channel", None, -0.6, "no touch on record lowers the score by 0.6 points",
     "没有接触记录，评分降低 0.6 分"),
]


def _explanation(cases) -> Explanation:
    """One lead per case, whose only reason is that case's feature with its points."""
    features = list(WORDS.columns)
    points = np.zeros((len(cases), len(features)))
    values = [[None] * len(features) for _ in cases]
    for row, (feature, value, impact, *_) in enumerate(cases):
        points[row, features.index(feature)] = impact
        values[row][features.index(feature)] = value
    return Explanation(probability=np.zeros(len(cases)), raw=np.zeros(len(cases)), contributions=points,
                       base_value=0.0, points=points, base_score=0.0, values=values, display_names=features,
                       matrix=points, engagement=WORDS)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}={c[1]}" for c in CASES])
def test_each_kind_reads_in_plain_words(case):
    feature, value, impact, english, chinese = case
    explanation = _explanation([case])
    for lang, expected in (("en", english), ("zh", chinese)):
        reasons = reasons_for(explanation, 0, lang=lang, glossary=GLOSSARY)
        [reason] = reasons["positive"] + reasons["negative"]
        assert reason["text"] == expected
        assert reason["impact"] == impact and reason["feature"] == feature  # the reason's own points and field


def test_batch_reasons_say_the_same():
    explanation = _explanation(CASES)
    features = explanation.display_names
    columns = [np.array([row[j] for row in explanation.values], dtype=object) for j in range(len(features))]
    for lang, position in (("en", 3), ("zh", 4)):
        got = build_reasons(explanation.points, features, columns, lang=lang, glossary=GLOSSARY,
                            engagement=explanation.engagement)
        texts = [a or b for a, b in zip(got["top_positive"], got["top_negative"], strict=True)]
        assert texts == [case[position] for case in CASES]
        assert [json.loads(r)["positive" if c[2] > 0 else "negative"][0]["text"] for r, c in
                zip(got["reasons"], CASES, strict=True)] == [case[position] for case in CASES]


def test_a_model_without_activities_keeps_the_generic_reason():
    explanation = _explanation(CASES[:1])
    explanation.engagement = None
    assert reasons_for(explanation, 0)["positive"][0]["text"] == \
        "pricing page visit in the last 7 days = 3 raises the score by 6 points"


def test_english_plurals():
    assert [plural(w) for w in ("email open", "sales call", "unsubscribe", "reply", "inbox", "day")] == \
        ["email opens", "sales calls", "unsubscribes", "replies", "inboxes", "days"]


def test_models_without_activity_features_have_no_engagement_words():
    from types import SimpleNamespace

    from training.explain.engagement import engagement_words

    assert engagement_words(SimpleNamespace(steps=[("encode", None), ("classify", None)])) is None
    no_activities = SimpleNamespace(columns_={}, half_life_days=14.0)  # a LeadContext with lookups only
    assert engagement_words(SimpleNamespace(steps=[("context", no_activities), ("encode", None)])) is None
