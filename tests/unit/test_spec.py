import copy
from pathlib import Path

import pytest

from features.errors import LeadscoreError
from features.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["synthetic.yaml", "x_education.yaml"])
def test_shipped_specs_are_valid(name):
    spec = load_spec(ROOT / "data" / "specs" / name)
    assert spec.evaluation.folds == 5 and spec.evaluation.seed == 0


def test_x_education_spec_excludes_every_after_contact_column():
    spec = load_spec(ROOT / "data" / "specs" / "x_education.yaml")
    after_contact = {"Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index",
                     "Asymmetrique Profile Index", "Asymmetrique Activity Score", "Asymmetrique Profile Score",
                     "Last Activity", "Last Notable Activity"}
    assert after_contact <= set(spec.features.known_after_contact)


def test_unknown_key_is_named(synthetic_spec, write_spec):
    raw = copy.deepcopy(synthetic_spec)
    raw["features"]["known_after_contakt"] = ["x"]
    with pytest.raises(LeadscoreError, match=r"unknown key 'features\.known_after_contakt'"):
        load_spec(write_spec(raw))


def test_missing_required_key_is_named(synthetic_spec, write_spec):
    raw = copy.deepcopy(synthetic_spec)
    del raw["leads"]["id"]
    with pytest.raises(LeadscoreError, match=r"missing required key 'leads\.id'"):
        load_spec(write_spec(raw))


def test_outcome_needs_column_or_table(synthetic_spec, write_spec):
    raw = copy.deepcopy(synthetic_spec)
    raw["outcome"] = {"positive": [1]}
    with pytest.raises(LeadscoreError, match="outcome needs either 'column' or a table"):
        load_spec(write_spec(raw))


def test_path_and_sql_together_is_an_error(synthetic_spec, write_spec):
    raw = copy.deepcopy(synthetic_spec)
    raw["leads"]["sql"] = {"url": "sqlite:///x.db", "query": "select 1"}
    with pytest.raises(LeadscoreError, match="either 'path' or 'sql'"):
        load_spec(write_spec(raw))


def test_missing_spec_file_names_it(tmp_path):
    with pytest.raises(LeadscoreError, match="nope.yaml: dataset spec not found"):
        load_spec(tmp_path / "nope.yaml")


def test_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(LeadscoreError, match="YAML mapping"):
        load_spec(path)


def test_people_columns_stay_features_and_are_not_pii(synthetic_spec, write_spec):
    raw = copy.deepcopy(synthetic_spec)
    raw["features"]["people"] = ["owner"]
    spec = load_spec(write_spec(raw))
    assert spec.features.people == ["owner"] and "owner" not in spec.never_features()
    raw["features"]["pii"] = [*raw["features"].get("pii", []), "owner"]
    with pytest.raises(LeadscoreError, match=r"'owner' is under both 'pii' and 'people'"):
        load_spec(write_spec(raw))
    raw = copy.deepcopy(synthetic_spec)
    raw["features"]["people"] = ["owner", "owner"]
    with pytest.raises(LeadscoreError, match=r"'owner' is listed twice under 'people'"):
        load_spec(write_spec(raw))
    raw["features"]["people"] = "owner"
    with pytest.raises(LeadscoreError, match=r"features\.people"):
        load_spec(write_spec(raw))
