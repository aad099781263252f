"""The typed cards are the old cards moved, not changed: every figure is still there.

Runs the migration (``tests/card_migration.py``) again on the untyped cards of the last commit
that had them (read from git) and checks that it gives the shipped cards, that every number and
every text of the old card is in the new one (but for the few rewritten on purpose), and that the
``evaluation`` object is the old one exactly (the public ``evaluate --json`` contract).
"""
from __future__ import annotations

import json
import subprocess
from collections import Counter

import pytest

from medcore import registry
from medcore.cards import ModelCard
from bench.pbc_litert_check import KEY as LITERT_CHECK
from tests.card_migration import NAMES, REWRITTEN, migrate, old_card


@pytest.fixture(scope="module")
def old_cards() -> dict:
    try:
        return {name: old_card(name) for name in NAMES}
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"the untyped cards are not in this checkout's git history ({exc})")


def _leaves(value, kind):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item, kind)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, kind)
    elif isinstance(value, kind) and not isinstance(value, bool):
        yield value


@pytest.mark.parametrize("name", NAMES)
def test_the_migration_gives_the_shipped_card(old_cards, name):
    migrated = ModelCard.from_dict(migrate(name, old_cards[name]), source=name).to_dict()
    shipped = json.loads(registry.card_path(name).read_text(encoding="utf-8"))
    # added after the migration (issue 12): the serving section, by `python -m medcore export`,
    # and pbc_rnn's LiteRT evaluation check, by `python -m bench.pbc_litert_check --store`
    assert migrated["serving"] is None and shipped["serving"]["file"] == f"{name}.tflite"
    shipped["quantitative_analyses"].pop(LITERT_CHECK, None)
    if _reevaluated(shipped):       # `python -m medcore evaluate NAME` through LiteRT since
        migrated["evaluation"] = shipped["evaluation"]
    assert {**migrated, "serving": shipped["serving"]} == shipped


def _reevaluated(card: dict) -> bool:
    """True when the card's evaluation was made again through LiteRT after the migration
    (issue 12); its figures are then compared with the old ones in
    :func:`test_a_litert_evaluation_keeps_the_old_figures`."""
    return (card.get("evaluation") or {}).get("engine") == "litert"


@pytest.mark.parametrize("name", NAMES)
def test_a_litert_evaluation_keeps_the_old_figures(old_cards, name):
    new = registry.load_card(name).evaluation
    if not _reevaluated({"evaluation": new}):
        pytest.skip(f"{name}'s evaluation is the migrated one (compared exactly below)")
    old = old_cards[name]["evaluation"]
    assert new["n_test"] == old["n_test"] and new["dataset"] == old["dataset"]
    for measure in ("c_index", "auc", "brier"):
        if measure in old["test"]:
            assert abs(new["test"][measure] - old["test"][measure]) <= 0.01, measure


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_and_text_of_the_old_card_is_kept(old_cards, name):
    old, new = old_cards[name], registry.load_card(name).to_dict()
    if _reevaluated(new):       # its evaluation is compared within noise above
        old, new = ({k: v for k, v in card.items() if k != "evaluation"} for card in (old, new))
    lost = Counter(_leaves(old, (int, float))) - Counter(_leaves(new, (int, float)))
    assert not lost, f"figures of the old {name} card missing from the new one: {lost}"
    texts = set(_leaves(new, str))
    lost_text = [t for t in _leaves(old, str) if t not in texts and t not in REWRITTEN]
    assert not lost_text, lost_text
    assert new.get("evaluation") == old.get("evaluation")
    assert new["model_details"]["version"] == old["sha256"] == \
        registry.sha256_of(registry.model_path(name))
