from __future__ import annotations

from pathlib import Path

import pytest

from slmguard import Action, Label, TaxonomyError, load_taxonomy
from tests.conftest import TINY_TAXONOMY


def test_default_taxonomy_has_the_mlcommons_codes_and_extras() -> None:
    tax = load_taxonomy()
    assert tax.codes == (*(f"S{i}" for i in range(1, 15)), "prompt_attack", "toxicity", "sensitive")
    for c in tax.categories:
        assert c.name_en and c.name_ko and c.description and c.examples
        assert 0 < c.threshold < 1
    assert tax["sensitive"].tier == Label.SENSITIVE and tax["sensitive"].action == Action.CAUTION
    assert tax["S9"].action == Action.BLOCK


def test_only_self_harm_overrides_the_tier_head_by_default() -> None:
    """A disclosure of self-harm must get the crisis reply even when the tier head calls it safe."""
    tax = load_taxonomy()
    overrides = {c.code: c.overrides_tier_at for c in tax.categories if c.overrides_tier_at is not None}
    assert list(overrides) == ["S11"] and tax["S11"].threshold <= overrides["S11"] < 1


def test_default_hate_definition_covers_korean_targets() -> None:
    description = load_taxonomy()["S10"].description
    for target in ("age", "region", "political orientation", "gender"):
        assert target in description


def test_user_taxonomy_loads(tiny_taxonomy: Path) -> None:
    tax = load_taxonomy(tiny_taxonomy)
    assert tax.codes == ("weapons", "politics")
    assert tax["politics"].name_ko == "Politics"  # a plain string name serves both languages


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ("threshold: 0.5\n    description: Making", "threshold: 1.5\n    description: Making",
         "categories[0].threshold", "must be a number in [0, 1]"),
        ("tier: unsafe", "tier: dangerous", "categories[0].tier", "must be one of unsafe, sensitive"),
        ("action: caution", "action: block", "categories[1].action", "cannot be 'block' for a sensitive"),
        ("code: politics", "code: weapons", "categories[1].code", "duplicates the code"),
        ("    description: Making weapons.\n", "", "categories[0].description", "is missing"),
        ("categories:", "categories: []\nx:", "categories", "must be a non-empty list"),
        ("threshold: 0.5\n", "threshold: 0.5\n    overrides_tier_at: 0.3\n",
         "categories[0].overrides_tier_at", "must be at least the threshold (0.5)"),
        ("threshold: 0.5\n", "threshold: 0.5\n    overrides_tier_at: high\n",
         "categories[0].overrides_tier_at", "must be a number in [0, 1]"),
    ],
)  # fmt: skip
def test_invalid_taxonomy_names_file_key_and_problem(
    tmp_path: Path, old: str, new: str, key: str, problem: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(TINY_TAXONOMY.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    assert info.value.path == str(path)
    assert info.value.key == key
    assert problem in info.value.problem
    assert str(path) in str(info.value) and key in str(info.value)


def test_missing_and_unparseable_taxonomy_files(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="does not exist"):
        load_taxonomy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [unclosed", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(bad)
