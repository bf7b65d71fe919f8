"""The preview beside each member (SPEC §3): 综合得分（参考） and 建议等次（参考） are live formulas that give
exactly SPEC §6. LibreOffice recalculates demo workbooks (ballots, tallies, members who took no part,
ratings typed as points) and every member's preview equals member_results.csv, the cap and the veto
included."""

import csv
import json
import sys

import pytest
from conftest import AS_OF, ROOT, make_demo, stored_cells
from openpyxl import load_workbook

from pipeline.run import batch
from pipeline.validation import validate

sys.path.insert(0, str(ROOT / "tests"))


def _columns(campaign):
    """The roster's worksheet (it holds 评定结果 beside each member) and the 0-based preview columns."""
    layout = campaign.workbooks["unit"]
    keys = [c.key for c in layout.worksheet_columns("decisions")]
    return layout.worksheet_name("decisions"), keys.index("preview_composite"), keys.index("preview_grade")


def test_the_template_carries_the_preview_beside_each_member(campaign, tmp_path):
    from pipeline.outputs.units import templates
    path = templates.write_all(campaign, tmp_path)[0]
    name, c, g = _columns(campaign)
    ws = load_workbook(path)[name]
    assert [ws.cell(1, c + 1).value, ws.cell(1, g + 1).value] == ["综合得分（参考）", "建议等次（参考）"]
    last = campaign.limits.preview_rows + 1
    assert str(ws.cell(2, c + 1).value).startswith("=") and str(ws.cell(last, g + 1).value).startswith("=")
    assert ws.cell(1, 1).value == "党员编号*"  # the member is typed once: 评定等次 on the same row
    assert "评定结果" not in load_workbook(path).sheetnames


def test_no_volatile_function_and_no_array_arithmetic_per_member(campaign, tmp_path):
    """The cost follows the ballot rows: member rows hold conditional sums, never SUMPRODUCT over
    whole ballot columns, and no cell holds INDIRECT or OFFSET."""
    from pipeline.outputs.units import preview, templates
    path = templates.write_all(campaign, tmp_path)[0]
    wb = load_workbook(path)
    formulas = [str(c.value.text if hasattr(c.value, "text") else c.value) for ws in wb.worksheets
                for c in stored_cells(ws) if c.data_type == "f"]
    assert formulas and not [f for f in formulas if "INDIRECT" in f.upper() or "OFFSET" in f.upper()]
    members = [str(c.value) for row in wb[preview.SHEET].iter_rows(min_row=2) for c in row if c.data_type == "f"]
    assert not [f for f in members if "SUMPRODUCT(COUNTIF" in f or "_bp" in f and "SUMPRODUCT" in f]


def test_the_pipeline_never_reads_the_preview(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=5, seed=2)
    path = next(p for p in inbox.iterdir() if p.name.startswith("FN01"))
    name, c, g = _columns(campaign)
    wb = load_workbook(path)
    ws = wb[name]
    ws.cell(2, c + 1).value, ws.cell(2, g + 1).value = 12.5, "不合格"  # a clerk typed over the formulas
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert sub.accepted and not [f for f in sub.findings if f.sheet == name and f.cell.startswith(("K", "L"))]
    assert "preview_composite" not in sub.tables["decisions"]
    ws.delete_cols(c + 1, 2)  # and a workbook without the preview columns is fine too
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert sub.accepted and not [f for f in sub.findings if f.code == "E_MISSING_COLUMN"]


def _typed_points(campaign, path):
    """Every second ballot row rated in points instead of labels, as a unit pasting numbers would."""
    layout = campaign.workbooks["unit"]
    sheet = layout.sheet("member_ballots")
    keys = [c.key for c in sheet.columns]
    wb = load_workbook(path)
    ws = wb[sheet.name]
    for r in range(2, ws.max_row + 1, 2):
        form = ws.cell(r, keys.index("form") + 1).value
        if not form:
            continue
        scale = campaign.form("member", form).scale
        for col in sheet.rating_columns:
            cell = ws.cell(r, keys.index(col.key) + 1)
            points = scale.points_of(cell.value)
            if points is not None:
                cell.value = points
    wb.save(path)


@pytest.mark.soffice
@pytest.mark.parametrize("variant", [{}, {"tallies": True}, {"absent": 2}, {"points": True}],
                         ids=["ballots", "tallies", "absent", "typed-points"])
def test_libreoffice_previews_equal_the_pipelines_results(campaign, tmp_path, variant):
    from lo_run import run_uno_script
    variant = dict(variant)
    points = variant.pop("points", False)
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=3, members=12, seed=41, **variant)
    if points:
        for path in inbox.glob("FN*.xlsx"):
            _typed_points(campaign, path)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert result.complete
    expected = {r["member_id"]: r for r in csv.DictReader(open(result.folder / "data" / "member_results.csv",
                                                              encoding="utf-8-sig"))}
    notes = " ".join(r["grade_note"] for r in expected.values())
    assert "至多" in notes and "满意率" in notes  # the cap and the veto are both exercised
    name, c, g = _columns(campaign)
    files = [str(f.received.path) for f in result.files if f.stored.kind == "unit"]
    out = run_uno_script(ROOT / "tests" / "lo_recalc.py", tmp_path / "profile",
                         [name, str(c), str(g), str(campaign.limits.preview_rows), *files], timeout=300)
    seen = [row for unit in json.loads(out) for row in unit]
    assert len(seen) == len(expected) == 3 * 12
    for member, composite, grade in seen:
        want = expected[member]
        assert (composite, grade) == (float(want["composite"]) if want["composite"] else None,
                                      want["suggested_grade"]), member
