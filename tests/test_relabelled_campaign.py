"""Another street's wording is another campaign file (SPEC §2): renaming the review forms everywhere
in campaign.toml changes no figure and no flag. Rules find forms by role, never by name."""

from collections import Counter

import pandas as pd
import pytest
from test_golden import demo_outputs

from conftest import ROOT

RENAMES = {"群众评议": "群众测评", "下级评议上级": "下级评上级", "党员互评": "党员相互评议"}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("relabel")
    text = (ROOT / "campaign.toml").read_text(encoding="utf-8")
    for old, new in RENAMES.items():
        text = text.replace(old, new)
    relabelled = root / "campaign.toml"
    relabelled.write_text(text, encoding="utf-8")
    return demo_outputs(root / "shipped"), demo_outputs(root / "relabelled", relabelled)


def _csv(folder, name):
    return pd.read_csv(folder / "data" / name, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _flag_counts(folder) -> Counter:
    counts = Counter(_csv(folder, "coverage_flags.csv")["code"])
    counts.update(c for codes in _csv(folder, "rectifications.csv")["flags"] for c in codes.split(";") if c)
    return counts


def test_the_renamed_forms_are_what_the_relabelled_run_reports(both):
    _, relabelled = both
    forms = set(_csv(relabelled, "org_scores.csv")["form"]) | set(_csv(relabelled, "member_scores.csv")["form"])
    assert set(RENAMES.values()) <= forms and not set(RENAMES) & forms


def _mapped_back(frame: pd.DataFrame) -> pd.DataFrame:
    """The relabelled run's table with the new form names written back as the shipped ones."""
    out = frame.copy()
    for old, new in RENAMES.items():
        out = out.apply(lambda col: col.str.replace(new, old, regex=False))
    return out


@pytest.mark.parametrize("name, rank", [("org_results.csv", "rank"), ("member_results.csv", "rank_in_unit")])
def test_same_composites_grades_and_ranks(both, name, rank):
    shipped, relabelled = both
    ours, theirs = _csv(shipped, name), _csv(relabelled, name)
    assert len(ours) > 0 and ours[["composite", rank]].equals(theirs[["composite", rank]])
    assert ours.equals(_mapped_back(theirs))  # grades too, and notes that name a form


def test_same_count_of_every_flag_code(both):
    shipped, relabelled = both
    counts = _flag_counts(shipped)
    assert counts["C_OPINION_UNANSWERED"] > 0 and counts["C_REVIEW_UNADDRESSED"] > 0  # the rules by role did fire
    assert _flag_counts(relabelled) == counts


@pytest.mark.parametrize("name", ["org_scores.csv", "member_scores.csv"])
def test_same_scores_per_criterion_once_the_names_are_mapped_back(both, name):
    shipped, relabelled = both
    assert _csv(shipped, name).equals(_mapped_back(_csv(relabelled, name)))
