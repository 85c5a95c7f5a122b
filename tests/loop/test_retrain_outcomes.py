"""retrain adds the imported wins to the spec's own won deals, whose win dates it reads as the build does."""

import pandas as pd

from features.spec import DatasetSpec
from training.loop.retrain import with_imported_outcomes


def test_own_win_dates_are_read_with_the_specs_date_format(tmp_path):
    won_at = pd.Series(pd.to_datetime(["2024-05-31 16:08:37", "2024-06-02 09:00:00"]))
    pd.DataFrame({"lead": [101, None, 102], "won": [won_at[0].value // 10**6, 1717171717000,
                                                        won_at[1].value // 10**6]}).to_csv(tmp_path / "won.csv",
                                                                                           index=False)
    spec = DatasetSpec.model_validate({
        "name": "x", "leads": {"path": "leads.csv", "id": "id", "created_at": "created"},
        "outcome": {"path": str(tmp_path / "won.csv"), "id": "lead", "won_at": "won", "date_format": "epoch_ms",
                    "horizon_days": 30}})
    wins = pd.DataFrame({"lead_id": ["103"], "outcome_at": [pd.Timestamp("2024-06-05 10:00:00")]})
    copied = with_imported_outcomes(spec, wins, tmp_path)
    combined = pd.read_parquet(copied.outcome.path)
    assert copied.outcome.date_format is None  # the copy holds datetimes: nothing left to parse
    assert combined["lead"].tolist() == ["101", pd.NA, "102", "103"]  # 101.0 beside a blank is the lead '101'
    assert combined["won"].tolist() == [won_at[0], pd.Timestamp("2024-05-31 16:08:37"), won_at[1],
                                        pd.Timestamp("2024-06-05 10:00:00")]
