"""`leadscore init`: a commented dataset spec to start from, written from what an export's values show.

It proposes, never decides silently: the id column, the outcome and its values (quoted, so yes/no stay
text), date columns with their format (an order the values cannot prove is left as a question), personal
data under `pii`, and columns strong enough alone to be filled in after contact, each with its figure.
Columns that alone reach the stop threshold go under `known_after_contact` so the first build runs;
the comment says to move them to `allow_strong` if they are known before contact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.build import EMAIL, PHONE
from features.clock import is_clock_column
from features.dates import EPOCH_UNITS, ISO, DateReading, date_values, detect_format, looks_like_dates
from features.derived import derived_leaks
from features.errors import LeadscoreError
from features.init.epoch import epoch_comment, epoch_date, values_only
from features.init.outcome import outcome_candidates
from features.leakage import column_strengths
from features.names import safe_name
from features.spec import FeaturesSpec

# Column names and values to recognise in any CRM export, English or Chinese: data for the guesses, not
# sentences to show (those live in training/report/texts.py).
_ID = re.compile(r"(^|[\W_])(id|key|uuid|guid)$|^id[\W_]|编号|号码$", re.IGNORECASE)
_WON_DATE = re.compile(r"won|win|customer|convert|closed|signed|purchase|成交|签约|转化|赢单|购买", re.IGNORECASE)
_CREATED = re.compile(r"creat|open|added|start|submitted|创建|日期", re.IGNORECASE)
_PII_NAME = re.compile(r"(^|_)(e_?mail|email_address|phone|phone_number|mobile|telephone|tel|surname|first_name|"
                       r"last_name|full_name|contact_name|name|address|street)$|姓名|电话|手机|邮箱|地址")
# Columns naming the person a lead belongs to (owner, sales rep, agent), by their name in the export.
_PEOPLE_NAME = re.compile(r"(^|_)(lead_|account_|deal_|record_)?(owner|owners|owned_by)(_|$)|(^|_)(sales_?)?reps?(_|$)|"
                          r"sales_?person|sales_?(man|woman)|(?<!user_)agent(_|$)|(account|sales|relationship)_manager|"
                          r"assigned(_to)?(_|$)|assignee|handled_by|(^|_)(consultant|advisor|adviser)(_|$)",
                          re.IGNORECASE)
_PEOPLE_NAME_ZH = re.compile(r"负责人|销售(员|代表|人员)?$|跟进人|业务员|客户经理|顾问|归属人|分配给|经办人|所有者")
# Values that read as people's names: "Ana Silva" (two capitalised words), or a Chinese name of two to four
# characters starting with a common surname.
_PERSON_EN = re.compile(r"[A-Z][a-z'’]+ [A-Z][a-z'’-]+")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢" \
            "姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤"
_PERSON_ZH = re.compile(f"[{_SURNAMES}][\u4e00-\u9fff]{{1,3}}")
PLACEHOLDERS = ("Select", "N/A", "n/a", "NA", "-", "--", "?", "(blank)", "null", "NULL", "None", "none")
SAMPLE_ROWS = 100_000  # column strengths and patterns are read from a sample: init must stay fast on big exports


@dataclass
class Draft:
    """What init found, before it is written as YAML text."""

    name: str
    source: dict
    id: str | None
    created_at: str | None = None
    date_note: str | None = None
    date_format: str | None = None
    outcome: list[str] = field(default_factory=list)  # YAML lines of the outcome block
    missing_values: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    pii: list[str] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)  # (column, why it reads as naming people)
    after_contact: list[tuple[str, float]] = field(default_factory=list)
    strong: list[tuple[str, float]] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    later_dates: list[tuple[str, float]] = field(default_factory=list)  # (column, share of rows after created_at)
    outcome_others: list[str] = field(default_factory=list)  # YAML comment lines: the other candidates
    record: str = "lead"  # "opportunity" when the outcome is a stage column with open values
    derived: list[tuple[str, str, float]] = field(default_factory=list)  # (later, earlier, ROC-AUC)
    epoch_checks: list[tuple[str, DateReading]] = field(default_factory=list)  # values alone read as epoch times


def _text(values: pd.Series) -> pd.Series:
    return values.dropna().astype("string").str.strip()


def _is_unique(values: pd.Series) -> bool:
    # head first: most columns repeat a value early, so the full check runs only for id-like columns
    return values.head(10_000).is_unique and values.notna().all() and values.is_unique


def _pick_id(frame: pd.DataFrame) -> tuple[str | None, list[str]]:
    """The id column (unique, id-like name first) and other unique columns (second identifiers to exclude)."""
    unique = [c for c in frame.columns if frame[c].dtype.kind not in "fM" and _is_unique(frame[c])
              and c not in _date_columns(frame[[c]].head(2000))]
    named = [c for c in unique if _ID.search(c)]
    chosen = (named or unique or [None])[0]
    return chosen, [c for c in unique if c != chosen and not _looks_like_pii(c, frame[c])]


def _looks_like_pii(column: str, values: pd.Series) -> bool:
    if looks_like_dates(values) or is_clock_column(values):  # dates and times are never personal data
        return False
    if _PII_NAME.search(safe_name(column)) and values.nunique(dropna=True) > 2:  # 'Do Not Email' (yes/no) is a flag
        return True
    # Booleans count as numbers here on purpose (not features.columns.is_numeric_column): True/False
    # cannot be a name, an email or a phone, so neither can be personal data.
    if pd.api.types.is_numeric_dtype(values):
        return False
    sample = _text(values).head(500)
    return len(sample) >= 5 and any(sample.str.fullmatch(p).mean() > 0.5 for p in (EMAIL, PHONE))


def _names_people(column: str, values: pd.Series) -> str | None:
    """Why a text column reads as naming the people leads belong to (owners, reps), or None: its name reads
    like such a role, or its values look like people's names held by several leads each."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    text = _text(values)
    distinct = pd.Series(text[text != ""].unique(), dtype="string")
    if len(distinct) < 2:
        return None
    if _PEOPLE_NAME.search(safe_name(column)) or _PEOPLE_NAME_ZH.search(str(column)):
        return "its name reads like a person's role"
    if len(distinct) > len(text) / 3:  # a contact's own name differs on (nearly) every lead: that is pii
        return None
    english = distinct[distinct.str.fullmatch(_PERSON_EN).fillna(False)]
    words = english.str.split(" ")
    # Category phrases share words ("Finance Management", "Marketing Management"); a team's names rarely do.
    varied = len(english) and min(words.str[0].nunique(), words.str[-1].nunique()) >= 0.8 * len(english)
    chinese = distinct.str.fullmatch(_PERSON_ZH).fillna(False).mean()
    if (len(english) >= 0.9 * len(distinct) and varied) or chinese >= 0.9:
        return "its values look like people's names"
    return None


