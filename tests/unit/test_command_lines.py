"""Each CLI command parses its options and makes one call of a stage, which hands its Lines to the
CLI's `say`. The pieces they share: the FILE-or-SQL choice and how a Line is printed."""

import io

import pytest
from rich.console import Console

from features.errors import LeadscoreError
from features.load import source_from_options
from features.messages import Line, warn_all

EITHER = "give either {} FILE or --sql-url URL with --sql-query QUERY"


def test_a_file_or_an_sql_query():
    assert source_from_options("leads.csv", None, None) == ("leads.csv", None)
    path, sql = source_from_options(None, "sqlite:///crm.db", "select * from leads")
    assert path is None and (sql.url, sql.query) == ("sqlite:///crm.db", "select * from leads")


@pytest.mark.parametrize(("path", "url", "query", "explain", "message"), [
    (None, None, None, False, EITHER.format("--input")),
    ("leads.csv", "sqlite://", "select 1", False, EITHER.format("--input")),
    (None, "sqlite://", None, False, EITHER.format("--input")),
    (None, "sqlite://", None, True, "--sql-url needs --sql-query, e.g. --sql-query 'select * from leads'"),
])
def test_neither_both_or_no_query_is_refused(path, url, query, explain, message):
    with pytest.raises(LeadscoreError) as caught:
        source_from_options(path, url, query, explain_query=explain)
    assert str(caught.value) == message


def test_the_message_names_the_commands_own_flag():
    with pytest.raises(LeadscoreError, match="^give either --from FILE"):
        source_from_options(None, None, None, flag="--from")


def test_the_cli_prints_lines_as_stages_say_them(monkeypatch):
    from serving.cli import main as cli

    out = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=out, width=200))
    cli.say(Line("[green]promoted to champion[/]: no champion yet"))
    warn_all(cli.say, ["column 'a[1]' is odd"])  # a warning's text is shown as it is, brackets included
    assert out.getvalue().splitlines() == ["promoted to champion: no champion yet", "warning: column 'a[1]' is odd"]


def test_the_command_line_module_imports_no_heavy_library():
    """`leadscore --help` imports serving.cli.main alone: each command imports its stage when it runs."""
    import subprocess
    import sys

    code = ("import sys, serving.cli.main; "
            "print(sorted(m for m in ('numpy', 'pandas', 'sklearn', 'mlflow', 'bentoml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
