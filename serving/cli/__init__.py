"""The `leadscore` command line (entry point `serving.cli:app`): `main` holds the Typer app, each other
module one group of commands. Commands parse options, call one function of a stage, and print."""

from serving.cli.main import app

__all__ = ["app"]
