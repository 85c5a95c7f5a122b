"""Exact TreeSHAP for a whole batch of leads, from precomputed tables: the same numbers as LightGBM's
`pred_contrib` (checked on every batch), several times faster on large batches.

Why it is exact and fast: a tree with m split nodes sends a lead down by m yes/no decisions, so its
contributions depend on the lead only through those m bits - at most 2^m distinct answers. For small
trees (the default model's have about 8 leaves) every answer is computed once per model, by the
path-dependent TreeSHAP of Lundberg et al. (2020) written per leaf; per lead, a tree then costs m
comparisons and one table lookup instead of a walk over all its paths. Per leaf the Shapley value of a
feature f on the leaf's path is

    leaf value x (o_f - z_f) x sum over k of  k! (d-1-k)! / d!  x  c_k

where d is the number of distinct features on the path, z_j the share of training rows that follow the
path at feature j's splits (covers), o_j whether this lead follows them (1 or 0), and c_k the
coefficient of x^k in the product over the path's other features of (o_j x + z_j). The base value is
each leaf's value weighted by its cover.

Trees with more than MAX_SPLITS splits (large-table defaults, tuning) would need too many patterns;
they get one table per leaf instead, indexed by which of the leaf's path features the lead follows
(per lead a tree then costs a few operations per leaf). One compiled kernel (numba, `_accumulate`)
reads both kinds: a table's index is a set of bits, each bit a list of (split, went left) conditions.
A leaf testing more than MAX_PATH_FEATURES distinct features sends the model to LightGBM's own
`pred_contrib`. So does any model where a probe of the batch's first rows disagrees with LightGBM by
more than 1e-9 (a LightGBM version that decides a missing value another way, say), with a warning:
the fast path can never change a number. Batches of at most FEW_ROWS leads (one-lead requests) are
checked lead by lead instead: each lead's contributions must add up to LightGBM's own raw score, which
costs a fraction of pred_contrib and catches any lead the tables route differently.
"""

from __future__ import annotations

import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from math import factorial

import lightgbm as lgb
import numba
import numpy as np

log = logging.getLogger(__name__)

MAX_SPLITS = 10  # up to 2^10 = 1,024 patterns per tree: one table per tree; deeper trees get one per leaf
MAX_PATH_FEATURES = 14  # a leaf whose path tests more distinct features sends the model to pred_contrib
PROBE_ROWS = 64
FEW_ROWS = 16  # up to here a batch is checked lead by lead against LightGBM's raw score, not by a probe
CHUNK_ROWS = 8192  # rows per pass: each array stays in the CPU cache while every tree reads it
TOLERANCE = 1e-9
ZERO = 1e-35  # LightGBM's kZeroThreshold: |x| <= this counts as zero for missing_type 'Zero'


@dataclass
class _Split:
    feature: int
    threshold: float | np.ndarray  # categorical: boolean lookup of the categories that go left
    categorical: bool
    missing: str  # 'None', 'Zero' or 'NaN' (LightGBM's missing_type)
    default_left: bool


@dataclass
class _Table:
    """Contributions to `outputs` for every code; bit b of a lead's code is set when the lead meets all
    of `bits[b]`, a list of (split of the tree, went left). A small tree has one table whose bits are its
    splits; a deep tree has one per leaf, whose bits are the leaf's path features."""
    bits: list[list[tuple[int, bool]]]
    outputs: list[int]
    values: np.ndarray  # (2^len(bits), len(outputs))


class TreeTables:
    """One model's tables; `contributions(X)` gives what `booster.predict(X, pred_contrib=True)` gives."""

    def __init__(self, booster: lgb.Booster):
        dump = booster.dump_model()
        self.n_features = dump["max_feature_idx"] + 1
        self.base = 0.0
        trees = []
        for info in dump["tree_info"]:
            base, tree = _tree_for(info["tree_structure"])
            self.base += base
            if tree is not None:
                trees.append(tree)
        self.arrays = _pack(trees) if trees else None  # None: every tree is a single leaf

    def contributions(self, X: np.ndarray, threads: int = 1) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        out = np.zeros((len(X), self.n_features + 1))
        out[:, -1] = self.base
        if self.arrays is None:
            return out

        def fill(start: int) -> None:  # the kernel lets go of the GIL: threads run in parallel
            chunk = np.zeros((self.n_features + 1, min(CHUNK_ROWS, len(X) - start)))
            _accumulate(np.ascontiguousarray(X[start:start + CHUNK_ROWS].T), chunk, *self.arrays)
            out[start:start + CHUNK_ROWS] += chunk.T

        starts = range(0, len(X), CHUNK_ROWS)
        if threads > 1 and len(starts) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(fill, starts))
        else:
            for start in starts:
                fill(start)
        return out


