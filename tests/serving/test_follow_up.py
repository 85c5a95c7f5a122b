"""follow_up_by: the lead's creation (or last activity) time plus its band's deadline, in its own clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from features.errors import LeadscoreError
from serving.follow_up import follow_up_by


def test_each_band_gets_its_deadline_from_the_creation_time(client, engaged_leads):
    leads = [{**lead, "created_at": "2026-03-02 10:15:00"} for lead in engaged_leads]
    results = client.post("/predict", json={"leads": leads}).json()["results"]
    hours = {"hot": 1, "warm": 24}  # the default actions: call within 1 hour, within 24 hours
    assert {r["band"] for r in results} >= {"hot", "cold"}
    for result in results:
        due = hours.get(result["band"])
        expected = None if due is None else (datetime(2026, 3, 2, 10, 15) + timedelta(hours=due)).isoformat()
        assert result["follow_up_by"] == expected, result["band"]
    zoned = client.post("/predict", json={"leads": [{**leads[0], "created_at": "2026-03-02T23:30:00+08:00"}]})
    band = zoned.json()["results"][0]["band"]
    if band in hours:
        assert zoned.json()["results"][0]["follow_up_by"] == (
            datetime.fromisoformat("2026-03-02T23:30:00+08:00") + timedelta(hours=hours[band])).isoformat()
    no_time = {k: v for k, v in leads[0].items() if k != "created_at"}
    assert client.post("/predict", json={"leads": [no_time]}).json()["results"][0]["follow_up_by"] is None


def test_a_creation_time_that_is_not_a_date_is_a_422_naming_the_field(client, sample_leads):
    answer = client.post("/predict", json={"leads": [sample_leads[0], {**sample_leads[1], "created_at": "03/02/26"}]})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["leads", 1, "created_at"]
    assert "03/02/26" not in answer.text  # values never echoed


def test_the_last_activity_counts_when_named_and_the_declared_format_is_used():
    lead = {"created": "02-03-2026 10:00", "last_touch": "05-03-2026 16:30"}
    assert follow_up_by(lead, 0, 24, "created", "%d-%m-%Y %H:%M") == "2026-03-03T10:00:00"
    assert follow_up_by(lead, 0, 1, "created", "%d-%m-%Y %H:%M", "last_touch") == "2026-03-05T17:30:00"
    assert follow_up_by({"created": "02-03-2026 10:00"}, 0, 1, "created", "%d-%m-%Y %H:%M", "last_touch") \
        == "2026-03-02T11:00:00"
    assert follow_up_by(lead, 0, None, "created", "%d-%m-%Y %H:%M") is None  # the band has no deadline
    with pytest.raises(LeadscoreError, match="'created' of lead 3: expected a date in the format"):
        follow_up_by({"created": "2026-03-02"}, 2, 1, "created", "%d-%m-%Y %H:%M")
