"""The model's metadata contract (training/registry/contract.py): old models without a version still load
through the migration rule, and a broken one is refused with a message naming the field."""

import pytest

from features.errors import LeadscoreError
from training.registry.contract import METADATA_VERSION, ModelMetadata, read_metadata

REQUIRED = {"dataset": "crm", "bands": {"hot": 0.6, "warm": 0.3}, "features": {"visits": "Visits"}}
METRICS = {"lightgbm": {"roc_auc": 0.8}, "leadscore": {"roc_auc": 0.82}}


def test_current_metadata_reads_back_as_attributes():
    meta = read_metadata({**REQUIRED, "version": METADATA_VERSION, "served": "leadscore", "metrics": METRICS},
                         "model x")
    assert isinstance(meta, ModelMetadata)
    assert meta.bands.thresholds() == {"hot": 0.6, "warm": 0.3} and meta.features == {"visits": "Visits"}
    assert meta.served_metrics() == {"roc_auc": 0.82}
    assert meta.missing_values == [] and meta.fitted_rules is None  # not recorded: the defaults
    assert meta.askable == {}  # models before questions worth asking: none offered


@pytest.mark.parametrize(("old", "served"), [
    ({"served_model": "leadscore"}, "leadscore"),  # issue 12 to 15: the page's key named it
    ({"model_kind": "leadscore"}, "leadscore"),
    ({"final_model": {"kind": "leadscore"}}, "leadscore"),
    ({"served_model": "not-in-metrics"}, "lightgbm"),  # a name with no metrics is not trusted
    ({}, "lightgbm"),  # before issue 12 LightGBM was served
])
def test_metadata_without_a_version_is_migrated(old, served):
    meta = read_metadata({**REQUIRED, "metrics": METRICS, **old}, "model x")
    assert meta.version == METADATA_VERSION and meta.served == served
    assert "served_model" not in meta.model_dump()


def test_an_old_model_without_lightgbm_serves_its_only_entry():
    assert read_metadata({**REQUIRED, "metrics": {"blend": {}}}, "model x").served == "blend"


@pytest.mark.parametrize(("raw", "words"), [
    ({**REQUIRED, "bands": {"hot": 0.6}}, "bands.warm"),
    ({**REQUIRED, "bands": {"hot": 0.2, "warm": 0.3}}, "warm threshold is above the hot one"),
    ({**REQUIRED, "features": {}}, "features"),
    ({"bands": REQUIRED["bands"], "features": REQUIRED["features"]}, "dataset"),
    ({**REQUIRED, "version": METADATA_VERSION + 1}, "upgrade leadscore"),
    ({}, "no leadscore metadata"),
])
def test_broken_metadata_is_refused_with_the_field_named(raw, words):
    with pytest.raises(LeadscoreError) as error:
        read_metadata(raw, "model models:/crm/3")
    assert "model models:/crm/3" in str(error.value) and words in str(error.value)

