"""Leadership workbooks: every sheet and chart, text never turned into a formula, nothing private in
the publication list, and the same ledger and as-of date giving the same cells."""

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from conftest import AS_OF, make_demo, stored_cells
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from pipeline import demo, labels
from pipeline.run import batch
from pipeline.outputs.leaders import pack, publication


@pytest.fixture(scope="module")
def runs(campaign, tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    inbox = root / "inbox"
    demo.generate(campaign, inbox, units=6, members=10, seed=41, defects=True, as_of=AS_OF)
    first = batch.run(campaign, inbox, root / "out", root / "arch", as_of=AS_OF)
    second = batch.run(campaign, inbox, root / "out", root / "arch", as_of=AS_OF)
    return first, second, inbox


def _cells(path):
    book = CalamineWorkbook.from_path(str(path))
    return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}


def test_report_has_every_sheet_with_chinese_headers(runs, campaign):
    first, _, _ = runs
    wb = load_workbook(first.folder / pack.report_name(campaign))
    assert wb.sheetnames == pack.sheet_names(campaign)
    forms = [f.name for f in campaign.forms["org"]]
    expect = {"总览": (5, ["单位编码", "单位名称", "报送情况", "参评率", "综合得分"]),
              "组织评议": (4, ["单位编码", "单位名称"] + forms + ["综合得分", "等次", "排名"]),
              "五个好得分": (4, ["单位编码", "单位名称"] + [c.name for c in campaign.criteria["org"]] + ["较弱项"]),
              "整改情况": (4, ["单位编码", "单位名称", "整改事项", "已销号", "销号率"]),
              "应整改未整改": (3, ["单位名称", "姓名", "建议等次", "低分项", "其他问题"]),
              "先进推荐": (4, ["单位名称", "先进基层党组织\n名额", "推荐", "其中不符合\n条件"]),
              "抽查名单": (3, ["抽查对象", "单位编码"])}
    portrait = {"应整改未整改"}
    for name, (row, head) in expect.items():
        ws = wb[name]
        assert [ws.cell(row, j + 1).value for j in range(len(head))] == head, name
        assert ws.freeze_panes is not None
        assert ws.page_setup.orientation == ("portrait" if name in portrait else "landscape"), name
        # one page wide (fitToWidth absent means 1), as many pages down as needed
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    org = wb["组织评议"]
    assert org.cell(5, 3).number_format == "0.0"
    assert wb["五个好得分"].conditional_formatting, "the criteria coloured by grade band, as numbers"
    assert org.conditional_formatting, "scores coloured by grade band"


def test_the_overview_names_every_unit_and_its_total_line_adds_up(runs, campaign):
    """Every unit by name beside its code, in campaign order; the 合计 line is the sum of the lines above
    (checked column by column against the member results), and no cell is a bare internal code."""
    first, _, _ = runs
    rows = _cells(first.folder / pack.report_name(campaign))["总览"]
    header = rows[4]
    body, total = rows[5:5 + len(campaign.units)], rows[5 + len(campaign.units)]
    assert [(r[0], r[1]) for r in body] == [(u.code, campaign.unit_name(u.code)) for u in campaign.units]
    assert total[0] == "合计" and total[2] == f"已报 {len(first.report.files)}"
    assert f"已报 {len(first.report.files)}" in rows[1][0], "the summary line counts the units that sent"
    members = first.report.scores.member_results
    for grade in campaign.enums["@member_grades_decided"]:
        j = [str(h).replace("\n", "") for h in header].index(grade)
        assert total[j] == sum(r[j] or 0 for r in body) == int((members["decided_grade"] == grade).sum()), grade
    j = header.index("党员数")
    assert total[j] == len(members)
    j = [str(h).replace("\n", "") for h in header].index("整改事项")
    assert total[j] == len(first.report.rectifications)
    counts = first.report.unit_counts.set_index("unit_code")  # the per-unit counts' one home (flags.unit_counts)
    flat = [str(h).replace("\n", "") for h in header]
    for col, key in (("整改事项", "items"), ("逾期未销号", "R_OVERDUE"), ("应整改未整改", "unaddressed")):
        j = flat.index(col)
        assert [r[j] for r in body if r[4] not in ("", None)] == \
            [counts.at[r[0], key] for r in body if r[4] not in ("", None)], col
    text = "\n".join(str(v) for r in rows for v in r)
    assert not re.search(r"\b[A-Z]_[A-Z_]+\b", text), "no internal code on a printed sheet"


