"""Turn an init draft (features/init/draft.py) into a commented spec and a display-glossary stub, and write them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from features.atomic import write_texts
from features.config_file import read_yaml
from features.errors import LeadscoreError
from features.excel import is_workbook
from features.init.draft import Draft, draft_spec, quoted, quoted_list
from features.init.epoch import epoch_question
from features.init.tables import Tables, propose_tables
from features.load import load_table, source_from_options
from features.messages import Line, Say, say_nothing, warn_all
from features.names import safe_name
from features.source_spec import SqlSource
from features.spec import DatasetSpec, FeaturesSpec


def _listing(key: str, columns: list[str]) -> str:
    return f"  {key}: {quoted_list(columns)}"


PEOPLE_KEY = ("columns naming people (owners, sales reps): they stay features, and the page shows a person's "
              "effect only where it is beyond noise, as a description of the leads they were given, not of "
              "their skill")


def _people_lines(people: list[tuple[str, str]]) -> list[str]:
    """The `people` key: each proposed column on its own line with a CHECK saying why, so none is a silent choice."""
    if not people:
        return [f"  people: []  # {PEOPLE_KEY}"]
    return [f"  people:  # {PEOPLE_KEY}",
            *[f"    - {quoted(column)}  # CHECK: {why}; does it name a person (owner, rep)? If not, delete this "
              "line; to keep it out of the model, move it to exclude" for column, why in people]]


def render_spec(draft: Draft, display: str, related: list[str] = ()) -> str:
    """The spec's text; `related` are the lines of the proposed lookups and activities (features/init/tables.py)."""
    defaults = FeaturesSpec()
    lines = ["# Written by `leadscore init`: check every line marked CHECK or FILL IN, then run",
             "#   leadscore build --spec THIS_FILE   and   leadscore train --spec THIS_FILE",
             f"name: {draft.name}", "leads:"]
    lines += [f"  {k}: {quoted(v)}" for k, v in draft.source.items()]
    epoch_checks = dict(draft.epoch_checks)
    if draft.id in epoch_checks:
        lines.append(f"  id: {quoted(draft.id)}  # CHECK: {epoch_question(draft.id, epoch_checks.pop(draft.id), True)}")
    else:
        lines.append(f"  id: {quoted(draft.id)}" if draft.id else "  id: null  # FILL IN: no column is unique per row")
    if draft.created_at:
        lines.append(f"  created_at: {quoted(draft.created_at)}  # date columns found: "
                     + ", ".join(repr(c) for c in draft.dates))
    else:
        lines.append("  created_at: null  # no date column found; with one, labels can be point-in-time")
    if draft.date_format:
        lines.append(f"  date_format: {quoted(draft.date_format)}  # "
                     f"{draft.date_note or 'proven by the values (some day above 12)'}")
    elif draft.date_note:
        lines.append(f"  date_format: null  # CHECK: {draft.date_note}")
    lines.append(f"  missing_values: {quoted_list(draft.missing_values)}  # placeholders meaning 'not given'")
    lines += ["outcome:", *draft.outcome, *draft.outcome_others, *related, "features:",
              _listing("exclude", draft.exclude) + "  # identifiers besides the id: never features",
              *[f"  # - {quoted(column)}  # CHECK: {epoch_question(column, reading, False)}"
                for column, reading in epoch_checks.items() if column not in draft.exclude],
              "  known_after_contact:  # filled in by sales after contact: never features"]
    for column, share in draft.later_dates:
        lines.append(f"    - {quoted(column)}  # CHECK: a date filled after {draft.created_at!r} on {share:.0%} of "
                     "the rows where both are filled (a close, won or last-activity date): known only after contact")
    for later, earlier, auc in draft.derived:
        lines.append(f"    # - {quoted(later)}  # CHECK: {later} − {earlier}: {auc:.2f} ROC-AUC alone (a derived leak: "
                     "their difference separates the outcome); filled in during or after contact? then list it here")
    for column, auc in draft.after_contact:
        lines.append(f"    - {quoted(column)}  # CHECK: alone separates the outcome at ROC-AUC {auc:.3f}; if known "
                     "before contact, move it to allow_strong")
    if not draft.after_contact and not draft.later_dates:
        at = lines.index("  known_after_contact:  # filled in by sales after contact: never features")
        lines[at] = "  known_after_contact: []  # filled in by sales after contact: never features"
    for column, auc in draft.strong:
        lines.append(f"    # - {quoted(column)}  # CHECK: ROC-AUC {auc:.3f} alone: filled in after contact? then "
                     "list it here")
    lines += [_listing("pii", draft.pii) + "  # personal data: never features, never logged",
              *_people_lines(draft.people),
              "  allow_strong: []  # strong columns the team declares honest (known before contact)",
              f"  leak_warn: {defaults.leak_warn}  # single-column ROC-AUC that prints a warning",
              f"  leak_threshold: {defaults.leak_threshold}  # single-column ROC-AUC that stops the build",
              "rules: null  # a points table (see data/specs/rules/default.yaml); none: rule_score is null",
              f"display: {quoted(display)}  # English and Chinese names for people",
              "evaluation: {folds: 5, seed: 0}",
              f"record: {draft.record}  # what one row is: lead (call, nurture) or opportunity (next steps of a deal)",
              ""]
    return "\n".join(lines)


