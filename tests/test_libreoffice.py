"""Real clients: LibreOffice opens what we write, and what LibreOffice writes is read the same way.

Runs where `soffice` is installed (CI installs it: see .ci/run); elsewhere each test is skipped
with the reason shown. Under CI a missing soffice is a failure, not a skip.
"""

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from conftest import AS_OF, ROOT, make_demo
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula

from pipeline import labels, layout
from pipeline.run import batch
from pipeline.outputs.leaders import pack, publication
from pipeline.outputs.units import templates
from pipeline.validation import validate

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [pytest.mark.soffice,
              pytest.mark.skipif(SOFFICE is None and not os.environ.get("CI"),
                                 reason="LibreOffice (soffice) is not installed here; CI installs it (.ci/run)")]


def convert(files: list[Path], target: str, outdir: Path, profile: Path) -> list[Path]:
    """Convert with headless LibreOffice, one process for all files; returns the outputs."""
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
           "--convert-to", target, "--outdir", str(outdir)] + [str(f) for f in files]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        proc.communicate(timeout=600)
    finally:  # soffice.bin runs under the launcher: end the whole group, also on a timeout
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, cmd
    ext = target.split(":")[0]
    outs = [outdir / f"{f.stem}.{ext}" for f in files]
    missing = [o for o in outs if not o.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return outs


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    return tmp_path_factory.mktemp("lo-profile")


@pytest.fixture(scope="module")
def run(campaign, tmp_path_factory):
    root = tmp_path_factory.mktemp("lo-run")
    inbox = root / "inbox"
    make_demo(campaign, inbox, units=4, members=8, seed=51, defects=True)
    return batch.run(campaign, inbox, root / "out", root / "arch", as_of=AS_OF), inbox


def test_templates_convert_to_pdf_with_their_headers(campaign, tmp_path, profile):
    files = templates.write_all(campaign, tmp_path / "t")
    pdfs = convert(files, "pdf", tmp_path / "pdf", profile)
    assert len(pdfs) == len(files) > 0
    for f, pdf in zip(files, pdfs):
        text = pdf_text(pdf)
        layout = campaign.workbooks["unit" if f.name.startswith("单位") else "street"]
        for sheet in layout.sheets:
            assert sheet.columns[0].label in text, (f.name, sheet.name)
        assert "填报信息" in text and "template_id" not in text, "the very hidden _meta is not printed"


def test_outputs_convert_to_pdf_without_hashes(run, tmp_path, profile, campaign):
    result, _ = run
    files = [result.folder / pack.report_name(campaign), result.folder / publication.publication_name(campaign)] + \
        sorted((result.folder / labels.RETURNED_DIR).glob("*.xlsx"))
    copies = []
    for i, f in enumerate(files):  # ASCII names: one LibreOffice call converts them all
        copies.append(tmp_path / f"out{i}.xlsx")
        shutil.copyfile(f, copies[-1])
    pdfs = convert(copies, "pdf", tmp_path / "pdf", profile)
    texts = [pdf_text(p) for p in pdfs]
    for header in ("单位编码", "综合得分", "组织等次", "销号率", "低分项", "不符合条件的推荐及理由", "抽查对象"):
        assert header in texts[0], header
    assert "SHA-256" not in texts[0] and not re.search(r"\b[0-9a-f]{64}\b", texts[0]), "no hash printed for leaders"
    assert "###" not in texts[0], "a number too wide for its column"
    assert "评定等次" in texts[1] and "基层党组织评议等次" in texts[1]
    for t in texts[2:]:
        assert "严重程度" in t and "修改方法" in t


def _tables(sub):
    return {k: df.drop(columns="_row").reset_index(drop=True) for k, df in sub.tables.items()}


@pytest.mark.parametrize("target", ["xlsx:Calc MS Excel 2007 XML", "xls:MS Excel 97", "ods"])
def test_a_submission_resaved_by_libreoffice_is_read_the_same(campaign, tmp_path, profile, target):
    folder, _ = make_demo(campaign, tmp_path / "in", units=1, members=6, seed=52)
    original = next(folder.glob("FN01*.xlsx"))
    plain = tmp_path / "unit.xlsx"
    shutil.copyfile(original, plain)
    resaved = convert([plain], target, tmp_path / "lo", profile)[0]
    a = validate.validate_file(original, original.name, campaign)
    b = validate.validate_file(resaved, resaved.name, campaign)
    assert a.accepted and b.accepted, [(f.code, f.sheet, f.cell) for f in b.findings]
    assert b.format == target.split(":")[0] and b.unit_code == "FN01"
    assert {f.code for f in b.findings} <= {"N_NO_META"}
    ta, tb = _tables(a), _tables(b)
    assert ta.keys() == tb.keys()
    for key in ta:
        pd.testing.assert_frame_equal(ta[key], tb[key], check_dtype=False, obj=key)


def _typed_into_the_blank_template(campaign, filled: Path, out: Path) -> Path:
    """A demo unit's typed values, cell for cell, in the blank template as units get it (its preview formulas
    reaching every roster row the template offers, far past the last member)."""
    source = load_workbook(filled)
    blank = templates.build(campaign, "unit", "R1")
    for ws in source.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None and not (isinstance(c.value, str) and c.value.startswith("=")) \
                        and c.data_type != "f" and not isinstance(blank[ws.title][c.coordinate].value, ArrayFormula):
                    if blank[ws.title][c.coordinate].data_type != "f":
                        blank[ws.title][c.coordinate].value = c.value
    blank.save(out)
    return out


@pytest.mark.parametrize("target", ["xls:MS Excel 97", "ods"])
def test_the_blank_template_filled_and_saved_as_xls_or_ods_reads_like_its_xlsx(campaign, tmp_path, profile, target):
    """Saved as .xls or .ods, the preview's formulas of the empty roster rows are stored as 0 or "": those
    rows were never typed, and are neither data nor required."""
    folder, _ = make_demo(campaign, tmp_path / "in", units=1, members=6, seed=52)
    plain = _typed_into_the_blank_template(campaign, next(folder.glob("FN01*.xlsx")), tmp_path / "unit.xlsx")
    resaved = convert([plain], target, tmp_path / "lo", profile)[0]
    a = validate.validate_file(plain, plain.name, campaign)
    b = validate.validate_file(resaved, resaved.name, campaign)
    assert a.accepted and b.accepted, [(f.code, f.sheet, f.cell) for f in b.errors][:5]
    ta, tb = _tables(a), _tables(b)
    assert ta.keys() == tb.keys() and len(ta["roster"]) == 6
    for key in ta:
        pd.testing.assert_frame_equal(ta[key], tb[key], check_dtype=False, obj=key)
    run_a = batch.run(campaign, _inbox(tmp_path / "a", plain), tmp_path / "oa", tmp_path / "aa", as_of=AS_OF)
    run_b = batch.run(campaign, _inbox(tmp_path / "b", resaved), tmp_path / "ob", tmp_path / "ab", as_of=AS_OF)
    assert (run_a.folder / "data" / "member_results.csv").read_bytes() == \
        (run_b.folder / "data" / "member_results.csv").read_bytes(), "the same results"


def _inbox(folder: Path, file: Path) -> Path:
    folder.mkdir()
    shutil.copyfile(file, folder / file.name)
    return folder


def test_a_template_filled_and_saved_by_libreoffice_keeps_its_dropdowns(campaign, tmp_path, profile):
    path = templates.write_all(campaign, tmp_path / "t")[0]
    wb = load_workbook(path)
    ws = wb["党员名册"]
    for j, v in enumerate(["FN01-001", "张三", "男", "第一党支部", "正式党员", dt.date(1990, 7, 1), "是"], start=1):
        ws.cell(2, j).value = v
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    saved = convert([filled], "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo", profile)[0]

    def dropdowns(p):
        book = load_workbook(p)
        return {ws.title: sorted(dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list")
                for ws in book.worksheets if ws.sheet_state == "visible"}

    def reach(p):
        """The last row each data sheet's validations cover, column by column."""
        book = load_workbook(p)
        out = {}
        for ws in book.worksheets:
            if ws.sheet_state == "visible" and ws.title != "填报说明":
                for dv in ws.data_validations.dataValidation:
                    for rng in dv.sqref.ranges:
                        for col in range(rng.min_col, rng.max_col + 1):
                            key = (ws.title, col)
                            out[key] = max(out.get(key, 0), rng.max_row)
        return out
    before, after = dropdowns(filled), dropdowns(saved)
    assert after == before and sum(len(v) for v in after.values()) >= 15
    assert reach(saved) == reach(filled) and min(reach(saved).values()) >= campaign.limits.template_rows + 1
    assert load_workbook(saved)["党员名册"]["B2"].value == "张三"


def test_libreoffice_offers_each_ballot_row_only_its_forms_options(campaign, tmp_path):
    """Typed into the template in LibreOffice itself: 好 on a 群众评议 row and 满意 on a 党员互评 row are
    invalid there, the right options and a row without a form yet are not."""
    from lo_run import run_uno_script
    path = templates.write_all(campaign, tmp_path / "t")[0]
    sheet = campaign.workbooks["unit"].sheet("member_ballots")
    public, peer = (campaign.form_by_role("member", r).name for r in ("public", "peer"))
    best, satisfied = campaign.scales["rating"].labels[0], campaign.scales["satisfaction"].labels[0]
    rows = [f"{public}|{best}", f"{public}|{satisfied}", f"{peer}|{satisfied}", f"{peer}|{best}", f"|{best}"]
    out = run_uno_script(ROOT / "tests" / "lo_validity.py", tmp_path / "profile", [str(path), sheet.name, *rows],
                         timeout=240)
    assert out.split()[-1] == "2,4"  # Excel rows 2 and 4: 好 for 群众评议, 满意 for 党员互评


def test_the_empty_template_prints_one_page_a_sheet(campaign, tmp_path, profile):
    """Nothing prints empty pages: the preview's formulas in every member row stay off the print."""
    wb = load_workbook(templates.write_all(campaign, tmp_path / "t")[0])
    wb[layout.INFO_SHEET].sheet_state = "hidden"  # the instructions run to two pages; every form is empty
    path = tmp_path / "forms.xlsx"
    wb.save(path)
    pdf = convert([path], "pdf", tmp_path / "pdf", profile)[0]
    forms = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert len(forms) >= 8 and pdf_text(pdf).count("\f") == len(forms)
