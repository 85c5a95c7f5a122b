"""The data sets the learner benchmarks share: X Education and the synthetic variants (`leadscore synth`)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from pathlib import Path

import yaml
from measure import ROOT

from features.build import TrainingSet, build_training_set
from features.spec import DatasetSpec
from features.synth.export import write_export

# name -> (leads, variants). Sizes: 20,000 unless the variant is about size.
SYNTHETIC = {
    "rare": (20_000, ("rare",)),
    "linear": (20_000, ("linear",)),
    "high_cardinality": (20_000, ("high-cardinality",)),
    "leads_500": (500, ()),
    "leads_200k": (200_000, ()),
    "drift": (20_000, ("drift",)),
}


def synthetic_spec(folder: Path) -> Path:
    """The shipped synthetic spec pointed at an export in `folder` (written beside it)."""
    spec = yaml.safe_load((ROOT / "data" / "specs" / "synthetic.yaml").read_text())
    spec["leads"]["path"] = str(folder / "leads.csv")
    spec["outcome"]["path"] = str(folder / "outcomes.csv")
    spec["rules"] = str(ROOT / spec["rules"])
    spec["display"] = str(ROOT / spec["display"])
    spec.pop("synthetic")
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def write_variant(name: str, folder: Path, seed: int = 0) -> Path:
    """Write the named synthetic variant's export and spec into folder; return the spec's path."""
    leads, variants = SYNTHETIC[name]
    write_export(folder, leads, seed, variants)
    return synthetic_spec(folder)


def x_education_spec() -> DatasetSpec:
    raw = yaml.safe_load((ROOT / "data" / "specs" / "x_education.yaml").read_text())
    raw["leads"]["path"] = str(ROOT.parent / "shared" / "data" / "x_education" / "Leads.csv")
    return DatasetSpec.model_validate(raw)


def load_spec(path: Path) -> DatasetSpec:
    return DatasetSpec.model_validate(yaml.safe_load(path.read_text()))


def small_exports(folder: Path, sizes, variant_sets, seeds) -> Iterator[tuple[str, int, TrainingSet]]:
    """Every (size, variants, seed) synthetic export, written into folder and built: (name, leads, set)."""
    for leads, variants, seed in product(sizes, variant_sets, seeds):
        name = f"{leads}-{'-'.join(variants) or 'default'}-{seed}"
        write_export(folder / name, leads, seed, variants)
        yield name, leads, build_training_set(load_spec(synthetic_spec(folder / name)))
