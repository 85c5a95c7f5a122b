"""The filled-in leads of the questions are the leads' own encoded rows with one column set to the encoded
answer (training/explain/questions.py `record_variants`): the same rows the encoder gives the filled-in
lead dicts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from training.explain.questions import record_variants
from training.fit.metadata import model_metadata
from training.registry.contract import json_safe
from training.registry.tracking import LoadedModel


@pytest.fixture(scope="module")
def model(trained) -> LoadedModel:
    return LoadedModel(pipeline=trained.pipeline, metadata=json_safe(model_metadata(trained)), uri="test")


def test_filled_in_rows_are_what_the_encoder_gives_the_filled_in_leads(model, synthetic_dir):
    frame = pd.read_csv(synthetic_dir / "leads.csv", nrows=300)
    leads = [json.loads(row.to_json()) for _, row in frame.iterrows()]
    encoder = model.pipeline.named_steps["encode"]
    rows = list(range(0, 300, 2))  # only these leads are asked about
    variants = record_variants(model, leads, encoder.transform_records(leads), rows)
    assert len(variants) > 100 and {key[0] for key in variants.keys} <= set(rows)
    filled = []
    for row, feature, answer, _ in variants.keys:
        entry = model.metadata.askable[feature]
        column = encoder.column_index_[feature]
        lead = {k: v for k, v in leads[row].items() if encoder.column_index_.get(k) != column}
        filled.append({**lead, entry["field"]: answer})
    np.testing.assert_array_equal(variants.matrix, encoder.transform_records(filled))
    asked = {(row, feature) for row, feature, _, _ in variants.keys}
    for row in rows:  # every unknown askable field of every asked lead, and only those
        for feature, entry in model.metadata.askable.items():
            unknown = leads[row].get(entry["field"]) in (None, "unknown", "")
            assert ((row, feature) in asked) == unknown, (row, feature)
