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


def main() -> int:
    lead = json.loads(pd.read_csv(LEADS, nrows=1).iloc[0].to_json())
    token = os.environ.get("LEADSCORE_API_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with running_service() as base:
            answer = httpx.post(f"{base}/predict", json={"leads": [lead]}, headers=headers, timeout=30).json()
    except RuntimeError as exc:
        print(f"{exc}; run `make serve` to see the service's own messages", file=sys.stderr)
        return 1
    result = answer["results"][0]
    print(f"POST /predict for lead {result['lead_id']}: score {result['score']} ({result['band']}, "
          f"source {result['source']}, model version {result['model_version']})")
    for side in ("positive", "negative"):
        for reason in result["reasons"][side]:
            print(f"  {reason['text']}")
    print(f"  next step: {result['action']['text']}")
    print("The service works. Keep it running with `make serve`, then open http://127.0.0.1:3000/drivers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
