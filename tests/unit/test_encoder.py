import numpy as np
import pandas as pd
import pytest

from features.encoder import LeadEncoder
from features.errors import LeadscoreError

TRAIN = pd.DataFrame({
    "lead_source": pd.array(["Google"] * 30 + ["Olark Chat"] * 20 + ["Rare"] * 2 + [None] * 5, dtype="string"),
    "total_visits": [1.0, 2.0, np.nan] * 19,
})
NAMES = {"lead_source": "Lead Source", "total_visits": "TotalVisits"}


def fitted():
    return LeadEncoder(original_names=NAMES, missing_values=["Select"], min_category_count=10).fit(TRAIN)


def test_codes_rare_unseen_and_missing():
    enc = fitted()
    frame = pd.DataFrame({"Lead Source": ["Google", "Olark Chat", "Rare", "Never seen", "Select", None],
                          "TotalVisits": [3, None, 1, 2, 0, 5]})
    out = enc.transform(frame)
    assert out[:, 0].tolist()[:4] == [0.0, 1.0, 2.0, 2.0]  # rare and unseen share the 'other' code
    assert np.isnan(out[4, 0]) and np.isnan(out[5, 0])      # placeholder and None are missing
    assert np.isnan(out[1, 1]) and out[0, 1] == 3.0
    assert enc.categorical_indices_ == [0]


def test_records_path_equals_frame_path():
    enc = fitted()
    records = [
        {"Lead Source": "Google", "TotalVisits": 3},
        {"lead_source": "Olark Chat", "total_visits": "2.5"},
        {"lead_source": "Select", "unknown_field": 1},
        {"TotalVisits": None},
        {"Lead Source": "Brand new", "TotalVisits": ""},
    ]
    frame = pd.DataFrame([{NAMES.get(k, k): v for k, v in r.items()} for r in records])
    np.testing.assert_array_equal(enc.transform_records(records), enc.transform(frame))
    assert enc.unknown_fields(["Lead Source", "lead_source", "unknown_field"]) == ["unknown_field"]


def test_not_a_number_names_the_field_and_never_the_value():
    for sent in ("many", "Infinity", "inf", "-1e400", "nan", "1_000", " 1e5 0", "٣", "2e15", "9" * 16, float("inf"),
                 10**400, 1.7976931348623157e308, -1e16):
        with pytest.raises(LeadscoreError, match=r"field 'TotalVisits' of lead 2: expected a finite number") as error:
            fitted().transform_records([{}, {"TotalVisits": sent}])
        assert error.value.loc == ("leads", 1, "TotalVisits")
        assert str(sent) not in str(error.value), sent
    matrix = fitted().transform_records([{"TotalVisits": " 12 "}, {"TotalVisits": "3.5e2"}, {"TotalVisits": "-.5"},
                                         {"TotalVisits": " "}, {"TotalVisits": float("nan")}, {"TotalVisits": True},
                                         {"TotalVisits": 1e15}, {"TotalVisits": "-999999999999999.5"}])
    np.testing.assert_array_equal(matrix[:, 1], [12.0, 350.0, -0.5, np.nan, np.nan, 1.0, 1e15, -999999999999999.5])
    with pytest.raises(LeadscoreError, match=r"column 'TotalVisits': 'many' at data row 1"):
        fitted().transform(pd.DataFrame({"TotalVisits": ["many"]}))


def test_transform_checks_it_is_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LeadEncoder().transform(TRAIN)
