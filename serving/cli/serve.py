"""`leadscore serve`: the prediction service over HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from serving.cli.main import app, say


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", help="HTTP port.")] = 3000,
    host: Annotated[str, typer.Option("--host", help="Address to bind (0.0.0.0: other machines).")] = "127.0.0.1",
    model: Annotated[str | None, typer.Option(
        "--model", help="Model URI (default LEADSCORE_MODEL_URI or models:/leadscore-synthetic@champion).")] = None,
) -> None:
    """Start the prediction service (BentoML) over HTTP."""
    from serving.launch import run_serve

    run_serve(port, host, model, say)