def _pack(trees: list[tuple[list[_Split], list[_Table]]]) -> tuple[np.ndarray, ...]:
    """The trees as flat arrays, in the order `_accumulate` takes them."""
    splits = [s for tree_splits, _ in trees for s in tree_splits]
    tables = [t for _, tree_tables in trees for t in tree_tables]
    bits = [b for t in tables for b in t.bits]
    categories = [s.threshold if s.categorical else np.zeros(0, dtype=bool) for s in splits]

    def starts(counts) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)

    def ints(values) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    return (
        ints([s.feature for s in splits]),
        np.array([0.0 if s.categorical else s.threshold for s in splits]),
        ints([_CATEGORICAL if s.categorical else _MISSING[s.missing] for s in splits]),
        np.array([s.default_left for s in splits], dtype=np.bool_),
        starts([len(c) for c in categories]), ints([len(c) for c in categories]),
        np.concatenate([np.zeros(0, dtype=np.bool_), *categories]).astype(np.bool_),
        starts([len(s) for s, _ in trees]), ints([len(s) for s, _ in trees]),
        starts([len(t) for _, t in trees]), ints([len(t) for _, t in trees]),
        starts([len(t.bits) for t in tables]), ints([len(t.bits) for t in tables]),
        starts([len(t.outputs) for t in tables]), ints([len(t.outputs) for t in tables]),
        starts([t.values.size for t in tables]),
        starts([len(b) for b in bits]), ints([len(b) for b in bits]),
        ints([i for b in bits for i, _ in b]), np.array([left for b in bits for _, left in b], dtype=np.bool_),
        ints([f for t in tables for f in t.outputs]),
        np.concatenate([t.values.ravel() for t in tables]),
    )


_MISSING = {"None": 0, "Zero": 1, "NaN": 2}
_CATEGORICAL = 3


@numba.njit(nogil=True, cache=True)
def _goes_left(value, threshold, rule, default_left, category_start, category_count, categories):
    """LightGBM's decision at one split (tree.h NumericalDecision / CategoricalDecision)."""
    if rule == _CATEGORICAL:
        if np.isnan(value):  # a missing category always goes right
            return False
        whole = np.trunc(value)
        if whole < 0 or whole >= category_count:
            return False
        return categories[category_start + int(whole)]
    if np.isnan(value):
        if rule == 0:  # 'None': NaN is read as 0
            return threshold >= 0.0
        return default_left  # 'NaN', and 'Zero' (NaN counts as zero)
    if rule == 1 and abs(value) <= ZERO:
        return default_left
    return value <= threshold


