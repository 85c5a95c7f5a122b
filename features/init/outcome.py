"""Which column is the outcome, read from values as well as names: a two-valued column of won/lost-like
values in any language or case, or a stage column whose values include won and lost ones beside others
(the others are proposed as open). Several candidates are ranked; init writes the others as comments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

# Values and names to recognise, not sentences to show (those live in training/report/texts.py).
WIN = {"1", "yes", "y", "true", "t", "won", "win", "converted", "convert", "closed won", "closed-won", "success",
       "successful", "sold", "purchased", "bought", "是", "成交", "已成交", "成功", "赢单", "已转化", "转化"}
LOSS = {"0", "no", "n", "false", "f", "lost", "lose", "not converted", "unconverted", "closed lost", "closed-lost",
        "failure", "failed", "fail", "not sold", "否", "未成交", "失败", "输单", "未转化", "丢单"}
# In a stage column only words count: 1/0 and y/n are counts and flags there.
_STAGE_WIN = {v for v in WIN if len(v) > 1 and not v.isdigit() and v not in ("true", "yes")} | {"是"}
_STAGE_LOSS = {v for v in LOSS if len(v) > 1 and not v.isdigit() and v not in ("false", "no")} | {"否"}
# Stage names as CRMs write them: Salesforce "Closed - Converted" / "Closed - Not Converted", Zoho "Lost Lead" /
# "Junk Lead", HubSpot "Closed Won", read after punctuation is turned into spaces.
_WIN_STAGE = re.compile(r"^(closed )?(won|win|converted)( lead| deal| opportunity)?$")
_LOSS_STAGE = re.compile(r"^(closed )?(lost|lose|not converted|unconverted|junk|disqualified|unqualified|"
                         r"not qualified)( lead| deal| opportunity)?$")
NAME = re.compile(r"convert|won|win|outcome|label|target|closed|result|status|stage|成交|转化|结果|阶段|状态",
                  re.IGNORECASE)
SHORT_NAMES = {"y", "target", "label", "class"}
MAX_STAGES = 30


@dataclass
class Candidate:
    column: str
    positive: list[str]
    negative: list[str]
    open: list[str] = field(default_factory=list)
    kind: str = "two-valued"  # or "stage"
    rank: float = 0.0
    note: str | None = None


def _norm(value: object) -> str:
    return str(value).strip().lower().removesuffix(".0")


def _words(value: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", value).split())


def _wins(norm: dict[str, str], words: set[str]) -> list[str]:
    return [v for v, n in norm.items() if n in words or _WIN_STAGE.match(_words(n))]


def _losses(norm: dict[str, str], words: set[str]) -> list[str]:
    return [v for v, n in norm.items() if n in words or _LOSS_STAGE.match(_words(n))]


def _candidate(column: str, values: pd.Series, last: bool) -> Candidate | None:
    filled = values.dropna()
    if filled.dtype.kind == "f" and (filled % 1 == 0).all():
        filled = filled.astype("int64")  # 1.0 is the value 1, as the labels read it
    text = filled.astype("string").str.strip()
    empty_share = 1 - float((text != "").sum()) / max(len(values), 1)
    distinct = [str(v) for v in pd.unique(text[text != ""])]
    if not 2 <= len(distinct) <= MAX_STAGES:
        return None
    norm = {v: _norm(v) for v in distinct}
    bonus = (2.0 if NAME.search(column) or column.strip().lower() in SHORT_NAMES else 0.0) + (1.0 if last else 0.0)
    bonus -= 2.0 * empty_share
    if len(distinct) == 2:
        wins, losses = _wins(norm, WIN), _losses(norm, LOSS)
        if len(wins) == 1 and len(losses) == 1:
            return Candidate(column, wins, losses, [""] if empty_share else [], rank=3.0 + bonus)
        if bonus >= 2.0:
            return Candidate(column, distinct[:1], distinct[1:], rank=1.0 + bonus,
                             note="CHECK: which value means a won deal? Move it under positive")
        return None
    if pd.api.types.is_numeric_dtype(values):
        return None
    wins = [v for v in _wins(norm, _STAGE_WIN) + [v for v in distinct if norm[v].startswith("closed won")]]
    losses = [v for v in _losses(norm, _STAGE_LOSS) + [v for v in distinct if norm[v].startswith("closed lost")]]
    wins, losses = list(dict.fromkeys(wins)), [v for v in dict.fromkeys(losses) if v not in wins]
    if not wins:
        return None
    others = [v for v in distinct if v not in wins and v not in losses]
    if not losses:  # won deals and open ones, no lost value (Odoo archives lost deals): a question, ranked last
        return Candidate(column, wins, [], others + ([""] if empty_share else []), kind="stage-no-loss",
                         rank=bonus - 10.0, note="FILL IN: no value reads as lost; list the ones that mean lost (or "
                         "export the lost deals too: some CRMs archive them)")
    return Candidate(column, wins, losses, others + ([""] if empty_share else []), kind="stage", rank=2.5 + bonus,
                     note="CHECK: the other values are taken as still open (never labels, the deals to score)")


def outcome_candidates(frame: pd.DataFrame, skip: set[str]) -> list[Candidate]:
    """Every column that may be the outcome, best first."""
    columns = [c for c in frame.columns if c not in skip]
    last = frame.columns[-1] if len(frame.columns) else None
    found = [c for c in (_candidate(column, frame[column], column == last) for column in columns) if c]
    return sorted(found, key=lambda c: -c.rank)
