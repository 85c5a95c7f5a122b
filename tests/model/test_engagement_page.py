"""The managers' page's section on activities, from a model trained on the synthetic export (whose
activities carry planted effects): each activity type's effect on the score by when the lead last did it
is the explanation's own points, the conversion by days since the last activity is the training data's,
the half-life is the spec's, and the section reads in English and Chinese."""

import re

import numpy as np
import pandas as pd
import pytest

from training.explain.contributions import explain_frame
from training.registry.contract import ModelMetadata
from training.report.engagement_page import engagement_view
from training.report.page import render_report

CJK = "\u3400-\u9fff\uff00-\uffef\u3000-\u303f"
HALF_WIDTH_IN_CHINESE = re.compile(rf"[{CJK}]\s*[,:;()!?]|[,:;()!?]\s*[{CJK}]")


@pytest.fixture(scope="module")
def view(trained):
    ts = trained.training_set
    sample = ts.frame[ts.features].sample(n=1500, random_state=4)
    explanation = explain_frame(trained.pipeline, sample)
    return sample, explanation, engagement_view(trained.pipeline, explanation, ts.frame, ts.frame["label"].to_numpy())


def _groups(days: pd.Series) -> pd.Series:
    """The spec's windows (7 and 30 days) as groups: 0 within 7 days, 1 within 30, 2 older, 3 never."""
    return pd.cut(days, [0, 7, 30, np.inf], right=False, labels=False).fillna(3).astype(int)


def test_effects_are_the_models_points_by_when_the_lead_last_did_it(view, trained):
    sample, explanation, data = view
    context = dict(trained.pipeline.steps)["context"]
    assert data["windows"] == [7, 30] and data["half_life_days"] == 7.0  # data/specs/synthetic.yaml
    assert {e["type"] for e in data["effects"]} == set(context.types_)
    points = pd.DataFrame(explanation.points, columns=explanation.display_names, index=sample.index)
    for effect in data["effects"]:
        kind = effect["type"]
        own = [n for n, c in context.engagement_columns_.items() if c.type == kind]  # counts per window, days since
        total = points[own].sum(axis=1)
        groups = _groups(sample[f"days_since_last_{kind.replace(' ', '_')}"])
        expected = total.groupby(groups).mean()
        assert effect["leads"] == [int((groups == g).sum()) for g in range(4)]
        for g in range(4):
            if effect["leads"][g] >= 5:
                assert effect["points"][g] == pytest.approx(expected[g], abs=0.006)
            else:
                assert effect["points"][g] is None
    by_type = {e["type"]: e["points"] for e in data["effects"]}
    # Planted in features/synth/engagement.py: pricing page visits count within 7 days only (the effect
    # fades), a demo request counts whenever it happened, an unsubscribe lowers the odds.
    assert by_type["pricing page visit"][0] > by_type["pricing page visit"][1] + 1
    assert min(by_type["demo request"][:2]) > by_type["demo request"][3] + 3
    assert by_type["unsubscribe"][0] < by_type["unsubscribe"][3]


def test_conversion_by_days_since_the_last_activity_is_the_training_datas(view, trained):
    _, _, data = view
    frame = trained.training_set.frame
    groups = _groups(frame["days_since_last_activity"])
    rates = frame["label"].groupby(groups).mean()
    assert data["conversion"]["leads"] == [int((groups == g).sum()) for g in range(4)]
    for g in range(4):
        if data["conversion"]["leads"][g]:
            assert data["conversion"]["rate"][g] == pytest.approx(rates[g], abs=1e-4)
    assert data["conversion"]["rate"][0] > data["conversion"]["rate"][3]  # planted: silence hurts


def _section(page: str) -> str:
    return re.search(r'<section id="engagement">.*?</section>', page, re.S).group(0)


def test_the_section_in_both_languages(view, trained):
    _, _, data = view
    ts = trained.training_set
    meta = ModelMetadata(dataset="test", bands=trained.metrics["bands"], features=ts.feature_names,
                         display=ts.glossary.model_dump(),
                         page={"drivers": [], "reliability": {"predicted": [0.1], "observed": [0.1], "leads": [1]},
                               "engagement": data})
    top = data["effects"][0]
    for lang, title, name, half_life in (
            ("en", "Activities: what drives conversion, and how fast it fades", top["type"],
             "half as much every 7 days"),
            ("zh", "客户活动：哪些活动推动转化，效果消退得多快", ts.glossary.value(top["type"], "zh"),
             "每项活动的分量每 7 天减半")):
        section = _section(render_report(meta, lang))
        assert title in section and half_life in section
        rows = re.findall(r'<tr data-type="([^"]+)"><td>([^<]+)</td>', section)
        assert [r[0] for r in rows] == [e["type"] for e in data["effects"]]
        assert rows[0][1] == name and section.count("<svg") == 1  # the conversion chart
        recent = f"{top['points'][0]:+.1f}"
        cell = f"{recent} ({top['leads'][0]:,})" if lang == "en" else f"{recent}（{top['leads'][0]:,}）"
        assert f'<td data-points="{top["points"][0]}">{cell}</td>' in section
        # Empty groups (nobody's last activity is 30 days old in this export) get no column.
        assert ("30 days ago or more" in section) == any(e["leads"][2] for e in data["effects"])
        if lang == "zh":
            text = re.sub(r"<[^>]+>", "\n", section)
            assert not [t for t in text.split("\n") if HALF_WIDTH_IN_CHINESE.search(t)]
            assert "访问定价页" in section and "pricing page visit<" not in section
    fade = re.search(r'<ul id="engagement-fade"><li>([^<]+)</li>', _section(render_report(meta, "en"))).group(1)
    assert fade.startswith(top["type"][:1].upper() + top["type"][1:] + ": ")


def test_a_model_without_activities_has_no_section(trained):
    ts = trained.training_set
    meta = ModelMetadata(dataset="test", bands=trained.metrics["bands"], features=ts.feature_names,
                         page={"drivers": [], "reliability": {"predicted": [0.1], "observed": [0.1], "leads": [1]}})
    assert 'id="engagement"' not in render_report(meta, "en")