def test_every_coloured_sheet_has_a_key(runs, campaign):
    """A sheet whose cells are filled by meaning carries a 颜色说明 row naming each colour."""
    first, _, _ = runs
    wb = load_workbook(first.folder / pack.report_name(campaign))
    for name in ("总览", "组织评议", "整改情况", "先进推荐"):
        ws = wb[name]
        keys = [r for r in ws.iter_rows(max_row=4) if any(c.value == "颜色说明" for c in r)]
        assert keys, name
        filled = [c.value for c in keys[0] if c.fill is not None and c.fill.fgColor.rgb not in (None, "00000000")]
        assert filled, name
    bands = [c.value for c in next(r for r in wb["组织评议"].iter_rows(max_row=4)
                                   if any(c.value == "颜色说明" for c in r)) if c.value and c.value != "颜色说明"]
    assert bands == [f"{b.grade} ≥{b.min:g}" for b in campaign.grades["org"].bands[:-1]] + \
        [f"{campaign.grades['org'].bands[-1].grade} <{campaign.grades['org'].bands[-2].min:g}"]


def _charts(path):
    """(chart kind, series count, y-axis minimum) of every chart part in the package."""
    out = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml", n)):
            xml = z.read(name).decode("utf-8")
            kind = re.search(r"<(?:c:)?(radarChart|barChart|lineChart|pieChart)>", xml).group(1)
            m = re.search(r'<(?:c:)?valAx>.*?<(?:c:)?min val="([\d.]+)"', xml, re.S)
            out.append((kind, len(re.findall(r"<(?:c:)?ser>", xml)), float(m.group(1)) if m else None))
    return out


def test_every_chart_is_in_the_package_with_its_series(campaign, runs):
    first, _, _ = runs
    charts = _charts(first.folder / pack.report_name(campaign))
    assert not [c for c in charts if c[0] == "radarChart"], "the criteria are numbers, not thumbnails"
    bars = [c for c in charts if c[0] == "barChart"]
    grades = len(campaign.enums["@member_grades_decided"])
    # the ranking (one series, from the lowest score of the scale) and the grade distribution (a series a grade)
    assert sorted((n, lo) for _, n, lo in bars) == sorted([(1, campaign.scales["rating"].lowest), (grades, 0)])


def test_no_submitted_text_becomes_a_formula_in_any_output(runs, campaign):
    first, _, inbox = runs
    injected = set(demo.FORMULA_TEXTS)
    outputs = [first.folder / pack.report_name(campaign), first.folder / pack.detail_name(campaign),
               first.folder / publication.publication_name(campaign)] + \
        sorted((first.folder / labels.RETURNED_DIR).glob("*.xlsx"))
    # A returned copy is the unit's own workbook: the template's preview formulas stay, nothing else.
    layout = campaign.workbooks["unit"]
    preview_cols = {get_column_letter(j) for j, c in enumerate(layout.worksheet_columns("decisions"), start=1)
                    if c.type == "preview"}
    preview_sheets = {"_preview", "_pv_ballots", "_pv_tallies"}
    seen = set()
    for path in outputs:
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for c in stored_cells(ws):
                if c.data_type == "f":
                    assert ws.title in preview_sheets or (ws.title == layout.worksheet_name("decisions")
                                                          and c.column_letter in preview_cols), \
                        f"{path.name}!{ws.title}!{c.coordinate} holds a formula that is not the template's"
                if c.value in injected:
                    seen.add(c.value)
    assert demo.FORMULA_TEXTS[0] in seen, "the injected text reached an output, as text"
    rect = (first.folder / "data" / "rectifications.csv").read_text(encoding="utf-8-sig")
    assert "'" + demo.FORMULA_TEXTS[0].replace('"', '""') in rect, "CSV cells are defused too"
    assert "\n=" not in rect and ",=" not in rect


