"""The managers' page's words: the summary from held-out numbers, translated names, dates, natural
order of values, the one missing-value word, and hash-like ids."""

import pytest

from features.glossary import Glossary
from training.registry.contract import ModelMetadata
from training.report.display import Names, looks_like_ids
from training.report.summary import summary_sentences
from training.report.texts import PAGE, SUMMARY, format_date, model_name

META = ModelMetadata(dataset="test", bands={"hot": 0.5, "warm": 0.2}, features={"a": "a"},
                     metrics={"lightgbm": {"roc_auc": 0.80, "lift_top10": 3.04},
                              "logistic_regression": {"roc_auc": 0.78, "lift_top10": 2.9},
                              "rules": {"roc_auc": 0.70, "lift_top10": 2.36}},
                     conversion_by_band={"hot": {"leads": 100, "conversion_rate": 0.642},
                                         "warm": {"leads": 300, "conversion_rate": 0.2},
                                         "cold": {"leads": 600, "conversion_rate": 0.084}})


def test_summary_reads_the_held_out_numbers():
    en = " ".join(summary_sentences(META, "en"))
    assert en == ("Of the leads the model calls hot, 64 in 100 bought; of the cold ones, 8.4 in 100. "
                  "Following the model's top 10% finds 3 times as many buyers as calling at random; "
                  "the points table finds 2.4 times. Measured on 1,000 leads the model never saw while it was trained.")
    zh = "".join(summary_sentences(META, "zh"))
    assert "每 100 个有 64 个成交" in zh and "积分表是 2.4 倍" in zh


def test_summary_says_plainly_when_a_baseline_beat_the_model():
    meta = META.model_copy(update={"metrics": {**META.metrics,
                                               "logistic_regression": {"roc_auc": 0.83, "lift_top10": 3.2}}})
    text = " ".join(summary_sentences(meta, "en"))
    assert "On this data logistic regression ranked the leads better than the model did (ranking quality 0.830 " \
           "against 0.800)" in text
    assert "逻辑回归对线索的排序比本模型更好" in "".join(summary_sentences(meta, "zh"))
    # Without a points table the best baseline by top-10% lift is the comparison.
    no_rules = META.model_copy(update={"metrics": {k: v for k, v in META.metrics.items() if k != "rules"}})
    assert "logistic regression finds 2.9 times" in " ".join(summary_sentences(no_rules, "en"))


def test_served_model_is_named_for_people():
    assert model_name("naive_bayes_odoo", "zh") == "朴素贝叶斯（Odoo 的做法）"
    assert model_name("some_new_learner", "en") == "some new learner"


@pytest.mark.parametrize(("text", "en", "zh"), [("2026-11-24T16:00:00+00:00", "24 November 2026", "2026年11月24日"),
                                                ("2025-01-05 10:00:00", "5 January 2025", "2025年1月5日"),
                                                ("not a date", "not a date", "not a date")])
def test_dates_in_the_readers_language(text, en, zh):
    assert (format_date(text, "en"), format_date(text, "zh")) == (en, zh)


def test_natural_order_of_values():
    glossary = Glossary.model_validate({"order": {"Purchase Timeline": ["now", "this quarter", "later"]}})
    assert glossary.ordered("purchase_timeline", ["later", "Now", "this quarter", "never"]) == [
        "Now", "this quarter", "later", "never"]  # declared (any case, by safe name); unlisted last
    assert glossary.ordered("m", ["Mar", "january", "Feb"]) == ["january", "Feb", "Mar"]
    assert glossary.ordered("d", ["周三", "周一"]) == ["周一", "周三"]
    assert glossary.ordered("size", ["201-1000", "1000+", "<10", "11-50", "10-20"]) == [
        "<10", "10-20", "11-50", "201-1000", "1000+"]
    assert glossary.ordered("channel", ["web", "referral"]) is None
    assert "Purchase Timeline" in glossary.field_names()  # an order naming no column stops the build (a typo)


def test_one_missing_word_and_ids_shortened():
    glossary = Glossary.model_validate({"zh": {"missing": "空"}})
    ids = ["7927b2df8bba4d29", "2a2724365132f413", "a9f3c0e1b2d4c5e6"]
    names = Names(glossary, "zh", {"landing": ids, "channel": ["web", "referral", "partner"]})
    assert names.value(None) == names.value("(not given)") == names.value("(missing)") == "空"
    assert Names(Glossary(), "en").missing == "not given"
    assert names.field("landing") == "landing（编号）" and names.value(ids[0], "landing") == "7927b2…"
    assert names.field("channel") == "channel" and names.value("web", "channel") == "web"
    assert not looks_like_ids(["web form", "referral", "partner"]) and looks_like_ids(ids)


def test_chinese_sentences_use_full_width_punctuation():
    import re

    pattern = re.compile(r"[\u4e00-\u9fff]\s*[,:;()]|[,:;()]\s*[\u4e00-\u9fff]")
    texts = [v for v in PAGE["zh"].values()] + list(SUMMARY["zh"].values())
    assert not [t for t in texts if pattern.search(t)]