@numba.njit(nogil=True, cache=True)
def _accumulate(columns, out, feature, threshold, rule, default_left, category_start, category_count, categories,
                tree_split_start, tree_split_count, tree_table_start, tree_table_count,
                table_bit_start, table_bit_count, table_output_start, table_output_count, table_value_start,
                bit_condition_start, bit_condition_count, condition_split, condition_left,
                output_feature, values):
    """Adds every tree's contributions for a chunk of leads to out (features + 1, leads); columns is the
    chunk as (features, leads). Trees outside, leads innermost: each inner loop runs over contiguous
    arrays without a data-dependent branch, which the compiler turns into vector instructions, and one
    tree's tables stay in the CPU cache while every lead reads them."""
    leads = columns.shape[1]
    left = np.empty((max(1, tree_split_count.max()), leads), dtype=np.uint8)
    met = np.empty(leads, dtype=np.uint8)
    code = np.empty(leads, dtype=np.int64)
    for tree in range(len(tree_split_start)):
        for k in range(tree_split_count[tree]):
            s = tree_split_start[tree] + k
            feature_values, goes_left = columns[feature[s]], left[k]
            for i in range(leads):
                goes_left[i] = _goes_left(feature_values[i], threshold[s], rule[s], default_left[s],
                                          category_start[s], category_count[s], categories)
        for table in range(tree_table_start[tree], tree_table_start[tree] + tree_table_count[tree]):
            code[:] = 0
            for b in range(table_bit_count[table]):
                bit = table_bit_start[table] + b
                met[:] = 1
                for c in range(bit_condition_start[bit], bit_condition_start[bit] + bit_condition_count[bit]):
                    decided, want = left[condition_split[c]], np.uint8(condition_left[c])
                    for i in range(leads):
                        met[i] &= decided[i] == want
                for i in range(leads):
                    code[i] |= np.int64(met[i]) << b
            outputs = table_output_count[table]
            for i in range(leads):
                code[i] = table_value_start[table] + code[i] * outputs  # where the lead's row of the table starts
            for j in range(outputs):
                target = out[output_feature[table_output_start[table] + j]]
                for i in range(leads):
                    target[i] += values[code[i] + j]


def _tree_for(root: dict) -> tuple[float, tuple[list[_Split], list[_Table]] | None]:
    """The tree's base value, its splits and its tables (None for a single leaf, whose value is all base)."""
    if "leaf_value" in root:
        return float(root["leaf_value"]), None
    splits, leaves = [], []  # leaves: (value, cover, path of (split index, went left, cover ratio))
    _walk(root, [], splits, leaves)
    total = float(root["internal_count"])
    base = sum(value * cover / total for value, cover, _ in leaves)
    if len(splits) <= MAX_SPLITS:
        return base, (splits, [_pattern_table(splits, leaves)])
    return base, (splits, [_leaf_table(splits, value, path) for value, _, path in leaves])


def _pattern_table(splits: list[_Split], leaves: list) -> _Table:
    features = np.array(sorted({s.feature for s in splits}))
    column = {f: i for i, f in enumerate(features)}
    patterns = np.arange(2 ** len(splits))
    bits = ((patterns[:, None] >> np.arange(len(splits))) & 1).astype(bool)  # (patterns, splits)
    table = np.zeros((len(features), len(patterns)))
    for value, _, path in leaves:
        path_features, zero, conditions = _path_features(splits, path)
        follows = np.column_stack([np.logical_and.reduce([bits[:, i] == went_left for i, went_left in feature])
                                   for feature in conditions])  # (patterns, path features)
        shares = _leaf_shapley(follows.astype(float), zero) * value
        for j, feature in enumerate(path_features):
            table[column[feature]] += shares[:, j]
    return _Table([[(i, True)] for i in range(len(splits))], [int(f) for f in features], table.T.copy())


def _leaf_table(splits: list[_Split], value: float, path: list) -> _Table:
    features, zero, conditions = _path_features(splits, path)
    if len(features) > MAX_PATH_FEATURES:
        raise _TooDeep
    patterns = np.arange(2 ** len(features))
    follows = ((patterns[:, None] >> np.arange(len(features))) & 1).astype(float)
    return _Table(conditions, features, _leaf_shapley(follows, zero) * value)


def _path_features(splits: list[_Split], path: list) -> tuple[list[int], np.ndarray, list[list[tuple[int, bool]]]]:
    """A leaf's distinct path features, each one's cover share along the path (TreeSHAP's zero fraction),
    and the (split, went left) conditions a lead must meet at that feature's splits to follow the path."""
    features = sorted({splits[i].feature for i, _, _ in path})
    zero = np.ones(len(features))
    conditions: list[list[tuple[int, bool]]] = [[] for _ in features]
    for i, went_left, ratio in path:
        j = features.index(splits[i].feature)
        zero[j] *= ratio
        conditions[j].append((i, went_left))
    return features, zero, conditions


class _TooDeep(Exception):
    pass