def _english(column: str) -> str:
    words = safe_name(column).replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else column


def render_glossary(columns: list[str]) -> str:
    lines = ["# Display names for people (written by `leadscore init`). English names come from the column",
             "# names; fill in the Chinese names and uncomment them. Anything not listed shows as the CRM has it.",
             "en:", "  fields:"]
    lines += [f"    {quoted(c)}: {quoted(_english(c))}" for c in columns]
    lines += ["zh:", "  fields: {}", *[f"    # {quoted(c)}: \"\"  # FILL IN" for c in columns], ""]
    return "\n".join(lines)


def init_spec(out: Path, path: str | None = None, sql: SqlSource | None = None, outcomes: str | None = None,
              encoding: str | None = None, force: bool = False, tables: list[str] = (),
              sheet: str | None = None) -> tuple[Draft, Tables]:
    """Draft and write SPEC and its glossary stub; never overwrites without `force`. `tables`: the export's
    other tables (accounts, products, activities), proposed as lookups or the activity table. `sheet`: the
    sheet of the leads workbook (--sheet), written as 'leads.sheet'."""
    display = out.with_name(out.stem + ".display.yaml")
    for target in (out, display):
        if target.exists() and not force:
            raise LeadscoreError(f"{target}: already exists; pass --force to overwrite it, or choose --out")
        if target.is_dir():
            raise LeadscoreError(f"{target}: a folder, not a file; choose another --out")
    if sheet is not None and not (path and is_workbook(path)):
        raise LeadscoreError("--sheet names a sheet of an Excel workbook: give --from FILE.xlsx, or leave --sheet out")
    leads = load_table(path, sql, "leads", encoding, sheet, "--sheet")
    source: dict = {"path": path} if path else {}
    if encoding:
        source["encoding"] = encoding
    if sheet is not None:
        source["sheet"] = sheet
    outcome_table, outcome_source = None, None
    if outcomes:
        outcome_table, outcome_source = load_table(outcomes, None, "outcomes", encoding), {"path": outcomes}
    name = safe_name(Path(path).stem if path else "crm_leads")
    draft = draft_spec(leads, name, source, outcome_table, outcome_source)
    if sql is not None:
        draft.source = {}
    related = propose_tables(leads, draft.id, list(tables), encoding, {draft.id, *draft.pii, *draft.exclude})
    draft.people += related.people  # a rep's manager joined from a teams table names people too
    text = render_spec(draft, str(display), related.lines())
    if sql is not None:  # the SQL source as a flow mapping under leads
        text = text.replace("leads:\n", f"leads:\n  sql: {{url: {quoted(sql.url)}, query: {quoted(sql.query)}}}\n", 1)
    columns = [c for c in leads.columns if c not in {draft.id, *draft.pii, *draft.exclude}
               and not pd.isna(c) and leads[c].notna().any()]  # empty columns are dropped by the build
    columns += related.display
    try:  # what init writes must read back as a valid spec
        DatasetSpec.model_validate(read_yaml(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise LeadscoreError(f"{path or 'the SQL source'}: init could not draft a valid spec "
                             f"({'.'.join(map(str, first['loc']))}: {first['msg']}); check that the file has a "
                             "header row and one row per lead") from None
    write_texts({out: text, display: render_glossary(columns)})
    return draft, related


def run_init(out: Path, source: Path | None = None, sql_url: str | None = None,
                      sql_query: str | None = None, outcomes: Path | None = None, encoding: str | None = None,
                      force: bool = False, say: Say = say_nothing, tables: list[Path] = (),
                      sheet: str | None = None) -> Draft:
    """`leadscore init`: the spec and glossary stub for a file or an SQL query, then what to check in them."""
    path, sql = source_from_options(source, sql_url, sql_query, flag="--from")
    draft, related = init_spec(out, path=path, sql=sql, outcomes=str(outcomes) if outcomes else None,
                               encoding=encoding, force=force, tables=[str(t) for t in tables], sheet=sheet)
    say(Line(f"wrote {out} and {out.with_name(out.stem + '.display.yaml')}: check the lines marked CHECK or "
             f"FILL IN, then `leadscore build --spec {out}`", highlight=False))
    for note in related.notes:
        say(Line(note, highlight=False))
    warn_all(say, [f"column {c!r} alone separates the outcome at ROC-AUC {auc:.3f}: listed under known_after_contact"
                   for c, auc in draft.after_contact])
    warn_all(say, [f"derived leak: {later} − {earlier}: {auc:.2f} ROC-AUC alone; if either is filled in during or "
                   "after contact, list it under known_after_contact" for later, earlier, auc in draft.derived])
    return draft