def test_publication_list_has_names_units_and_grades_only(campaign, runs):
    first, _, inbox = runs
    cells = _cells(first.folder / publication.publication_name(campaign))
    assert list(cells) == ["街道公示", "各单位公示", "拟表彰对象"]
    text = "\n".join(str(v) for rows in cells.values() for row in rows for v in row)
    header = [campaign.workbooks["unit"].sheet("roster").column("name").label,
              campaign.workbooks["unit"].sheet("decisions").column("decided_grade").label] * publication.PAIRS
    assert header in cells["各单位公示"]
    opinions = set()
    for path in inbox.glob("*.xlsx"):
        if path.stat().st_size == 0:
            continue
        book = CalamineWorkbook.from_path(str(path))
        for sheet in ("组织评议", "党员评议"):
            if sheet in book.sheet_names:
                rows = book.get_sheet_by_name(sheet).to_python()
                col = rows[0].index("意见建议")
                opinions |= {r[col] for r in rows[1:] if r[col]}
    assert opinions and not any(o in text for o in opinions)
    assert not re.search(r"FN\d\d-\d{3}", text), "no member ids"
    assert "票" not in text and "满意率" not in text
    grades = {v for r in cells["各单位公示"] if r != header for v in r[1::2] if v in campaign.enums["@member_grades_decided"]}
    assert grades and grades <= set(campaign.publication.grades)
    book = load_workbook(first.folder / publication.publication_name(campaign))
    fills = {c.fill.fgColor.rgb for ws in book.worksheets for row in ws.iter_rows() for c in row if c.fill.fill_type}
    assert fills == set(), "a notice to post carries no colour"
    assert book["各单位公示"].row_breaks.count == len(first.report.files) - 1, "each unit's notice on a page of its own"


