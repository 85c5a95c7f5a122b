"""The evaluation protocol in words: snapshot rows say how they were made and split; other rows read as before."""

import pandas as pd

from features.relations_spec import PredictionTimeSpec
from training.evaluate.splits import protocol_name

FRAME = pd.DataFrame({"lead_id": ["a", "a", "b"], "created_at": pd.to_datetime(["2024-01-01"] * 3), "label": [0, 1, 0]})
SNAPSHOTS = PredictionTimeSpec(snapshot_every_days=7, horizon_days=45, max_age_days=90)


def test_snapshot_rows_name_their_rhythm_horizon_and_split_in_both_languages():
    frame = FRAME.assign(snapshot_at=pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-01"]))
    en = protocol_name(frame, 5, "en", SNAPSHOTS)
    assert "every 7 days" in en and "within 45 days" in en and "newest 20% of snapshot dates" in en
    assert "one side" in en
    zh = protocol_name(frame, 5, "zh", SNAPSHOTS)
    assert "每 7 天一行" in zh and "45 天内" in zh and "20%" in zh and "同一侧" in zh


def test_rows_at_a_fixed_age_keep_the_time_ordered_sentence():
    fixed = PredictionTimeSpec(age_days=3)
    assert protocol_name(FRAME, 5, "en", fixed) == protocol_name(FRAME, 5) == (
        "time-ordered: train on the oldest 80%, evaluate on the newest 20%")
    assert protocol_name(FRAME.drop(columns="created_at"), 4, "zh", None) == "分层 4 折交叉验证，折外预测"
