"""The last step of `make run`: start the real service, score one lead of the synthetic export over
HTTP, print the answer, stop the service. `make serve` keeps it running instead."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd

LEADS = Path("data/generated/synthetic/leads.csv")


def main() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    leadscore = str(Path(sys.executable).with_name("leadscore"))
    server = subprocess.Popen([leadscore, "serve", "--port", str(port)], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                print("the service exited; run `make serve` to see why", file=sys.stderr)
                return 1
            time.sleep(0.5)
        else:
            print("the service did not become ready in 2 minutes", file=sys.stderr)
            return 1
        lead = json.loads(pd.read_csv(LEADS, nrows=1).iloc[0].to_json())
        token = os.environ.get("LEADSCORE_API_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = httpx.post(f"{base}/predict", json={"leads": [lead]}, headers=headers, timeout=30).json()
        result = answer["results"][0]
        print(f"POST /predict for lead {result['lead_id']}: score {result['score']} ({result['band']}, "
              f"source {result['source']}, model version {result['model_version']})")
        for side in ("positive", "negative"):
            for reason in result["reasons"][side]:
                print(f"  {reason['text']}")
        print(f"  next step: {result['action']['text']}")
        print("The service works. Keep it running with `make serve`, then open http://127.0.0.1:3000/drivers")
        return 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
