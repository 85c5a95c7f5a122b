"""A model saved before the code moved into stage folders still loads and scores the same.

The fixture was trained at commit 962b705 (600 synthetic leads), when the classes lived in flat modules
(`training.model.classifier.LeadClassifier`, `training.model.linear.LinearMember`): the trusted type list keeps those
paths, and loading maps them to where the classes live now.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

FIXTURE = Path(__file__).parents[1] / "fixtures" / "model_962b705"


def test_a_model_saved_before_the_move_loads_and_scores_as_it_did():
    from training.registry.tracking import load_folder

    model = load_folder(FIXTURE, "fixture")
    example = json.loads((FIXTURE / "input_example.json").read_text(encoding="utf-8"))
    leads = pd.DataFrame(example["data"], columns=example["columns"])
    expected = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))["probabilities"]
    np.testing.assert_allclose(model.pipeline.predict_proba(leads)[:, 1], expected, rtol=0, atol=1e-12)
    assert model.metadata.features  # the metadata read with the current ModelMetadata
