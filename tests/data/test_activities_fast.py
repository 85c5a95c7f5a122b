"""The batch path of activity features at scale (issue 24 §6) gives what a plain per-lead reference gives:
events matched to rows through Arrow, duplicates found from hashed keys, the features of random leads,
snapshots included, and the activity table's checks counted as one-by-one pandas filters count them."""

import numpy as np
import pandas as pd
import pytest

from features.activities import engagement_columns, event_rows, features_for_table
from features.activity_load import normalise_events
from features.keys import duplicated_rows
from features.relations_spec import ActivitiesSpec

AS_OF = pd.Timestamp("2026-03-31 12:00")
TYPES = ["pricing page", "email open", "webinar"]


def random_events(rng, n_events: int, n_leads: int) -> pd.DataFrame:
    """Whole hours, so that equal times (ties) and repeated events occur."""
    return pd.DataFrame({
        "lead": [f"L{i}" for i in rng.integers(0, n_leads + 3, n_events)],  # a few leads have no row
        "at": AS_OF - pd.to_timedelta(rng.integers(-200, 2500, n_events), unit="h"),
        "type": rng.choice(TYPES + ["rare thing", "other thing"], n_events),
        "channel": pd.Series(rng.choice(["web", "email", None], n_events), dtype="string")})


def reference_row(events: pd.DataFrame, as_of: pd.Timestamp, columns, half_life: float) -> dict:
    """One row's features the slow, obvious way: its lead's events known at `as_of`, one by one."""
    age = (as_of - events["at"]) / pd.Timedelta(days=1)
    known = events[age >= 0].assign(age=age[age >= 0])
    kind = known["type"].where(known["type"].isin(TYPES), "other")
    out = {}
    for name, col in columns.items():
        if col.kind == "count":
            out[name] = float(((kind == col.type) & (known["age"] < col.window)).sum())
        elif col.kind == "since":
            ages = known.loc[kind == col.type, "age"]
            out[name] = round(ages.min(), 3) if len(ages) else np.nan
    out["days since last activity"] = round(known["age"].min(), 3) if len(known) else np.nan
    out["activity types"] = float(kind.nunique())
    out["engagement score"] = round(float(np.sum(0.5 ** (known["age"] / half_life))), 4)
    # Ties in time: the last touch is the first such event in the table, the first touch the last one.
    out["last touch channel"] = known["channel"].iloc[int(np.argmin(known["age"].to_numpy()))] if len(known) else None
    out["first touch channel"] = known["channel"].iloc[len(known) - 1 - int(np.argmax(known["age"].to_numpy()[::-1]))] \
        if len(known) else None
    return out


@pytest.mark.parametrize("snapshots", [False, True])
def test_features_for_table_equal_a_per_lead_reference(snapshots):
    rng = np.random.default_rng(7 if snapshots else 3)
    events = random_events(rng, 3000, 60)
    if snapshots:  # a row per lead every 10 days: the same lead on several rows, each with its own time
        ids = pd.Series([f"L{i}" for i in range(60) for _ in range(3)], dtype="string").sample(frac=1, random_state=1)
        as_of = AS_OF - pd.to_timedelta(rng.integers(0, 3, len(ids)) * 240, unit="h")
    else:
        ids = pd.Series([f"L{i}" for i in range(60)], dtype="string")
        as_of = pd.DatetimeIndex([AS_OF] * len(ids))
    ids = ids.reset_index(drop=True)
    columns = engagement_columns(TYPES, [7, 30, 90], grouped=True, channel=True)
    fast = features_for_table(ids, as_of.to_numpy(dtype="datetime64[ns]"), events, columns, TYPES, 10.0)
    assert len(fast) == len(ids)
    for i, (lead, at) in enumerate(zip(ids, as_of, strict=True)):
        expected = reference_row(events[events["lead"] == lead], at, columns, 10.0)
        for name, value in expected.items():
            got = fast.iloc[i][name]
            assert (pd.isna(value) and pd.isna(got)) or got == pytest.approx(value, abs=1e-9) if \
                isinstance(value, float) else (pd.isna(value) and pd.isna(got)) or got == value, (i, name, got, value)


@pytest.mark.parametrize("unique", [True, False])
def test_event_rows_match_a_merge(unique):
    rng = np.random.default_rng(11)
    ids = pd.Series([f"L{i}" for i in (range(500) if unique else rng.integers(0, 300, 700))], dtype="string")
    leads = pd.Series([f"L{i}" for i in rng.integers(0, 520, 4000)], dtype="string")
    event, row = event_rows(ids, leads)
    merged = pd.DataFrame({"lead": leads, "event": np.arange(len(leads))}).merge(
        pd.DataFrame({"lead": ids, "row": np.arange(len(ids))}), on="lead")
    assert sorted(zip(event.tolist(), row.tolist(), strict=True)) == \
        sorted(zip(merged["event"], merged["row"], strict=True))
    assert np.all(np.diff(event) >= 0)  # in the table's order: ties in time keep it


