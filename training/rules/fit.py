"""Points that learn: fit a rule table's points to outcomes.

Each (field, value) or (field, range) of a rule is one 0/1 factor; an L2 logistic regression on the
factors gives each a log-odds weight. Within a rule, the weight of "none of the listed values" is
0; points are the weights shifted so each rule's lowest option scores 0, scaled so a lead with the
best option of every rule scores 100, and rounded to integers. Options a rule does not list score 0,
which after fitting means "as the lowest listed option": say so when that matters for your data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from features.columns import is_numeric_column, quantile_edges
from features.errors import LeadscoreError
from features.messages import Line, Rows, Say, say_nothing
from features.names import safe_name
from training.rules.table import Range, Rule, RuleTable

MAX_LEVELS = 12  # categorical features with more distinct values do not make readable rules


def _column(frame: pd.DataFrame, field: str) -> pd.Series | None:
    if field in frame.columns:
        return frame[field]
    by_safe = {safe_name(c): c for c in frame.columns}
    column = by_safe.get(safe_name(field))
    return frame[column] if column is not None else None


def factors(table: RuleTable, frame: pd.DataFrame) -> tuple[np.ndarray, list[tuple[int, object]]]:
    """0/1 matrix of every rule option, and (rule index, value or range index) per column."""
    columns, keys = [], []
    for r, rule in enumerate(table.rules):
        values = _column(frame, rule.field)
        if values is None:
            raise LeadscoreError(f"rule field {rule.field!r} is not a column of the training set; "
                                 "remove the rule or check its 'field'")
        if rule.points:
            text = values.astype("string").str.strip().str.lower()
            for key in rule.points:
                columns.append(text.eq(key).fillna(False).to_numpy(dtype=float))
                keys.append((r, key))
        else:
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            for i, span in enumerate(rule.ranges):
                inside = ~np.isnan(numbers)
                inside &= (numbers >= span.min) if span.min is not None else True
                inside &= (numbers < span.max) if span.max is not None else True
                columns.append(inside.astype(float))
                keys.append((r, i))
    return np.column_stack(columns), keys


def fit_points(table: RuleTable, frame: pd.DataFrame, y: np.ndarray, seed: int = 0) -> RuleTable:
    """The same rules with points fitted to the outcomes `y` (integers; a perfect lead scores 100)."""
    if len(np.unique(y)) < 2:
        raise LeadscoreError("fitting points needs both won and lost leads in the outcomes")
    matrix, keys = factors(table, frame)
    weights = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(matrix, y).coef_[0]
    per_rule: dict[int, dict] = {}
    for (r, key), w in zip(keys, weights, strict=True):
        per_rule.setdefault(r, {})[key] = float(w)
    shifted = {r: {k: w - min(0.0, *ws.values()) for k, w in ws.items()} for r, ws in per_rule.items()}
    best = sum(max(ws.values()) for ws in shifted.values())
    scale = 100.0 / best if best > 0 else 0.0
    rules = []
    for r, rule in enumerate(table.rules):
        points = {k: float(round(w * scale)) for k, w in shifted.get(r, {}).items()}
        if rule.points:
            rules.append(Rule(field=rule.field, points=points, reason=rule.reason))
        else:
            rules.append(Rule(field=rule.field, reason=rule.reason, ranges=[
                Range(min=s.min, max=s.max, points=points[i]) for i, s in enumerate(rule.ranges)]))
    return RuleTable(name=f"{table.name} (points fitted to outcomes)", max_score=100.0, rules=rules)


def default_table(frame: pd.DataFrame, y: np.ndarray, names: dict[str, str], count: int = 6) -> RuleTable:
    """Factors for a spec without a rule table: the `count` fields that best rank leads alone
    (categorical with few values, or numeric cut at its quartiles); points 0 until fitted."""
    candidates = []
    for column in frame.columns:
        values = frame[column]
        if is_numeric_column(values):
            edges = quantile_edges(values.to_numpy(dtype=float), 4)
            if len(edges) == 0:
                continue
            bounds = [None, *[float(e) for e in edges], None]
            rule = Rule(field=names.get(column, column), ranges=[Range(min=a, max=b, points=0.0)
                                                                for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
        else:
            levels = values.dropna().astype(str).str.strip().str.lower().unique()
            if not 2 <= len(levels) <= MAX_LEVELS:
                continue
            rule = Rule(field=names.get(column, column), points={str(v): 0.0 for v in levels})
        one = RuleTable(rules=[rule])
        matrix, _ = factors(one, frame)
        p = LogisticRegression(max_iter=1000).fit(matrix, y).predict_proba(matrix)[:, 1]
        candidates.append((roc_auc_score(y, p), rule))
    if not candidates:
        raise LeadscoreError("no feature makes a readable rule (2-12 values, or numbers); write a rule table")
    chosen = [rule for _, rule in sorted(candidates, key=lambda c: -c[0])[:count]]
    return RuleTable(name="learned points table", rules=chosen)


def suggest(table: RuleTable, frame: pd.DataFrame, y: np.ndarray, seed: int = 0,
            held_out: float = 0.25) -> tuple[RuleTable, dict[str, float]]:
    """Fit on 75% of the leads; ROC-AUC of the current and the suggested points on the other 25%."""
    train_rows, test_rows = train_test_split(np.arange(len(y)), test_size=held_out, random_state=seed, stratify=y)
    fitted = fit_points(table, frame.iloc[train_rows], y[train_rows], seed)
    test, y_test = frame.iloc[test_rows], y[test_rows]
    return fitted, {"current": float(roc_auc_score(y_test, table.points_frame(test))),
                    "suggested": float(roc_auc_score(y_test, fitted.points_frame(test))), "held_out": len(test_rows)}


def learned_rules(frame: pd.DataFrame, y: np.ndarray, names: dict[str, str], seed: int = 0,
                  sample: int = 50_000) -> RuleTable:
    """The rule table `train` ships when the spec names none: fields chosen and points fitted on
    (at most `sample` of) the training rows, so the service's fallback answers with learned points."""
    if len(y) > sample:
        rows = np.random.default_rng(seed).choice(len(y), size=sample, replace=False)
        frame, y = frame.iloc[rows], y[rows]
    frame = frame.rename(columns=names)
    return fit_points(default_table(frame, y, {}), frame, y, seed)