def _date_columns(frame: pd.DataFrame) -> dict[str, object]:
    """Columns whose values are dates, with their reading (datetime dtype, ISO, a proven order, or a question);
    numbers only where name and values both read as epoch times (features/init/epoch.py)."""
    found = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            found[column] = ISO
            continue
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            epoch = None if _ID.search(str(column)) else epoch_date(column, values)
            if epoch is not None:
                found[column] = epoch
            continue
        if not looks_like_dates(values):
            continue
        found[column] = detect_format(_text(values))
    return found


def quoted(value: object) -> str:
    """A YAML scalar quoted as JSON: 'yes', '01', 'Lead Number' stay text."""
    return json.dumps(str(value), ensure_ascii=False)


def quoted_list(values) -> str:
    return "[" + ", ".join(quoted(v) for v in values) + "]"


def draft_spec(leads: pd.DataFrame, name: str, source: dict, outcomes: pd.DataFrame | None = None,
               outcomes_source: dict | None = None) -> Draft:
    """Read an export's columns and values and propose a spec."""
    sample = leads.sample(SAMPLE_ROWS, random_state=0) if len(leads) > SAMPLE_ROWS else leads
    id_column, second_ids = _pick_id(leads)
    draft = Draft(name=name, source=source, id=id_column, exclude=second_ids)
    draft.pii = [c for c in leads.columns if c != id_column and _looks_like_pii(c, sample[c])]
    dates = _date_columns(sample.drop(columns=[c for c in [id_column, *draft.pii] if c]))
    draft.dates = list(dates)
    created = _earliest_first(sample, dates, draft)
    if created:
        draft.created_at = created
        reading = dates[created]
        if reading != ISO and reading.ambiguous:
            day, month = reading.ambiguous
            draft.date_note = (f"{reading.example!r} reads day first ({day}) or month first ({month}): "
                               f"set date_format to one of them")
        elif reading != ISO and reading.fmt not in (None, ISO):
            draft.date_format = reading.fmt
            draft.date_note = epoch_comment(reading) if reading.fmt in EPOCH_UNITS else None
        elif reading != ISO and reading.fmt is None:
            draft.date_note = "dates in a form init cannot read: set date_format to their strftime pattern"
    # Booleans count as numbers here on purpose: a True/False column cannot hold a placeholder string.
    text_columns = [c for c in sample.columns if not pd.api.types.is_numeric_dtype(sample[c])]
    draft.missing_values = [p for p in PLACEHOLDERS if any((sample[c] == p).any() for c in text_columns)]
    draft.epoch_checks = [(c, reading) for c in sample.columns if c not in dates and c not in draft.pii
                          for reading in [values_only(c, sample[c])] if reading]

    known = {c for c in [id_column, *second_ids, *draft.pii, *dates] if c}
    draft.people = [(c, why) for c in sample.columns if c not in known
                    for why in [_names_people(c, sample[c])] if why]
    candidates = outcome_candidates(leads, known) if outcomes is None else []
    decided_values = [c for c in candidates if c.kind != "stage-no-loss"]
    won_date = None
    if outcomes is None and not decided_values and "path" in source:
        won_date = _won_date(sample, draft)
    if won_date is not None:  # the export says when a lead was won, not whether: a point-in-time outcome
        column, share = won_date
        draft.outcome = [f"  path: {quoted(source['path'])}  # the leads file itself: a lead is won when "
                         f"{column!r} is filled",
                         *([f"  sheet: {quoted(source['sheet'])}"] if "sheet" in source else []),
                         f"  id: {quoted(id_column)}",
                         f"  won_at: {quoted(column)}  # CHECK: filled on {share:.0%} of rows, after "
                         f"{draft.created_at!r}: the date each lead was won",
                         "  horizon_days: null  # FILL IN: a lead counts as won when won within this many days "
                         "of creation (e.g. 90); younger leads wait"]
        y = sample[column].notna().astype("int8").to_numpy()
        known.add(column)
    elif outcomes is None and not candidates:
        draft.outcome = ['  column: "FILL IN"  # the column that says whether the lead was won',
                         '  positive: ["FILL IN"]  # its value(s) meaning won, quoted']
        return draft
    elif outcomes is None:
        best = (decided_values or candidates)[0]
        column = best.column
        draft.outcome = [f"  column: {quoted(column)}",
                         f"  positive: {quoted_list(best.positive)}" + (
                             f"  # {best.note}" if best.note and best.kind == "two-valued" else ""),
                         f"  negative: {quoted_list(best.negative)}" + (
                             f"  # {best.note}" if best.kind == "stage-no-loss" else "")]
        if best.open:
            draft.outcome.append(f"  open: {quoted_list(best.open)}  # CHECK: still open (not yet won or lost): "
                                 "never labels, left out of training; the ones to score")
        if best.kind.startswith("stage") and [v for v in best.open if v]:
            draft.record = "opportunity"
        draft.outcome_others = [f"  # or column {quoted(c.column)}: positive {quoted_list(c.positive)}, negative "
                                f"{quoted_list(c.negative)}" for c in candidates if c is not best][:5]
        decided = ~sample[column].astype("string").str.strip().fillna("").isin(best.open)
        sample = sample[decided.to_numpy()]
        y = _label_keys(sample[column].astype("string").str.strip(), best.positive)
        known.add(column)
    else:
        key, won_at = _outcome_keys(leads[id_column], outcomes)
        draft.outcome = [f"  {k}: {quoted(v)}" for k, v in outcomes_source.items()] + [
            f"  id: {quoted(key)}  # the column of the outcomes that holds the lead id",
            f"  won_at: {quoted(won_at)}" if won_at else "  won_at: null  # FILL IN: the column with the date won",
            "  horizon_days: null  # FILL IN: a lead is won when won within this many days of creation (e.g. 90)"]
        reading = _date_columns(outcomes[[won_at]]).get(won_at) if won_at else None
        reading = None if reading == ISO else reading
        if reading is not None and reading.fmt in EPOCH_UNITS:
            draft.outcome.append(f"  date_format: {quoted(reading.fmt)}  # {epoch_comment(reading)}")
        elif reading is not None and reading.fmt not in (None, ISO):
            draft.outcome.append(f"  date_format: {quoted(reading.fmt)}")
        elif reading is not None and reading.ambiguous:
            draft.outcome.append(f"  date_format: null  # {reading.example!r} reads {reading.ambiguous[0]} "
                                 f"or {reading.ambiguous[1]}: set one")
        won = set(_as_objects(outcomes[key].dropna()))
        y = np.fromiter((v in won for v in _as_objects(sample[id_column])), dtype=np.int8, count=len(sample))
    features = sample.drop(columns=[c for c in known if c in sample.columns and c != draft.created_at])
    if len(y) == 0 or min(int(y.sum()), len(y) - int(y.sum())) < 5:
        return draft  # too few of an outcome to measure any column's strength
    _strong_columns(draft, features.drop(columns=[c for c in dates if c in features.columns]), y)
    if y.min() != y.max():
        draft.derived = derived_leaks(features.reset_index(drop=True), y, FeaturesSpec().leak_warn)
    return draft


