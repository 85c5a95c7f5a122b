"""Related tables: lookups joined by key with a key-match report, aliases, chains, and bad lookups."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.build import build_training_set
from features.errors import LeadscoreError
from features.lookups import lookup_order, shifted_matches
from features.relations_spec import LookupSpec
from features.spec import DatasetSpec
from serving.cli.main import app


@pytest.fixture
def crm(tmp_path):
    """Opportunities with a product and an account; accounts with a parent; a products table where one
    name is spelt differently ('GTXPro' in the opportunities, 'GTX Pro' in the products)."""
    rng = np.random.default_rng(3)
    n = 300
    product = rng.choice(["GTX Basic", "GTXPro", "MG Special"], n)
    account = rng.choice(["a1", "a2", "a3", "a4"], n)
    won = rng.random(n) < np.where(account == "a1", 0.5, 0.2)
    pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(n)], "product": product, "account": account,
                  "won": np.where(won, "yes", "no")}).to_csv(tmp_path / "opps.csv", index=False)
    pd.DataFrame({"product": ["GTX Basic", "GTX Pro", "MG Special"], "series": ["GTX", "GTX", "MG"],
                  "price": [550, 4821, 5000]}).to_csv(tmp_path / "products.csv", index=False)
    pd.DataFrame({"account_id": ["a1", "a2", "a3", "a4", "p1"], "sector": ["retail", "software", "retail", "medical",
                                                                          "holding"],
                  "parent": ["p1", "p1", None, None, None]}).to_csv(tmp_path / "accounts.csv", index=False)
    return tmp_path


def spec_for(folder, **lookups) -> DatasetSpec:
    raw = {"name": "crm", "leads": {"path": str(folder / "opps.csv"), "id": "opportunity_id"},
           "outcome": {"column": "won", "positive": ["yes"], "negative": ["no"]},
           "features": {"exclude": ["product", "account"]}, "evaluation": {"folds": 3},
           "lookups": [{"name": "product", "path": str(folder / "products.csv"), "key": "product", "via": "product",
                        **lookups.get("product", {})},
                       {"name": "account", "path": str(folder / "accounts.csv"), "key": "account_id",
                        "via": "account", **lookups.get("account", {})}]}
    raw["lookups"] += lookups.get("extra", [])
    return DatasetSpec.model_validate(raw)


def test_lookup_columns_joined_with_their_table_name(crm):
    ts = build_training_set(spec_for(crm), check_leakage=False)
    assert {"account sector", "product price", "product series"} <= set(ts.feature_names.values())
    frame = ts.frame.set_index("lead_id")
    opps = pd.read_csv(crm / "opps.csv").set_index("opportunity_id")
    basic = opps.index[opps["product"] == "GTX Basic"]
    assert (frame.loc[basic, "product_price"] == 550).all()
    a1 = opps.index[opps["account"] == "a1"]
    assert (frame.loc[a1, "account_sector"] == "retail").all()


def test_unmatched_key_reported_with_nearest_key_and_fixed_by_alias(crm):
    ts = build_training_set(spec_for(crm), check_leakage=False)
    product = next(m for m in ts.relation.matches if m.table == "product")
    opps = pd.read_csv(crm / "opps.csv")
    assert product.unmatched == int((opps["product"] == "GTXPro").sum())
    assert product.nearest == {"GTXPro": "GTX Pro"}
    warning = next(w for w in ts.warnings() if "lookup 'product'" in w)
    assert "'GTXPro' matches no product, nearest 'GTX Pro'" in warning and "aliases" in warning
    assert ts.profile()["lookups"][0]["unmatched"] == product.unmatched  # kept in the profile
    fixed = build_training_set(spec_for(crm, product={"aliases": {"GTXPro": "GTX Pro"}}), check_leakage=False)
    assert next(m for m in fixed.relation.matches if m.table == "product").unmatched == 0
    assert not [w for w in fixed.warnings() if "lookup 'product'" in w]


def test_chain_joins_through_the_parent_lookup(crm):
    spec = spec_for(crm, extra=[{"name": "parent", "path": str(crm / "accounts.csv"), "key": "account_id",
                                 "via": "account.parent", "columns": ["sector"]}])
    ts = build_training_set(spec, check_leakage=False)
    frame = ts.frame.set_index("lead_id")
    opps = pd.read_csv(crm / "opps.csv").set_index("opportunity_id")
    assert (frame.loc[opps.index[opps["account"] == "a2"], "parent_sector"] == "holding").all()
    assert frame.loc[opps.index[opps["account"] == "a3"], "parent_sector"].isna().all()


def test_cycle_and_unknown_parent_are_errors():
    def lookup(name, on):
        return LookupSpec(name=name, path="x.csv", key="k", via=on)

    with pytest.raises(LeadscoreError, match="a -> b -> a is a cycle|b -> a -> b is a cycle"):
        lookup_order([lookup("a", "b.k"), lookup("b", "a.k")])
    with pytest.raises(LeadscoreError, match="names lookup 'team'"):
        lookup_order([lookup("rep", "team.id")])


def test_duplicated_lookup_key_is_exit_2_naming_table_key_and_rows(crm, write_spec, tmp_path):
    products = pd.read_csv(crm / "products.csv")
    pd.concat([products, products.iloc[[1]]]).to_csv(crm / "products.csv", index=False)
    raw = spec_for(crm).model_dump(exclude_none=True)
    result = CliRunner().invoke(app, ["build", "--spec", str(write_spec(raw)), "--out", str(tmp_path / "o.parquet")])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "lookup 'product' key 'GTX Pro'" in text and "data rows 2, 4" in text


def test_missing_lookup_key_column_is_exit_2(crm, write_spec, tmp_path):
    raw = spec_for(crm, account={"via": "acount"}).model_dump(exclude_none=True)
    result = CliRunner().invoke(app, ["build", "--spec", str(write_spec(raw)), "--out", str(tmp_path / "o.parquet")])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'acount'" in text and "lookups[account].via" in text and "did you mean 'account'" in text


def test_scored_leads_missing_a_table_far_more_often_are_named():
    from features.lookups import MatchReport

    scored = [MatchReport("account", "account", 100, 68, 0, [], {}, 1.0),
              MatchReport("product", "product", 100, 0, 1, [], {}, 1.0)]
    found = shifted_matches({"account": 0.0, "product": 0.0}, scored)
    assert len(found) == 1 and "'account'" in found[0] and "68%" in found[0] and "0% of training" in found[0]
