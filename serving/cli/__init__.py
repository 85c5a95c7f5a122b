"""The `leadscore` command line (entry point `serving.cli:app`): `main` holds the Typer app and what every
command shares, `options` the options several commands take, and each other module one group of commands
(data, model, serve, loop). Commands parse their options, call one `run_<command>` of a stage, and print
what it says."""

# Each module registers its commands on the app when imported; `--help` lists them in this order.
from serving.cli import data, model, serve  # noqa: F401, I001
from serving.cli import loop  # noqa: F401
from serving.cli.main import app

__all__ = ["app"]