def suggest_for_spec(spec_path, rules_path=None) -> tuple[RuleTable, RuleTable, dict[str, float]]:
    """(suggested, current, held-out ROC-AUC) for a spec's training set and rule table; a spec without a
    table gets the fields `train` would choose, with 0 points as the current table."""
    from features.build import build_training_set
    from features.spec import load_spec
    from features.synth.export import ensure_export
    from training.rules.table import load_rules

    spec = load_spec(spec_path)
    ensure_export(spec)
    ts = build_training_set(spec)
    frame, y = ts.frame[ts.features].rename(columns=ts.feature_names), ts.frame["label"].to_numpy()
    path = rules_path or spec.rules
    current = load_rules(path) if path else default_table(frame, y, {})
    suggested, auc = suggest(current, frame, y, spec.evaluation.seed)
    return suggested, current, auc


def write_table(table: RuleTable, out) -> None:
    import yaml

    from features.atomic import replace_atomically

    text = yaml.safe_dump(table.model_dump(), sort_keys=False, allow_unicode=True)
    replace_atomically(out, lambda temp: Path(temp).write_text(text, encoding="utf-8"))


def run_rules_suggest(spec: Path, rules: Path | None = None, write: Path | None = None,
                      say: Say = say_nothing) -> RuleTable:
    """`leadscore rules suggest`: the fitted points beside the current ones, saved to `write` when given."""
    suggested, current, auc = suggest_for_spec(spec, rules)
    say(Line(points_table(current, suggested, auc)))
    if write:
        write_table(suggested, write)
        say(Line(f"wrote {write}; serve it with LEADSCORE_RULES={write}"))
    return suggested


def points_table(current: RuleTable, suggested: RuleTable, auc: dict) -> Rows:
    table = Rows(f"points: current vs fitted to outcomes (held-out ROC-AUC on {auc['held_out']:,} leads: "
                        f"current {auc['current']:.3f}, suggested {auc['suggested']:.3f})",
                 ("field", "value", "current", "suggested"), ("current", "suggested"))
    for old, new in zip(current.rules, suggested.rules, strict=True):
        if old.points:
            for key in old.points:
                table.add(old.field, key, f"{old.points[key]:g}", f"{new.points[key]:g}")
        for a, b in zip(old.ranges, new.ranges, strict=True):
            table.add(old.field, f"[{a.min}, {a.max})", f"{a.points:g}", f"{b.points:g}")
    return table