def _day(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def test_publication_period_contact_and_nominees(campaign, runs, tmp_path):
    import dataclasses

    from pipeline.outputs.leaders import publication as pub_mod
    first, _, _ = runs
    cells = _cells(first.folder / publication.publication_name(campaign))
    rnd = campaign.round("R1")
    start, end = campaign.publication.period(rnd.publish_results_on)
    assert start != AS_OF and (end - start).days == campaign.publication.days - 1
    n_start, n_end = campaign.publication.nominee_period(rnd)
    assert n_end < rnd.commendation_date
    for name, (a, b) in {"街道公示": (start, end), "拟表彰对象": (n_start, n_end)}.items():
        sheet = cells[name]
        assert sheet[2][0] == f"公示期：{_day(a)}至{_day(b)}（{(b - a).days + 1} 天）。"
        assert campaign.publication.phone in sheet[3][0] and campaign.publication.contact in sheet[3][0]
        assert [r[0] for r in sheet[-2:]] == [campaign.documents.issuer, _day(a)], "落款 and date at the foot"
    passed = first.report.nominations[first.report.nominations["verdict"] == "符合"]
    listed = "\n".join(str(r[0]) for r in cells["拟表彰对象"])
    assert len(passed) > 0 and all(n in listed for n in passed["name"])
    assert _day(rnd.commendation_date) in cells["拟表彰对象"][1][0]  # the round's commendation date
    pending = [r[0] for r in cells["街道公示"] if str(r[0]).startswith("以下单位的评议结果待定")]
    subs = first.report.submissions
    assert len(pending) == 1 and all(campaign.unit_name(u) in pending[0] for u in subs[subs["state"] != "已报"]["unit_code"])
    # Only the configured grades are listed; a publication date given for the run moves the period.
    only = dataclasses.replace(campaign, publication=dataclasses.replace(campaign.publication, grades=("优秀",)))
    later = dataclasses.replace(first.report, publish_on=start.replace(day=20))
    pub_mod.write(only, later, tmp_path / "p.xlsx")
    sheet = _cells(tmp_path / "p.xlsx")["各单位公示"]
    grades = {v for r in sheet for v in r[1::2] if v in campaign.enums["@member_grades_decided"]}
    assert grades == {"优秀"}
    assert sheet[2][0].startswith(f"公示期：{_day(start.replace(day=20))}至")


def test_the_notices_are_documents_ready_to_post(campaign, runs):
    import docx
    first, _, _ = runs
    rnd = campaign.round("R1")
    results = docx.Document(str(first.folder / f"{campaign.outputs['notice']}.docx"))
    text = "\n".join(p.text for p in results.paragraphs)
    start, end = campaign.publication.period(rnd.publish_results_on)
    assert f"公示期：{_day(start)}至{_day(end)}" in text.replace(" ", "")
    assert [p.text for p in results.paragraphs if p.text.strip()][-2:] == [campaign.documents.issuer, _day(start)]
    members = first.report.scores.member_results.merge(first.report.roster[["unit_code", "member_id", "name"]])
    excellent = members[members["decided_grade"].isin(campaign.publication.street_grades)]
    assert len(excellent) and all(n in text for n in excellent["name"])
    for unit in first.report.files:  # each unit's own notice lists its members and their grades
        own = docx.Document(str(first.folder / publication.units_folder(campaign) /
                                f"{unit}_{campaign.unit_name(unit)}.docx"))
        cells = [c.text for t in own.tables for row in t.rows for c in row.cells]
        mine = members[(members["unit_code"] == unit) & members["decided_grade"].isin(campaign.publication.grades)]
        assert set(mine["name"]) <= set(cells) and campaign.unit_name(unit) in own.paragraphs[0].text
    nominees = docx.Document(str(first.folder / f"{campaign.outputs['nominee_notice']}.docx"))
    n_start, n_end = campaign.publication.nominee_period(rnd)
    said = "\n".join(p.text for p in nominees.paragraphs)
    assert f"公示期：{_day(n_start)}至{_day(n_end)}" in said.replace(" ", "")
    passed = first.report.nominations[first.report.nominations["verdict"] == "符合"]
    assert all(n in said for n in passed["name"])


def test_same_ledger_and_as_of_give_the_same_cells(runs, campaign):
    first, second, _ = runs
    for name in (pack.report_name(campaign), publication.publication_name(campaign)):
        assert _cells(first.folder / name) == _cells(second.folder / name), name
    a = load_workbook(first.folder / pack.report_name(campaign)).properties
    b = load_workbook(second.folder / pack.report_name(campaign)).properties
    assert (a.creator, a.created, a.modified) == (b.creator, b.created, b.modified)
    assert a.created.date() == AS_OF


def test_manifest_lists_every_output_with_its_hash(runs, campaign):
    import hashlib
    import json
    first, _, _ = runs
    m = json.loads((first.folder / "manifest.json").read_text(encoding="utf-8"))
    paths = {o["path"] for o in m["outputs"]}
    assert {pack.report_name(campaign), publication.publication_name(campaign), "data/findings.csv"} <= paths
    for o in m["outputs"]:
        assert hashlib.sha256((first.folder / o["path"]).read_bytes()).hexdigest() == o["sha256"]


def test_the_detail_book_lists_everything_one_by_one(runs, campaign):
    """明细表: each member, ledger item, 应整改未整改 line, nomination, finding and received file on a line
    of its own, with the file's hash; each sheet filterable under a frozen header."""
    first, _, _ = runs
    path = first.folder / pack.detail_name(campaign)
    cells = _cells(path)
    r = first.report
    unit = campaign.workbooks["unit"]
    expect = {unit.sheet("member_ballots").name: len(r.scores.member_results),
              unit.sheet("rectifications").name: len(r.rectifications), "应整改未整改": len(r.coverage),
              unit.sheet("nominations").name: len(r.nominations) + len(r.eligible),
              "数据问题": sum(len(f.findings) for f in first.files) + len(r.findings), "收到的文件": len(first.files)}
    assert list(cells) == list(expect)
    for name, n in expect.items():
        assert len([row for row in cells[name][3:] if any(v not in ("", None) for v in row)]) == n, name
    hashes = {row[1] for row in cells["收到的文件"][3:]}
    assert {f.received.sha256 for f in first.files} == hashes
    wb = load_workbook(path)
    assert all(ws.auto_filter.ref and ws.freeze_panes for ws in wb.worksheets)


def test_the_overview_shows_each_units_change_since_the_previous_round(campaign, tmp_path):
    """R2 after R1 on one archive: 总览 gains 较上阶段, each unit's R2 composite minus its R1 composite as the
    two rounds' org_results.csv give them (a unit missing from either has no figure)."""
    out, arch = tmp_path / "out", tmp_path / "arch"
    for code, as_of in (("R1", AS_OF), ("R2", dt.date(2012, 6, 15))):
        inbox, _ = make_demo(campaign, tmp_path / code, units=4, members=6, seed=f"change-{code}", round_code=code,
                             as_of=as_of)
        batch.run(campaign, inbox, out, arch, round_code=code, as_of=as_of)
    composite = {}
    for code in ("R1", "R2"):
        (folder,) = [p for p in (out / code).iterdir() if p.is_dir()]
        rows = list(csv.DictReader(io.StringIO((folder / "data" / "org_results.csv").read_text(encoding="utf-8-sig"))))
        composite[code] = {r["unit_code"]: float(r["composite"]) for r in rows if r["composite"]}
    rows = _cells(folder / pack.report_name(campaign))["总览"]
    j = rows[4].index("较上阶段")
    shown = {r[0]: r[j] for r in rows[5:5 + len(campaign.units)]}
    both = composite["R1"].keys() & composite["R2"].keys()
    assert len(both) == 4
    for unit, value in shown.items():
        expect = round(composite["R2"][unit] - composite["R1"][unit], 2) if unit in both else ""
        assert value == pytest.approx(expect) if expect != "" else value in ("", None), unit
    r1_rows = _cells(next(p for p in (out / "R1").iterdir() if p.is_dir()) / pack.report_name(campaign))["总览"]
    assert "较上阶段" not in r1_rows[4], "no previous round, no column"