def _won_date(sample: pd.DataFrame, draft: Draft) -> tuple[str, float] | None:
    """(column, filled share) of a date filled after creation on only some rows, named like a win ('Became a
    Customer Date', 'Won On', '成交日期'): the export records when a lead was won instead of whether."""
    for column, _ in draft.later_dates:
        share = float(sample[column].notna().mean())
        if 0.005 <= share <= 0.9 and _WON_DATE.search(str(column)):
            return column, share
    return None


def _earliest_first(sample: pd.DataFrame, dates: dict, draft: Draft) -> str | None:
    """The date column filled earliest on most rows (the creation date); columns filled later on most rows
    (close, won, last-activity dates) go to draft.later_dates, to be listed as known after contact."""
    parsed = {c: date_values(sample[c]) for c in dates}
    parsed = {c: v for c, v in parsed.items() if v is not None}
    if len(parsed) < 2:
        named = [c for c in dates if _CREATED.search(c)] or list(dates)
        return named[0] if named else None

    def before(a: str, b: str) -> float:
        both = parsed[a].notna() & parsed[b].notna()
        return float((parsed[a][both] <= parsed[b][both]).mean()) if both.any() else 0.5

    first = max(parsed, key=lambda c: (sum(before(c, d) for d in parsed if d != c), parsed[c].notna().mean()))
    for column in parsed:
        share = before(first, column) if column != first else 0.0
        if column != first and share >= 0.9:
            draft.later_dates.append((column, share))
    return first


