"""情况通报.docx (SPEC §8): a draft official document whose every figure equals the round's CSV files,
read back from the .docx; laid out on A4 in at most four pages (rendered with LibreOffice)."""

import re
import subprocess

import docx
import pandas as pd
import pytest
from conftest import AS_OF, make_demo
from test_libreoffice import SOFFICE, convert  # noqa: F401 - the same skip rule for the rendered test

from pipeline.run import batch


@pytest.fixture(scope="module")
def run(campaign, tmp_path_factory):
    root = tmp_path_factory.mktemp("briefing")
    make_demo(campaign, root / "inbox", units=7, members=10, seed=23, defects=True)
    result = batch.run(campaign, root / "inbox", root / "out", root / "arch", as_of=AS_OF)
    return campaign, result.folder


def _csv(folder, name):
    return pd.read_csv(folder / "data" / name, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _text(path) -> str:
    """Every paragraph and table cell of the document, spaces removed."""
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for row in t.rows for c in row.cells]
    return re.sub(r"\s+", "", "\n".join(parts))


def _pct(part: int, whole: int) -> str:
    tenths = int(part * 1000 / whole + 0.5 + 1e-9)  # half up, by hand
    return f"{tenths / 10:.1f}%"


def test_every_figure_equals_the_csv_files(run):
    campaign, folder = run
    text = _text(folder / f"{campaign.outputs['briefing']}.docx")
    name = campaign.unit_name
    subs = _csv(folder, "submissions.csv")
    reported, rejected, missing = (subs[subs["state"] == s]["unit_code"].tolist() for s in ("已报", "退回修改", "未报"))
    assert rejected and missing, "the demo has units returned and units missing"
    assert f"应报单位{len(campaign.units)}个，已报并通过审核{len(reported)}个，退回修改{len(rejected)}个" in text
    named = lambda units: "、".join(name(u) for u in units[:3]) + (f"等{len(units)}个单位" if len(units) > 3 else "")  # noqa: E731
    assert f"退回修改{len(rejected)}个（{named(rejected)}）" in text and f"未报{len(missing)}个（{named(missing)}）" in text
    members = _csv(folder, "member_results.csv")
    full = members[members["suggested_grade"] != campaign.grades["member"].probationary_grade]
    reviewed = full[full["composite"] != ""]
    assert f"正式党员{len(full)}名，参加评议{len(reviewed)}名，参评率{_pct(len(reviewed), len(full))}" in text
    probationary = (members["suggested_grade"] == campaign.grades["member"].probationary_grade).sum()
    assert f"另有预备党员{probationary}名参加评议，按规定不评定等次" in text
    assert f"以参加评议的正式党员{len(reviewed)}名为基数" in text, "the shares say their base: the cap's N"
    for grade in campaign.grades["member"].grades:
        n = int((reviewed["decided_grade"] == grade).sum())
        assert f"{grade}{n}{_pct(n, len(reviewed))}" in text, grade  # the grade table's row
    orgs = _csv(folder, "org_results.csv")
    counts = {grade: int((orgs["grade"] == grade).sum()) for grade in campaign.grades["org"].grades}
    said = [grade for grade in counts if f"{grade}{counts[grade]}个" in text]
    assert said == [grade for grade, n in counts.items() if n], "each grade held by a unit, with its count; no 0 个"
    best = orgs.assign(c=orgs["composite"].astype(float)).sort_values(["c", "unit_code"], ascending=[False, True]).iloc[0]
    assert f"综合得分较高的单位：{name(best['unit_code'])}（{float(best['composite']):.2f}分）" in text
    rect = _csv(folder, "rectifications.csv")
    closed = (rect["status"] == campaign.rectification.closed_status).sum()
    assert f"整改事项{len(rect)}项，已销号{closed}项，销号率{_pct(closed, len(rect))}" in text
    overdue = rect[rect["flags"].str.contains("R_OVERDUE")].groupby("unit_code").size()
    assert f"逾期未销号{overdue.sum()}项，涉及{len(overdue)}个单位" in text
    most = overdue.sort_values(ascending=False, kind="stable")
    assert f"{name(most.index[0])}（{most.iloc[0]}项）" in text, "the units with most overdue items are named first"
    noms = _csv(folder, "nominations.csv")
    for kind in (campaign.commendation.member_kind, campaign.commendation.worker_kind):
        mine = noms[noms["nomination_kind"] == kind]
        assert f"{kind}推荐{len(mine)}名，符合条件{(mine['verdict'] == '符合').sum()}名" in text
    for unit in _csv(folder, "missing_activities.csv")["unit_code"].unique():
        assert name(unit) in text.split("仍未开展规定活动的单位")[1]
    coverage = _csv(folder, "coverage_flags.csv")
    assert f"应整改未整改的问题{len(coverage)}项，其中" in text
    for code, n in coverage["code"].value_counts().items():
        assert f"{campaign.documents.phrases[code]}{n}项" in text, code
    assert not re.search(r"低分项无整改|等次偏低无整改|整改事项遗漏|群众意见未回应|点评问题未整改", text), "no program labels"


