"""The preview in 评定结果 (SPEC §3): 综合得分（参考） and 建议等次（参考） are live formulas that give
exactly SPEC §6. LibreOffice recalculates demo workbooks (ballots, tallies, members who took no part)
and every member's preview equals member_results.csv, the cap and the veto included."""

import csv
import json
import os
import shutil
import subprocess

import pytest
from conftest import AS_OF, ROOT, make_demo
from openpyxl import load_workbook

from pipeline import batch
from pipeline.validation import validate


def _decisions(campaign):
    sheet = campaign.workbooks["unit"].sheet("decisions")
    keys = [c.key for c in sheet.columns]
    return sheet, keys.index("preview_composite"), keys.index("preview_grade")


def test_the_template_carries_the_preview_formulas(campaign, tmp_path):
    from pipeline.outputs import templates
    path = templates.write_all(campaign, tmp_path)[0]
    sheet, c, g = _decisions(campaign)
    ws = load_workbook(path)[sheet.name]
    assert [ws.cell(1, c + 1).value, ws.cell(1, g + 1).value] == ["综合得分（参考）", "建议等次（参考）"]
    last = campaign.limits.preview_rows + 1
    assert str(ws.cell(2, c + 1).value).startswith("=") and str(ws.cell(last, g + 1).value).startswith("=")


def test_the_pipeline_never_reads_the_preview(campaign, tmp_path):
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=1, members=5, seed=2)
    path = next(p for p in inbox.iterdir() if p.name.startswith("FN01"))
    sheet, c, g = _decisions(campaign)
    wb = load_workbook(path)
    ws = wb[sheet.name]
    ws.cell(2, c + 1).value, ws.cell(2, g + 1).value = 12.5, "不合格"  # a clerk typed over the formulas
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert sub.accepted and not [f for f in sub.findings if f.sheet == sheet.name]
    assert "preview_composite" not in sub.tables["decisions"]
    ws.delete_cols(c + 1, 2)  # and a workbook without the preview columns is fine too
    wb.save(path)
    sub = validate.validate_file(path, path.name, campaign)
    assert sub.accepted and not [f for f in sub.findings if f.code == "E_MISSING_COLUMN"]


@pytest.mark.soffice
@pytest.mark.parametrize("variant", [{}, {"tallies": True}, {"absent": 2}], ids=["ballots", "tallies", "absent"])
def test_libreoffice_previews_equal_the_pipelines_results(campaign, tmp_path, variant):
    uno_python = shutil.which("python3", path="/usr/bin")
    if not uno_python or subprocess.run([uno_python, "-c", "import uno"], capture_output=True).returncode:
        if os.environ.get("CI"):
            pytest.fail("python3-uno is missing: .ci/run installs it")
        pytest.skip("python3-uno (LibreOffice's Python bridge) is not installed here; CI installs it")
    inbox, _ = make_demo(campaign, tmp_path / "inbox", units=3, members=12, seed=41, **variant)
    result = batch.run(campaign, inbox, tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert result.complete
    expected = {r["member_id"]: r for r in csv.DictReader(open(result.folder / "data" / "member_results.csv",
                                                              encoding="utf-8-sig"))}
    notes = " ".join(r["grade_note"] for r in expected.values())
    assert "至多" in notes and "满意率" in notes  # the cap and the veto are both exercised
    sheet, c, g = _decisions(campaign)
    files = [str(f.received.path) for f in result.files if f.stored.kind == "unit"]
    done = subprocess.run([uno_python, str(ROOT / "tests" / "lo_recalc.py"), str(tmp_path / "profile"), "2213",
                           sheet.name, str(c), str(g), str(campaign.limits.preview_rows), *files],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = [row for unit in json.loads(done.stdout) for row in unit]
    assert len(seen) == len(expected) == 3 * 12
    for member, composite, grade in seen:
        want = expected[member]
        assert (composite, grade) == (float(want["composite"]) if want["composite"] else None,
                                      want["suggested_grade"]), member
