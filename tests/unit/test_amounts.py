"""Amounts written for people ($1,234.50, 45%, ¥12,000) are numbers in the build, in batch scoring's reader
and its encoder path alike; a form the values do not prove stays text; the service takes numbers."""

import numpy as np
import pandas as pd
import pytest

from features.amounts import amount_series, is_amount_column
from features.build import feature_frame
from features.encoder import LeadEncoder
from features.errors import LeadscoreError
from features.messages import rows_counted_from
from features.spec import DatasetSpec
from training.scoring.batch_io import read_chunks


@pytest.mark.parametrize(("text", "number"), [
    ("$1,234.50", 1234.5), ("-$5", -5.0), ("$-5", -5.0), ("45%", 45.0), ("12.5 %", 12.5), ("¥12,000", 12000.0),
    ("EUR 900", 900.0), ("1,200,000", 1_200_000.0), ("US$ 3,000", 3000.0), ("1200元", 1200.0), (".5", 0.5),
])
def test_amounts_read_as_their_number(text, number):
    assert amount_series(pd.Series([text, None])).tolist()[0] == number


@pytest.mark.parametrize("text", ["1,23", "12,5", "1.234,56", "TBD", "1-10", "$", "1,2345", "13:45"])
def test_what_is_no_amount_is_none(text):
    assert np.isnan(amount_series(pd.Series([text])).iloc[0])
    assert not is_amount_column(pd.Series(["$1,000", "$2,000", "$3,000", "$4,000", text]))


def test_a_column_is_read_as_amounts_only_in_one_proven_form():
    written = pd.Series(["$1,234", "$56", "$7,890.10", None, "$12", "$99,999"])
    assert is_amount_column(written)
    assert not is_amount_column(pd.Series(["12", "13", "14", "15", "16"]))  # plain text numbers: nothing written
    assert not is_amount_column(pd.Series(["$10", "€10", "$20", "$30", "$40"]))  # two currencies do not add up
    assert not is_amount_column(pd.Series(["$10", "$20", "$30", "$40", "call me"]))  # not all: stays text
    assert not is_amount_column(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]))


def test_build_batch_reader_and_service_read_amounts_alike(tmp_path):
    leads = pd.DataFrame({"id": [f"L{i}" for i in range(8)],
                          "revenue": ["$1,234", "$56", "$7,890.10", None, "$12", "$99,999", "$5", "$1,000,000"],
                          "rate": ["45%", "5%", "100%", "0%", "12.5%", "7%", "8%", "9%"],
                          "won": [1, 0, 1, 0, 1, 0, 1, 0]})
    spec = DatasetSpec.model_validate({"name": "t", "leads": {"path": "x.csv", "id": "id"},
                                       "outcome": {"column": "won", "positive": [1]}})
    features, names = feature_frame(leads, spec, {"id", "won"})
    assert features["revenue"].tolist()[:3] == [1234.0, 56.0, 7890.1] and np.isnan(features["revenue"][3])
    assert features["rate"].tolist()[4] == 12.5
    encoder = LeadEncoder().fit(features)
    assert encoder.is_numeric_ == [True, True]
    from_build = encoder.transform(features)

    leads.to_csv(tmp_path / "leads.csv", index=False)  # the batch reader: numeric fields, written for people
    chunk = next(read_chunks(tmp_path / "leads.csv", {"revenue", "rate"}))
    np.testing.assert_array_equal(encoder.transform(chunk[["revenue", "rate"]]), from_build)
    # The service takes numbers (and plain decimal text), as its OpenAPI document says: an amount is a 422.
    numbers = features.astype(object).where(features.notna(), None)
    np.testing.assert_array_equal(encoder.transform_records(numbers.to_dict("records")), from_build)
    with pytest.raises(LeadscoreError, match="field 'revenue' of lead 1: expected a finite number"):
        encoder.transform_records([{"revenue": "$1,234"}])

    with pytest.raises(LeadscoreError, match="data row 2 is not a number"):
        encoder.transform(pd.DataFrame({"revenue": ["$5", "call me"], "rate": ["1%", "2%"]}))


def test_a_row_in_a_later_chunk_is_counted_in_the_whole_input():
    def fail():
        raise LeadscoreError("column 'revenue': data row 2 is not a number", loc=("leads", 1, "revenue"))

    with pytest.raises(LeadscoreError, match="data row 50002 is not") as raised:
        rows_counted_from(50_000, fail)
    assert raised.value.loc == ("leads", 1, "revenue")
