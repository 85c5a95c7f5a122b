"""The managers' page shows a people column's effect only beyond noise, beside the sentence that it
describes the data, not the person; an owner with no effect is not named."""

import html
import re

import numpy as np
import pandas as pd
import pytest

from features.build import build_training_set
from features.spec import DatasetSpec
from training.explain.contributions import explain_frame
from training.fit.metadata import model_metadata
from training.fit.options import TrainOptions
from training.fit.train import evaluate_all
from training.registry.contract import ModelMetadata, json_safe
from training.registry.publish import page_data
from training.report.page import render_report
from training.report.texts import PEOPLE

STRONG, NONE = "Alice Chen", "Bob Stone"
OTHERS = [NONE, "Cara Diaz", "Dan Eze", "Eva Ford", "Finn Gray"]


@pytest.fixture(scope="module")
def metadata(tmp_path_factory) -> ModelMetadata:
    """Leads whose conversion follows visits and source; Alice Chen's leads convert far more, whoever else
    holds a lead makes no difference."""
    rng = np.random.default_rng(3)
    n = 3000
    owners = rng.choice([STRONG, *OTHERS], n)
    visits = rng.poisson(4, n)
    source = rng.choice(["web", "referral", "event"], n)
    logit = -1.6 + 0.25 * (visits - 4) + np.where(source == "referral", 0.8, 0.0) + np.where(owners == STRONG, 2.0, 0.0)
    converted = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    folder = tmp_path_factory.mktemp("people")
    pd.DataFrame({"lead_id": range(n), "owner": owners, "visits": visits, "source": source,
                  "converted": converted}).to_csv(folder / "leads.csv", index=False)
    spec = DatasetSpec.model_validate({
        "name": "people", "leads": {"path": str(folder / "leads.csv"), "id": "lead_id"},
        "outcome": {"column": "converted", "positive": [1], "negative": [0]},
        "features": {"people": ["owner"]}, "evaluation": {"folds": 3}})
    result = evaluate_all(build_training_set(spec), TrainOptions(tune_trials=0))
    ts = result.training_set
    sample = ts.frame[ts.features].sample(n=1000, random_state=0)
    page = page_data(result, sample, explain_frame(result.pipeline, sample), result.pipeline.named_steps["encode"])
    return json_safe(model_metadata(result, page))


def _section(page: str, element: str, id_: str) -> str:
    found = re.search(rf'<{element}[^>]*id="{id_}".*?</{element}>', page, re.S)
    assert found, id_
    return found.group(0)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_strong_owner_shown_with_the_sentence_and_no_effect_owner_hidden(metadata, lang):
    assert metadata.people == ["owner"]
    page = render_report(metadata, lang)
    people = _section(page, "section", "people")
    assert html.escape(PEOPLE[lang]["data_not_person"]) in people
    assert f'data-value="{STRONG}"' in people and STRONG in people
    shown = {v["value"]: v for v in metadata.page["people"]["owner"]["shown"]}
    assert shown[STRONG]["points"] > 5 and NONE not in shown
    hidden = metadata.page["people"]["owner"]["within_noise"]
    assert hidden == len(OTHERS) - len(set(OTHERS) & set(shown))
    assert html.escape(PEOPLE[lang]["others"].format(n=hidden)) in people
    # No owner within noise is named, in this section or beside the drivers' bars.
    drivers = _section(page, "section", "drivers")
    assert not [o for o in OTHERS if o not in shown and (o in people or o in drivers)]
    assert NONE not in people
    assert "<figcaption>owner</figcaption>" not in page  # a people column has no dependence view


def test_older_models_without_people_load_and_render_without_the_section(metadata):
    raw = metadata.model_dump()
    raw.pop("people")
    raw["page"] = {k: v for k, v in raw["page"].items() if k != "people"}
    older = ModelMetadata.model_validate(raw)
    assert older.people == []
    assert 'id="people"' not in render_report(older, "en")
