"""Batch reasons (numpy over the whole contribution matrix) give exactly the per-lead reasons' texts."""

import json

import numpy as np
import pytest

from features.glossary import load_glossary
from training.explain.contributions import Explanation, explain_frame, reasons_for
from training.explain.reasons import build_reasons, frame_columns, round_points

ROOT_DISPLAY = "data/specs/display/synthetic.yaml"


def _per_row(explanation, lang, missing, glossary, top=3):
    rows = [reasons_for(explanation, i, top=top, lang=lang, missing_values=missing, glossary=glossary)
            for i in range(len(explanation.points))]
    return ([("; ".join(r["text"] for r in item["positive"])) for item in rows],
            [("; ".join(r["text"] for r in item["negative"])) for item in rows],
            [json.dumps(item, ensure_ascii=False, default=str) for item in rows])


@pytest.mark.parametrize("lang", ["en", "zh", "fr"])
def test_batch_reasons_equal_per_lead_reasons(trained, lang):
    pipeline = trained.pipeline
    encoder = pipeline.named_steps["encode"]
    sample = trained.training_set.frame[trained.training_set.features].sample(n=1500, random_state=5)
    sample.iloc[:40, 0] = None  # missing values read "not given"
    explanation = explain_frame(pipeline, sample)
    glossary = load_glossary(ROOT_DISPLAY)
    missing = list(encoder.missing_values)
    expected = _per_row(explanation, lang, missing, glossary)
    got = build_reasons(explanation.points, explanation.display_names, frame_columns(encoder, sample), lang=lang,
                        missing_values=missing, glossary=glossary, engagement=explanation.engagement)
    assert got["top_positive"].tolist() == expected[0]
    assert got["top_negative"].tolist() == expected[1]
    assert got["reasons"].tolist() == expected[2]
    assert sum(bool(t) for t in expected[0]) > 100 and sum(bool(t) for t in expected[1]) > 100
    # Engagement reasons are in plain words in both paths (the synthetic spec has activities).
    worded = {"en": ("in the last 7 days", "no activity for", "last activity "),
              "zh": ("近 7 天", "没有任何活动", "上次活动距今")}.get(lang, ("in the last 7 days",))
    joined = " ".join(expected[0] + expected[1])
    assert any(w in joined for w in worded), joined[:500]


def test_odd_values_and_exact_halves_match(trained):
    """Points on exact halves (Python rounds 0.15 down), mixed 1/1.0/True values, quotes and placeholders."""
    rng = np.random.default_rng(0)
    n, features = 600, ["a \"quoted\" field", "b", "预算", "d"]
    points = rng.choice([0.15, -0.25, 0.05, 1.35, -2.45, 0.04, 7.0, -0.1, 0.1], size=(n, len(features)))
    values = [rng.choice(np.array([1, 1.0, True, "Select", None, float("nan"), "x\"y", "高", 12345.678],
                                  dtype=object), size=n) for _ in features]
    rows = [[values[j][i] for j in range(len(features))] for i in range(n)]
    explanation = Explanation(probability=np.zeros(n), raw=np.zeros(n), contributions=points, base_value=0.0,
                              points=points, base_score=0.0, values=rows, display_names=features, matrix=points)
    for lang in ("en", "zh"):
        expected = _per_row(explanation, lang, ["Select"], load_glossary(ROOT_DISPLAY), top=2)
        got = build_reasons(points, features, values, top=2, lang=lang, missing_values=["Select"],
                            glossary=load_glossary(ROOT_DISPLAY))
        assert got["top_positive"].tolist() == expected[0]
        assert got["top_negative"].tolist() == expected[1]
        assert got["reasons"].tolist() == expected[2]
    assert round_points(np.array([0.15, 0.25, -0.35]))[0] == round(0.15, 1)
