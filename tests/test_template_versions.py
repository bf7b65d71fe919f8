"""Every released template of this campaign still works (SPEC §3 Versions): a unit that fills last round's
template is accepted; an optional column the old template lacked is read as blank with a note naming
the version, a required one says 模板版本较旧. The released templates are kept as fixtures."""

from pathlib import Path

import pytest
from conftest import AS_OF, make_demo
from openpyxl import load_workbook

from pipeline.run import batch
from pipeline.intake.identify import label_key
from pipeline.layout import INFO_SHEET
from pipeline.validation import validate

RELEASED = sorted((Path(__file__).parent / "fixtures" / "templates").glob("单位填报表_R1_v*.xlsx"))


def _refill(campaign, filled: Path, old_template: Path, out: Path) -> Path:
    """A demo unit's data typed into an older template, column by column under the same headers; 评定结果
    (beside the members now) goes to its own sheet where the old template has one."""
    layout = campaign.workbooks["unit"]
    new, old = load_workbook(filled), load_workbook(old_template)
    labels = {f.label for f in layout.info}
    typed = {r[0].value: r[1].value for r in new[INFO_SHEET].iter_rows(max_col=2) if r[0].value in labels}
    for r in old[INFO_SHEET].iter_rows(max_col=2):
        if r[0].value in typed:
            r[1].value = typed[r[0].value]
    for ws in old.worksheets:
        if ws.sheet_state != "visible" or ws.title == INFO_SHEET:
            continue
        source = new[layout.worksheet_name("decisions")] if ws.title == layout.sheet("decisions").name \
            else new[ws.title]
        where = {label_key(c.value): c.column for c in source[1] if c.value}
        for c in ws[1]:
            j = where.get(label_key(c.value))
            if j is None or label_key(c.value) in {label_key(x.label) for x in layout.sheet("decisions").columns
                                                    if x.type == "preview"}:
                continue
            for r in range(2, source.max_row + 1):
                ws.cell(r, c.column).value = source.cell(r, j).value
    old.save(out)
    return out


@pytest.mark.parametrize("template", RELEASED, ids=[p.stem.rsplit("_", 1)[1] for p in RELEASED])
def test_a_workbook_filled_in_a_released_template_is_accepted(campaign, tmp_path, template):
    inbox, _ = make_demo(campaign, tmp_path / "demo", units=3, members=8, seed=9)
    own = next(inbox.glob("FN01*.xlsx"))
    path = _refill(campaign, own, template, tmp_path / f"FN01-{template.name}")
    sub = validate.validate_file(path, path.name, campaign)
    assert sub.accepted, [(f.code, f.sheet, f.cell, f.column) for f in sub.errors]
    version = load_workbook(template)["_meta"]["B2"].value
    notes = {(f.sheet, f.column) for f in sub.findings if f.code == "N_OLD_TEMPLATE"}
    assert all(f"版本 {version}" in f.message for f in sub.findings if f.code == "N_OLD_TEMPLATE")
    old_roster = [c.value for c in load_workbook(template)["党员名册"][1]]
    if "未参评原因" not in old_roster:  # the template before 未参评原因: the column reads as blank
        assert ("党员名册", "未参评原因") in notes
    fresh = validate.validate_file(own, own.name, campaign)
    assert sub.tables["decisions"]["decided_grade"].tolist() == fresh.tables["decisions"]["decided_grade"].tolist()
    assert sub.tables["member_ballots"].drop(columns="_row").equals(fresh.tables["member_ballots"].drop(columns="_row"))


def test_an_old_template_without_a_required_column_says_it_is_old(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "demo", units=3, members=8, seed=9)
    path = _refill(campaign, next(inbox.glob("FN01*.xlsx")), RELEASED[-1], tmp_path / "old.xlsx")
    wb = load_workbook(path)
    wb["党员名册"].delete_cols(6)  # 入党日期, required
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    (old,) = [f for f in sub.findings if f.code == "E_OLD_TEMPLATE"]
    assert (old.sheet, old.column) == ("党员名册", "入党日期")
    assert "模板版本较旧" == old.title and "版本 1.0" in old.message and "单位填报表_R1.xlsx" in old.message
    assert not [f for f in sub.findings if f.code == "E_MISSING_COLUMN"]


def test_a_round_of_old_and_new_templates_scores_like_a_round_of_new_ones(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=3, members=8, seed=9)
    same = batch.run(campaign, inbox, tmp_path / "out1", tmp_path / "arch1", as_of=AS_OF)
    own = next(inbox.glob("FN01*.xlsx"))
    _refill(campaign, own, RELEASED[0], own)  # FN01 keeps last round's template
    mixed = batch.run(campaign, inbox, tmp_path / "out2", tmp_path / "arch2", as_of=AS_OF)
    assert not mixed.rejected
    cols = ["unit_code", "member_id", "composite", "suggested_grade", "decided_grade"]
    assert mixed.report.scores.member_results[cols].equals(same.report.scores.member_results[cols])


def _fingerprint(campaign) -> str:
    """What a unit sees of the templates' structure: sheets, where they sit, columns, which are required."""
    import hashlib
    import json
    shape = [(lay.key, s.key, s.name, s.host, s.optional, [(c.key, c.label, c.type, c.required) for c in s.columns])
             for lay in campaign.workbooks.values() for s in lay.sheets]
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()[:16]


def test_the_template_version_changes_whenever_a_sheet_or_column_changes(campaign):
    """A changed layout needs a new template_version (and the old one in earlier_template_versions):
    record the new version's fingerprint in tests/fixtures/templates/fingerprints.json."""
    import json
    known = json.loads((Path(__file__).parent / "fixtures" / "templates" / "fingerprints.json").read_text())
    assert campaign.template_version in known, "a new template version: record its fingerprint"
    assert known[campaign.template_version] == _fingerprint(campaign), \
        f"the templates changed: raise template_version (now {campaign.template_version}) in campaign.toml"
    assert set(known) <= set(campaign.template_versions)


@pytest.mark.parametrize("version", ["2.1", "V2"])
def test_a_version_the_campaign_never_released_is_said(campaign, tmp_path, version):
    inbox, _ = make_demo(campaign, tmp_path / "demo", units=1, members=5, seed=9)
    path = next(inbox.glob("FN01*.xlsx"))
    wb = load_workbook(path)
    meta = wb["_meta"]
    row = next(r for r in range(1, 10) if meta.cell(r, 1).value == "template_version")
    meta.cell(row, 2).value = version
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    (note,) = [f for f in sub.findings if f.code == "N_UNKNOWN_VERSION"]
    assert sub.accepted and note.value == version
    assert all(v in note.message for v in campaign.template_versions) and version in note.message
    ws = wb["整改台账"]
    ws.delete_cols(next(c.column for c in ws[1] if str(c.value).startswith("问题描述")))  # a required column gone
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert [(f.code, f.column) for f in sub.errors] == [("E_OLD_TEMPLATE", "问题描述")]
    assert f"版本 {version}" in sub.errors[0].message