def test_every_total_given_with_its_parts_adds_up(run):
    """A total with its parts lists all of them, and they add up (each sentence built from one list)."""
    campaign, folder = run
    text = _text(folder / f"{campaign.outputs['briefing']}.docx")
    totals = list(re.finditer(r"(\d+)(项|处)，其中((?:[^，。]*?\d+(?:项|处)、?)+)", text))
    assert len(totals) >= 2, "the 应整改未整改 total and the 三定 gaps"
    for m in totals:
        parts = [int(n) for n in re.findall(r"(\d+)(?:项|处)", m.group(3))]
        assert sum(parts) == int(m.group(1)), m.group(0)


def test_the_document_has_its_number_title_recipients_and_signature(run):
    campaign, folder = run
    d = docx.Document(str(folder / f"{campaign.outputs['briefing']}.docx"))
    lines = [p.text for p in d.paragraphs if p.text.strip()]
    assert lines[0] == f"{campaign.documents.number_prefix}〔{AS_OF.year}〕\u3000号"
    assert lines[1].startswith("关于") and lines[1].endswith("评议情况的通报")
    assert lines[2] == f"{campaign.documents.recipients}："
    assert lines[-4:-2] == [campaign.documents.issuer, f"{AS_OF.year}年{AS_OF.month}月{AS_OF.day}日"]
    section = d.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert [p.text[:2] for p in d.paragraphs if re.match("^[一二三四五六]、", p.text)] == \
        ["一、", "二、", "三、", "四、", "五、", "六、"]
    record = [p.text for p in d.paragraphs if p.text.startswith("抄送：") or p.text.endswith("印发")]
    assert record == [f"抄送：{campaign.documents.copies_to}。",
                      f"{campaign.documents.printer}\t{AS_OF.year}年{AS_OF.month}月{AS_OF.day}日印发"], "版记"
    assert d.settings.odd_and_even_pages_header_footer, "page numbers outside: odd right, even left"


@pytest.mark.soffice
def test_it_prints_on_at_most_four_a4_pages(run, tmp_path):
    campaign, folder = run
    (pdf,) = convert([folder / f"{campaign.outputs['briefing']}.docx"], "pdf", tmp_path / "pdf", tmp_path / "profile")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 1 <= pages <= 4
    assert "(A4)" in info


def test_a_later_round_is_compared_with_the_previous_one_from_the_ledger(campaign, tmp_path):
    import datetime as dt
    r1_as_of, r2_as_of = AS_OF, dt.date(2012, 6, 20)
    make_demo(campaign, tmp_path / "r1", units=4, members=8, seed=5)
    make_demo(campaign, tmp_path / "r2", units=4, members=8, seed=6, round_code="R2", as_of=r2_as_of)
    first = batch.run(campaign, tmp_path / "r1", tmp_path / "out", tmp_path / "arch", as_of=r1_as_of)
    second = batch.run(campaign, tmp_path / "r2", tmp_path / "out", tmp_path / "arch", as_of=r2_as_of)
    assert (first.round, second.round) == ("R1", "R2")
    text = _text(second.folder / f"{campaign.outputs['briefing']}.docx")
    assert "与第一阶段相比" in text and "与第一阶段相比" not in _text(first.folder / f"{campaign.outputs['briefing']}.docx")

    def rate(folder):
        members = _csv(folder, "member_results.csv")
        full = members[members["suggested_grade"] != campaign.grades["member"].probationary_grade]
        return _pct((full["composite"] != "").sum(), len(full))
    before, now = rate(first.folder), rate(second.folder)
    assert f"参评率{now}，{'持平' if before == now else ''}" in text if before == now else f"参评率{now}，" in text
    assert not re.search(r"由([\d.]+%)变为\1", text), "an unchanged figure is said as 持平"

    def closure(folder):
        rect = _csv(folder, "rectifications.csv")
        return _pct((rect["status"] == campaign.rectification.closed_status).sum(), len(rect))
    before, now = closure(first.folder), closure(second.folder)
    diff = round(float(now[:-1]) - float(before[:-1]), 1)
    said = "持平" if diff == 0 else f"{'上升' if diff > 0 else '下降'}{abs(diff):.1f}个百分点"
    assert f"整改销号率{now}，{said}" in text
    assert "组织等次提高的单位" in text
