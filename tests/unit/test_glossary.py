"""Display names: fields and values as managers read them, per language, from the spec's glossary."""

from pathlib import Path

import pytest

from features.errors import LeadscoreError
from features.glossary import load_glossary
from training.rules.table import load_rules

ROOT = Path(__file__).resolve().parents[2]
SYNTHETIC = ROOT / "data" / "specs" / "display" / "synthetic.yaml"


def test_fields_match_by_original_or_safe_name_and_values_ignore_case(tmp_path):
    path = tmp_path / "names.yaml"
    path.write_text('zh:\n  fields: {"Lead Origin": 线索来源方式}\n  values: {"Yes": 是, high: 高}\n', encoding="utf-8")
    glossary = load_glossary(path)
    assert glossary.field("Lead Origin", "zh") == glossary.field("lead_origin", "zh") == "线索来源方式"
    assert glossary.value("yes", "zh") == glossary.value("YES", "zh") == "是"
    assert glossary.value("High", "zh") == "高"
    # Not listed, or another language: the CRM's own text.
    assert glossary.field("Lead Origin", "en") == "Lead Origin"
    assert glossary.value("medium", "zh") == "medium"
    assert glossary.value(3.5, "zh") == "3.5"


@pytest.mark.parametrize(("text", "needle"), [
    ("zh: {fields: [budget]}", "'zh.fields'"),
    ("fr: {fields: {budget: budget}}", "'fr'"),
    ("zh: {fields: {budget: 预算}", "not valid YAML"),
])
def test_bad_glossary_names_the_file_and_key(tmp_path, text, needle):
    path = tmp_path / "names.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LeadscoreError) as error:
        load_glossary(path)
    assert str(path) in str(error.value) and needle in str(error.value)


def test_unquoted_yes_and_no_stay_text(tmp_path):
    path = tmp_path / "names.yaml"
    path.write_text("zh:\n  values: {yes: 是, no: 否}\n", encoding="utf-8")
    glossary = load_glossary(path)
    assert glossary.value("yes", "zh") == "是" and glossary.value("no", "zh") == "否"


def test_missing_glossary_says_where_it_is_configured(tmp_path):
    with pytest.raises(LeadscoreError, match="display glossary not found; check 'display' in the spec"):
        load_glossary(tmp_path / "nowhere.yaml")


def test_rule_reasons_read_in_chinese_with_the_glossary():
    table = load_rules(ROOT / "data" / "specs" / "rules" / "default.yaml")
    glossary = load_glossary(SYNTHETIC)
    _, reasons = table.score_record({"need": "high", "decision_authority": "yes"}, lang="zh", glossary=glossary)
    assert [r["text"] for r in reasons] == ["需求程度：高", "决策权：是"]
    assert [r["label"] for r in reasons] == ["需求程度", "决策权"]
    _, english = table.score_record({"need": "high"}, lang="en", glossary=glossary)
    assert english[0]["text"] == "Need is high"  # English values are the CRM's own


def test_synthetic_glossary_names_every_generated_value_in_chinese():
    """Every category the synthetic generator writes has a Chinese name (so reasons are fully Chinese)."""
    from features.synth import engagement
    from features.synth import export as synth

    glossary = load_glossary(SYNTHETIC)
    values = (set(synth.CHANNELS) | set(synth.INDUSTRIES) | set(synth.SENIORITY) | set(synth.PLACES)
              | {title for *_, titles in synth.SENIORITY.values() for title in titles}
              | {city for *_, cities in synth.PLACES.values() for city in cities}
              | set(synth.NEED) | set(synth.TIMELINE) | set(synth.BUDGET) | set(synth.AUTHORITY)
              | {"inbound", "outbound"} | set(engagement.TIERS) | set(engagement.TYPES) | {engagement.CONTRACT}
              | {channel for _, _, channel, _ in engagement.TYPES.values()})
    untranslated = sorted(v for v in values if glossary.value(v, "zh") == v)
    assert not untranslated
