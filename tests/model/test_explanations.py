"""Reasons and chart data: impacts in score points add up to the score difference, and the page's
numbers are the explanation's numbers."""

import numpy as np
import pandas as pd
import pytest

from training.explain.contributions import explain_frame, explain_records, reasons_for
from training.registry.contract import ModelMetadata
from training.report import cards
from training.report.page import render_report


@pytest.fixture(scope="module")
def explained(trained):
    sample = trained.training_set.frame[trained.training_set.features].sample(n=400, random_state=3)
    return sample, explain_frame(trained.pipeline, sample)


def test_points_add_up_to_score_minus_base(explained, trained):
    sample, explanation = explained
    np.testing.assert_allclose(explanation.points.sum(axis=1), explanation.probability * 100 - explanation.base_score,
                               atol=1e-9)
    np.testing.assert_allclose(explanation.probability, trained.pipeline.predict_proba(sample)[:, 1], atol=1e-12)
    # the base score is the score of a lead whose contributions are all zero
    classifier = trained.pipeline.named_steps["classify"]
    assert explanation.base_score == pytest.approx(classifier.calibrate(np.array([explanation.base_value]))[0] * 100)


def test_records_and_frame_paths_explain_alike(explained, trained):
    sample, explanation = explained
    records = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in sample.head(50).to_dict("records")]
    other = explain_records(trained.pipeline, records)
    np.testing.assert_allclose(other.points, explanation.points[:50], atol=1e-12)


def test_reasons_are_the_largest_impacts_with_sign(explained):
    _, explanation = explained
    reasons = reasons_for(explanation, 0, top=3)
    points = explanation.points[0]
    largest_up = sorted(points[points > 0.05], reverse=True)[:3]
    assert [r["impact"] for r in reasons["positive"]] == [round(float(p), 1) for p in largest_up]
    assert all(r["impact"] < 0 and "lowers the score" in r["text"] for r in reasons["negative"])


def test_driver_and_dependence_data(explained, trained):
    sample, explanation = explained
    encoder = trained.pipeline.named_steps["encode"]
    top = cards.drivers(explanation, encoder.is_numeric_, sample)
    means = dict(zip(explanation.display_names, np.abs(explanation.points).mean(axis=0), strict=True))
    assert [d["mean_abs_points"] for d in top] == sorted((d["mean_abs_points"] for d in top), reverse=True)
    for d in top:
        assert d["mean_abs_points"] == pytest.approx(means[d["feature"]], abs=1e-3)
        if not encoder.is_numeric_[explanation.display_names.index(d["feature"])]:
            assert d["direction"] == 0  # categories have no order
    assert next(d for d in top if d["feature"] == "time_on_site_sec")["direction"] == 1  # planted: more time, more
    for d in top:  # the diverging bar: average raise and lowering add up to the mean |impact|
        assert d["raise_points"] >= 0 >= d["lower_points"]
        assert d["raise_points"] - d["lower_points"] == pytest.approx(d["mean_abs_points"], abs=2e-3)
    budget = next(d for d in top if d["feature"] == "budget")  # planted: a high budget raises, a low one lowers
    assert budget["raises"][0] == "high" and "low" in budget["lowers"] and "high" not in budget["lowers"]

    views = cards.dependence(explanation, sample, encoder, ["budget"])
    i = explanation.display_names.index("budget")
    expected = pd.Series(explanation.points[:, i]).groupby(sample["budget"].fillna("(not given)").to_numpy()).mean()
    for value, mean in zip(views["budget"]["x"], views["budget"]["points"], strict=True):
        assert mean == pytest.approx(expected[value], abs=1e-3)
    assert views["budget"]["points"][-1] > views["budget"]["points"][0]  # sorted low to high impact


def test_report_is_self_contained_in_both_languages(trained, explained):
    sample, explanation = explained
    encoder = trained.pipeline.named_steps["encode"]
    y = trained.training_set.frame["label"].to_numpy()[trained.rows]
    lightgbm = trained.metrics["models"]["lightgbm"]
    meta = ModelMetadata(
        dataset="test", bands=trained.metrics["bands"], features=trained.training_set.feature_names,
        metrics={"lightgbm": {k: v for k, v in lightgbm.items() if isinstance(v, float)}},
        conversion_by_band=lightgbm["bands"], conversion_by_source=lightgbm["by_source"], source_column="channel",
        page={"drivers": cards.drivers(explanation, encoder.is_numeric_),
              "dependence": cards.dependence(explanation, sample, encoder, ["budget", "time_on_site_sec"]),
              "reliability": cards.reliability(y, trained.predictions["lightgbm"][trained.rows]),
              "form": cards.form_fields(encoder, sample), "examples": [], "known_limits": cards.KNOWN_LIMITS})
    for lang, heading in (("en", "What drives scores"), ("zh", "影响评分的主要因素")):
        page = render_report(meta, lang, interactive=True, version="7")
        assert heading in page and page.count("<svg") == 6  # drivers, 2 dependence, bands, sources, reliability
        assert 'src="http' not in page and 'href="http' not in page  # no CDN: works offline
    assert 'id="lead-form"' not in render_report(meta, "en")  # the MLflow report has no explainer


def test_plots_leave_pyplot_and_the_backend_alone(trained, explained, tmp_path):
    """training/report/plots.py used pyplot's global figures and switched the backend at import (issue 11)."""
    import matplotlib
    import matplotlib.pyplot as plt

    from training.report.plots import plot_evaluation, plot_shap_summary

    plt.close("all")
    backend = matplotlib.get_backend()
    y = trained.training_set.frame["label"].to_numpy()[trained.rows]
    paths = plot_evaluation(y, {n: p[trained.rows] for n, p in trained.predictions.items()}, tmp_path)
    paths.append(plot_shap_summary(explained[1], tmp_path))
    assert [p.name for p in paths] == ["roc.png", "precision_recall.png", "reliability.png", "cumulative_gain.png",
                                       "shap_summary.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 5000 for p in paths)
    assert plt.get_fignums() == [] and matplotlib.get_backend() == backend