def test_duplicated_rows_equal_pandas():
    rng = np.random.default_rng(2)
    frame = random_events(rng, 20_000, 40)
    frame["at"] = AS_OF - pd.to_timedelta(rng.integers(0, 30, len(frame)), unit="h")  # many repeats
    lead_code = pd.factorize(frame["lead"])[0]
    at_ns = frame["at"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    expected = frame.duplicated(keep="first").to_numpy()
    assert expected.sum() > 1000 and (~expected).sum() > 1000
    assert np.array_equal(duplicated_rows(frame, [lead_code, at_ns]), expected)
    among = rng.random(len(frame)) < 0.5
    part = np.zeros(len(frame), dtype=bool)
    part[among] = frame[among].duplicated(keep="first").to_numpy()
    assert np.array_equal(duplicated_rows(frame, [lead_code, at_ns], among), part)


def test_normalise_counts_as_filters_one_by_one():
    rng = np.random.default_rng(5)
    n = 5000
    table = pd.DataFrame({
        "who": rng.choice([f"L{i}" for i in range(50)] + ["nobody", " L3 ", None], n),
        "when": (AS_OF - pd.to_timedelta(rng.integers(-48, 100, n), unit="D")).astype(str),
        "what": rng.choice(["pricing page", "email open", "", None], n),
        "how": rng.choice(["web", "email", None], n)})
    table = pd.concat([table, table.sample(400, random_state=0)], ignore_index=True)
    spec = ActivitiesSpec(path="x.csv", lead_id="who", at="when", type="what", channel="how")
    lead_ids = pd.Series([f"L{i}" for i in range(45)])
    events, report = normalise_events(table, spec, "x.csv", lead_ids, now=AS_OF)

    ref = pd.DataFrame({"lead": table["who"].astype("string").str.strip(),
                        "at": pd.to_datetime(table["when"]).astype("datetime64[ns]"),
                        "type": table["what"].astype("string").str.strip(),
                        "channel": table["how"].astype("string").str.strip()})
    empty = ref["lead"].isna() | ref["at"].isna() | ref["type"].isna() | (ref["type"] == "")
    ref = ref[~empty]
    future = ref["at"] > AS_OF + pd.Timedelta(days=1)
    ref = ref[~future]
    unknown = ~ref["lead"].isin(set(lead_ids))
    ref = ref[~unknown]
    duplicated = ref.duplicated(keep="first")
    ref = ref[~duplicated].reset_index(drop=True)
    assert (report.empty, report.future, report.unknown_leads, report.duplicates) == \
        (int(empty.sum()), int(future.sum()), int(unknown.sum()), int(duplicated.sum()))
    assert min(report.empty, report.future, report.unknown_leads, report.duplicates) > 0
    pd.testing.assert_frame_equal(events, ref)


def test_request_path_small_and_array_give_the_same_bits(monkeypatch):
    """A request of a few leads takes the plain-Python path; forced through the arrays, every value is equal,
    floats to the bit (weights, sums and rounding as numpy does them), ties in time included (10-hour steps)."""
    import features.activities as activities

    rng = np.random.default_rng(13)
    columns = engagement_columns(TYPES, [7, 30, 90], grouped=True, channel=True)
    sent = [[{"at": (AS_OF - pd.Timedelta(minutes=float(m))).isoformat() + "Z", "type": str(rng.choice(TYPES + ["x"])),
              "channel": rng.choice(["web", "email", None])} for m in rng.integers(-5, 300, rng.integers(0, 60)) * 600]
            for _ in range(12)] + [None, []]
    as_of = [AS_OF.value - int(rng.integers(0, 5)) * 86_400 * 10**9 for _ in sent]
    small = activities.features_for_records(sent, as_of, columns, TYPES, 7.0)
    monkeypatch.setattr(activities, "SMALL_LEADS", 0)
    arrays = activities.features_for_records(sent, as_of, columns, TYPES, 7.0)
    assert sum(len(s or ()) for s in sent) > 200
    for one, other in zip(small, arrays, strict=True):
        assert list(one) == list(other)
        for name in one:
            assert one[name] == other[name] and type(one[name]) is type(other[name]), (name, one[name], other[name])


def test_is_in_equals_pandas_isin_of_a_set():
    from features.keys import is_in

    rng = np.random.default_rng(4)
    values = pd.Series(rng.choice(["a", "b", " a", "c", None], 500), dtype="string")
    for keys in (pd.Series(["a", "c"], dtype="string"), pd.Series(["a", None], dtype="string")):
        assert np.array_equal(is_in(values, keys), values.isin(set(keys)).to_numpy())
