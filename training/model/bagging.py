"""The inner folds' boosters served as one: a LightGBM booster whose raw score is their mean.

Each inner fold already fits a booster on (k-1)/k of the training rows, stopped early on the rest
(training/model/boost.py). Averaging those k boosters (cross-fitting, as AutoGluon's bagging does) instead of
refitting one on all rows should lower the variance and saves the refit; measured (`make bench-bagging`,
docs/decisions/003-bagging-off-by-default.md) it moved ROC-AUC within its standard error for several
times the trees, so LeadClassifier does it only when asked (`bag_folds=True`). The mean of k boosters is
itself a sum of trees, every leaf value divided by k (LightGBM stores leaf values with the learning rate
and the first tree's start score already applied), so it is written as one ordinary model text and
loaded as one `lightgbm.Booster`: serving, TreeSHAP (its contributions are the mean of the members',
exactly, since TreeSHAP is linear in the trees) and safe loading see a plain booster.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import lightgbm as lgb

_SCALED = ("leaf_value=", "internal_value=")  # values; weights and counts (the covers TreeSHAP uses) stay


def _trees(booster: lgb.Booster) -> tuple[str, list[str], str]:
    """A model text split into its header, its tree blocks and what follows the trees."""
    text = booster.model_to_string()  # up to the best iteration where it stopped early
    header, rest = text.split("\nTree=", 1)
    body, tail = ("Tree=" + rest).split("end of trees", 1)
    return header, re.split(r"\n(?=Tree=)", body.strip("\n")), "end of trees" + tail


def _scaled_tree(block: str, number: int, factor: float) -> str:
    lines = block.strip("\n").split("\n")
    lines[0] = f"Tree={number}"
    for i, line in enumerate(lines):
        if line.startswith(_SCALED):
            key, values = line.split("=", 1)
            lines[i] = key + "=" + " ".join(repr(float(v) * factor) for v in values.split())
    return "\n".join(lines) + "\n\n"


def mean_booster(boosters: Sequence[lgb.Booster]) -> lgb.Booster:
    """One booster whose raw score (and TreeSHAP contributions) are the mean of the given boosters'.
    They must share features and objective (the inner folds of one fit do)."""
    parts = [_trees(b) for b in boosters]
    factor = 1.0 / len(boosters)
    trees = [tree for _, blocks, _ in parts for tree in blocks]
    body = "".join(_scaled_tree(tree, i, factor) for i, tree in enumerate(trees))
    # tree_sizes (byte offsets for parallel loading) no longer fit; without it LightGBM reads trees in turn.
    header = re.sub(r"^tree_sizes=.*\n", "", parts[0][0] + "\n", flags=re.MULTILINE)
    return lgb.Booster(model_str=header + "\n" + body + "\n" + parts[0][2])