def _as_objects(values: pd.Series) -> np.ndarray:
    """Values as Python strings in one conversion (iterating arrow strings one by one is slow)."""
    return values.astype("string").to_numpy(dtype=object, na_value="")


def _label_keys(values: pd.Series, positive: list[str]) -> np.ndarray:
    return values.astype("string").isin(positive).astype("int8").to_numpy()


def _outcome_keys(lead_ids: pd.Series, outcomes: pd.DataFrame) -> tuple[str, str | None]:
    """The outcomes' column holding lead ids (largest overlap) and its first date column."""
    ids = set(_as_objects(lead_ids))
    # Python set lookups on a sample: pandas' isin on arrow strings against a million ids is slow.
    overlap = {c: float(np.mean([v in ids for v in _as_objects(outcomes[c].dropna().head(5000))] or [0]))
               for c in outcomes.columns}
    key = max(overlap, key=overlap.get)
    if overlap[key] == 0:
        raise LeadscoreError("outcomes: no column holds the leads' ids; check --outcomes and the leads' id column")
    dates = [c for c in _date_columns(outcomes) if c != key]
    return key, (dates[0] if dates else None)


def _strong_columns(draft: Draft, features: pd.DataFrame, y: np.ndarray) -> None:
    """Columns that alone separate the outcome: over the stop threshold they are listed as after contact."""
    if y.min() == y.max() or not len(features.columns):
        return
    defaults = FeaturesSpec()
    for strength in column_strengths(features, y, 5, 0):
        if strength.auc >= defaults.leak_threshold:
            draft.after_contact.append((strength.column, strength.auc))
        elif strength.auc >= defaults.leak_warn:
            draft.strong.append((strength.column, strength.auc))
