"""The last step of `make run`: start the real service, score one lead of the synthetic export over
HTTP, print the answer, stop the service. `make serve` keeps it running instead."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx
import pandas as pd

from serving.launch import running_service

LEADS = Path("data/generated/synthetic/leads.csv")
ACTIVITIES = Path("data/generated/synthetic/activities.csv")
PREDICTION_DAYS = 3  # the default spec's activities.prediction.age_days


def engaged_lead() -> dict:
    """The first lead that visited the pricing page before its prediction time, sent with its activities
    up to then and that time as `as_of` (as a CRM would call the service three days after creation)."""
    leads = pd.read_csv(LEADS, nrows=2000)
    lead = json.loads(leads.iloc[0].to_json())
    if not ACTIVITIES.is_file():
        return lead
    events = pd.read_csv(ACTIVITIES, parse_dates=["occurred_at"])
    as_of = pd.to_datetime(leads["created_at"]) + pd.Timedelta(days=PREDICTION_DAYS)
    events = events.merge(pd.DataFrame({"lead_id": leads["lead_id"], "as_of": as_of}), on="lead_id")
    events = events[events["occurred_at"] <= events["as_of"]]
    pricing = events[events["activity_type"] == "pricing page visit"].groupby("lead_id").size()
    if pricing.empty:
        return lead
    chosen = leads.index[leads["lead_id"] == pricing[pricing >= 2].index.min()][0]
    lead = json.loads(leads.iloc[chosen].to_json())
    mine = events[events["lead_id"] == lead["lead_id"]]
    lead["activities"] = [{"at": t.isoformat() + "Z", "type": k, "channel": c}
                          for t, k, c in zip(mine["occurred_at"], mine["activity_type"], mine["channel"], strict=True)]
    lead["as_of"] = as_of[chosen].isoformat() + "Z"
    return lead


def main() -> int:
    lead = engaged_lead()
    token = os.environ.get("LEADSCORE_API_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with running_service() as base:
            answer = httpx.post(f"{base}/predict", json={"leads": [lead]}, headers=headers, timeout=30).json()
    except RuntimeError as exc:
        print(f"{exc}; run `make serve` to see the service's own messages", file=sys.stderr)
        return 1
    result = answer["results"][0]
    sent = len(lead.get("activities", []))
    print(f"POST /predict for lead {result['lead_id']} with its {sent} activities: score {result['score']} "
          f"({result['band']}, "
          f"source {result['source']}, model version {result['model_version']})")
    for side in ("positive", "negative"):
        for reason in result["reasons"][side]:
            print(f"  {reason['text']}")
    print(f"  next step: {result['action']['text']}")
    print("The service works. Keep it running with `make serve`, then open http://127.0.0.1:3000/drivers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
