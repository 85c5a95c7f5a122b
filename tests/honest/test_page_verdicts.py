"""The managers' page's verdicts follow the bootstrap intervals (issue 23, points 3 and 5): a difference
inside the interval is a tie, never advice to switch; a model with no skill is named as such; the model
card names the learner."""

from training.registry.contract import ModelMetadata
from training.report.page import render_report
from training.report.summary import summary_sentences

BANDS = {"hot": {"leads": 100, "conversion_rate": 0.585}, "warm": {"leads": 300, "conversion_rate": 0.59},
         "cold": {"leads": 600, "conversion_rate": 0.59}}
METRICS = {"leadscore": {"roc_auc": 0.501, "lift_top10": 0.99, "brier": 0.2421},
           "lightgbm": {"roc_auc": 0.503, "lift_top10": 1.0, "brier": 0.2425},
           "base_rate": {"roc_auc": 0.5, "lift_top10": 1.0, "brier": 0.2419},
           "logistic_regression": {"roc_auc": 0.499, "lift_top10": 1.0, "brier": 0.242}}


def _meta(skill):
    return ModelMetadata(dataset="crm", bands={"hot": 0.6, "warm": 0.59}, features={"a": "a"}, metrics=METRICS,
                         served="leadscore", served_kind="blend", conversion_by_band=BANDS, positive_rate=0.63,
                         skill=skill)


NO_SKILL = {"confidence": 0.95, "roc_auc": [0.47, 0.53], "no_skill": True, "no_skill_reasons": ["roc_auc"],
            "versus": {"lightgbm": {"verdict": "tie"}, "logistic_regression": {"verdict": "tie"},
                       "base_rate": {"verdict": "tie"}}}


def test_no_skill_model_is_named_plainly_and_no_switch_is_advised():
    en = " ".join(summary_sentences(_meta(NO_SKILL), "en"))
    assert en.startswith("The model does not separate buyers from the rest")
    assert "the base rate is all there is: about 63 in 100" in en
    assert "hot, 58.5" not in en.replace(" in 100", "") and "consider using it instead" not in en
    zh = "".join(summary_sentences(_meta(NO_SKILL), "zh"))
    assert "本模型无法区分" in zh and "可以考虑改用" not in zh


def test_a_difference_inside_the_interval_is_a_tie():
    skill = {**NO_SKILL, "no_skill": False, "no_skill_reasons": [], "roc_auc": [0.55, 0.6]}
    en = " ".join(summary_sentences(_meta(skill), "en"))
    assert "consider using it instead" not in en
    assert "Its LightGBM part alone ranked the leads about as well as the model" in en and "no reason to switch" in en
    skill["versus"]["lightgbm"]["verdict"] = "better"
    assert "consider using it instead" in " ".join(summary_sentences(_meta(skill), "en"))


def test_model_card_names_the_learner():
    page = {"drivers": [], "reliability": {"predicted": [0.5], "observed": [0.5], "leads": [10]}}
    meta = _meta(NO_SKILL).model_copy(update={"page": page})
    assert '<dd id="model-kind">blend of LightGBM and logistic regression</dd>' in render_report(meta, "en")
    assert "LightGBM 与逻辑回归的组合" in render_report(meta, "zh")