def _walk(node: dict, path: list, splits: list, leaves: list) -> None:
    if "leaf_value" in node:
        leaves.append((float(node["leaf_value"]), float(node["leaf_count"]), list(path)))
        return
    index = len(splits)
    categorical = node["decision_type"] == "=="
    if categorical:
        left = np.array([int(c) for c in str(node["threshold"]).split("||")])
        threshold = np.zeros(left.max() + 1, dtype=bool)
        threshold[left] = True
    else:
        threshold = float(node["threshold"])
    splits.append(_Split(int(node["split_feature"]), threshold, categorical, node["missing_type"],
                         bool(node["default_left"])))
    count = float(node["internal_count"])
    for child, went_left in ((node["left_child"], True), (node["right_child"], False)):
        child_count = float(child.get("internal_count", child.get("leaf_count")))
        _walk(child, [*path, (index, went_left, child_count / count)], splits, leaves)


def _leaf_shapley(follows: np.ndarray, zero: np.ndarray) -> np.ndarray:
    """Shapley shares of one leaf (value 1) per pattern: follows (patterns, d) of 0/1, zero (d,)."""
    patterns, d = follows.shape
    weights = np.array([factorial(k) * factorial(d - 1 - k) / factorial(d) for k in range(d)])
    poly = np.zeros((patterns, d + 1))  # coefficients of prod_j (o_j x + z_j), lowest power first
    poly[:, 0] = 1.0
    for j in range(d):
        shifted = np.zeros_like(poly)
        shifted[:, 1:] = poly[:, :-1] * follows[:, j:j + 1]
        poly = poly * zero[j] + shifted
    shares = np.empty((patterns, d))
    for f in range(d):
        # divide out (o_f x + z_f): top-down synthetic division when o_f = 1 (stable, z_f <= 1)
        by_one = np.zeros((patterns, d))
        by_one[:, d - 1] = poly[:, d]
        for k in range(d - 1, 0, -1):
            by_one[:, k - 1] = poly[:, k] - zero[f] * by_one[:, k]
        by_zero = poly[:, :d] / zero[f]
        rest = np.where(follows[:, f:f + 1] == 1.0, by_one, by_zero)
        shares[:, f] = (follows[:, f] - zero[f]) * (rest @ weights)
    return shares


# booster -> its TreeTables (None: not usable). A cache, not configuration: an entry lives as long as its
# model object and changes no number, only how fast the same numbers come.
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def tables_for(booster: lgb.Booster) -> TreeTables | None:
    """The booster's tables, built once per booster object; None when its trees are too deep."""
    if booster not in _TABLES:
        try:
            _TABLES[booster] = TreeTables(booster)
        except _TooDeep:
            _TABLES[booster] = None
    return _TABLES[booster]


def tree_contributions(booster: lgb.Booster, X: np.ndarray, num_threads: int) -> np.ndarray:
    """Exactly `booster.predict(X, pred_contrib=True)`, from the tables when the model allows it."""
    tables = tables_for(booster)
    if tables is not None and len(X) <= FEW_ROWS:
        # A few leads (the service's one-lead requests): LightGBM's own raw score, far cheaper than its
        # pred_contrib, checks each lead's route. A lead the tables sent down another branch of any tree
        # would end in another leaf, so its contributions would not add up to LightGBM's score. (What a
        # table gives along a route is the model's alone: the large batches' probe and the tests check it.)
        out = tables.contributions(X)
        if np.max(np.abs(out.sum(axis=1) - booster.predict(X, raw_score=True, num_threads=1))) <= TOLERANCE:
            return out
        _distrust(booster)
    elif tables is not None:
        probe = X[:PROBE_ROWS]
        expected = booster.predict(probe, pred_contrib=True, num_threads=1)
        if np.max(np.abs(tables.contributions(probe) - expected)) <= TOLERANCE:
            return tables.contributions(X, num_threads)
        _distrust(booster)
    return booster.predict(X, pred_contrib=True, num_threads=num_threads)


def _distrust(booster: lgb.Booster) -> None:
    log.warning("fast TreeSHAP disagrees with LightGBM on this model; using pred_contrib")
    _TABLES[booster] = None
