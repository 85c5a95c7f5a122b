"""The people section's sentences exist in both languages, Chinese with full-width punctuation."""

import re

from training.report.people import beyond_noise
from training.report.texts import PEOPLE


def test_people_sentences_in_english_and_chinese():
    assert set(PEOPLE["en"]) == set(PEOPLE["zh"])
    half_width = re.compile(r"[\u4e00-\u9fff]\s*[,:;()]|[,:;()]\s*[\u4e00-\u9fff]")
    assert not [t for t in PEOPLE["zh"].values() if half_width.search(t)]


def test_an_effect_counts_only_beyond_chance_for_its_number_of_leads():
    # At a 20% rate, two groups of 100 leads differ by chance by about 5.7 points (one standard error).
    assert not beyond_noise(10.0, 100, 0.2, 100) and beyond_noise(12.0, 100, 0.2, 100)
    assert not beyond_noise(-50.0, 29, 0.2, 1000)  # too few leads, whatever the effect
    assert beyond_noise(-5.0, 2000, 0.2, 2000)  # many leads: a small effect is beyond chance
