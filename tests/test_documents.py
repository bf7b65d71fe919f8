"""What leaders and the public receive, as they receive it (SPEC §8): a district of 60 units x 80 members, the
first round and then the second on one archive, rendered with LibreOffice. The 通报 prints on at most four
pages and its totals add up; every 公示 prints on at most four pages (a unit's on one) with its 公示期 and
contact on page 1, and none over several units names a member graded 基本合格 or 不合格 or singles out a
预备党员; the reading pack prints on at most 20 pages and no two meanings share a colour in it.

Runs where `soffice` and `pdftotext` are installed (CI installs both: see .ci/run)."""

import re
import shutil
import subprocess

import docx
import pytest
from conftest import AS_OF, ROOT, make_demo
from openpyxl import load_workbook
from test_libreoffice import SOFFICE, convert, pytestmark  # noqa: F401 - the same skip rule

from pipeline.campaign import load
from pipeline.outputs.leaders import pack, publication
from pipeline.run import batch

R2_AS_OF = __import__("datetime").date(2012, 6, 20)
LOW = ("基本合格", "不合格")


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """(campaign, R1 result, R2 result, root): 60 units of 80 members, R1 then R2 on one archive."""
    root = tmp_path_factory.mktemp("district")
    text = (ROOT / "campaign.toml").read_text(encoding="utf-8")
    text += "".join(f'\n[[units]]\ncode = "D{i:03d}"\nname = "第{i}社区党委"\nkind = "社区"\n' for i in range(1, 51))
    (root / "campaign.toml").write_text(text, encoding="utf-8")
    big = load(root / "campaign.toml")
    make_demo(big, root / "r1", units=60, members=80, seed="pages")
    make_demo(big, root / "r2", units=60, members=80, seed="pages2", round_code="R2", as_of=R2_AS_OF)
    first = batch.run(big, root / "r1", root / "out", root / "arch", as_of=AS_OF)
    second = batch.run(big, root / "r2", root / "out", root / "arch", as_of=R2_AS_OF)
    assert (first.round, second.round) == ("R1", "R2") and first.complete and second.complete
    return big, first, second, root


def _pdfs(files, root, name):
    """The files rendered to PDF (copied to ASCII names for LibreOffice's command line first)."""
    folder = root / name
    folder.mkdir(exist_ok=True)
    ascii_named = []
    for i, f in enumerate(files):
        ascii_named.append(folder / f"f{i}{f.suffix}")
        shutil.copyfile(f, ascii_named[-1])
    return convert(ascii_named, "pdf", folder / "pdf", folder / "profile")


def _pages(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def _page_text(pdf, page: int) -> str:
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


def _docx_text(path) -> str:
    d = docx.Document(str(path))
    return re.sub(r"\s+", "", "\n".join([p.text for p in d.paragraphs] +
                                        [c.text for t in d.tables for row in t.rows for c in row.cells]))


def test_the_briefing_prints_on_four_pages_and_every_total_adds_up(district):
    campaign, first, second, root = district
    docs = [r.folder / f"{campaign.outputs['briefing']}.docx" for r in (first, second)]
    pages = [_pages(p) for p in _pdfs(docs, root, "briefing")]
    assert max(pages) <= 4, pages
    for path in docs:
        text = _docx_text(path)
        for m in re.finditer(r"(\d+)(项|处)，其中((?:[^，。]*?\d+(?:项|处)、?)+)", text):
            assert sum(int(n) for n in re.findall(r"(\d+)(?:项|处)", m.group(3))) == int(m.group(1)), m.group(0)
        assert not re.search(r"由([\d.]+%)变为\1", text)
        assert len(re.findall(r"第\d+社区党委", text)) <= 40, "long lists of units are counted, a few named"
    assert "与第一阶段相比" in _docx_text(docs[1]) and ("持平" in _docx_text(docs[1]) or "个百分点" in _docx_text(docs[1]))


def _notices(campaign, result):
    folder = result.folder
    units = sorted((folder / publication.units_folder(campaign)).glob("*.docx"))
    return folder / f"{campaign.outputs['notice']}.docx", folder / f"{campaign.outputs['nominee_notice']}.docx", units


def test_every_notice_fits_four_pages_with_its_period_and_contact_on_page_one(district):
    campaign, first, second, root = district
    street, nominees, units = _notices(campaign, second)
    assert len(units) == 60
    pdfs = _pdfs([street, nominees] + units, root, "notices")
    pages = [_pages(p) for p in pdfs]
    assert max(pages[:2]) <= 4 and set(pages[2:]) == {1}, pages
    phone = campaign.publication.phone
    for pdf in pdfs:
        page1 = _page_text(pdf, 1)
        assert "公示期" in page1 and phone in page1 and campaign.publication.contact in page1, pdf


def test_no_notice_over_several_units_names_a_low_grade_or_singles_out_a_probationary_member(district):
    """The street's notice names each unit's members graded 优秀 and no one else; a unit's own lists its members
    (not its 预备党员); nothing anywhere says 不定等次."""
    campaign, first, second, root = district
    problems = [p for result in (first, second) for p in _notice_problems(campaign, result)]
    assert problems == []
    assert first.report.files and second.report.files


def _notice_problems(campaign, result) -> list[str]:
    """What test_no_notice_... finds wrong in one round's notices."""
    problems = []
    street, nominees, units = _notices(campaign, result)
    members = result.report.scores.member_results.merge(result.report.roster[["unit_code", "member_id", "name"]])
    text = _docx_text(street)
    for u in result.report.files:
        mine = members[members["unit_code"] == u]
        named = re.search(re.escape(campaign.unit_name(u)) + r"（\d+名）：([^；。]*)", text)
        excellent = sorted(mine.loc[mine["decided_grade"].isin(campaign.publication.street_grades), "name"])
        if (sorted(named.group(1).split("、")) if named else []) != excellent:
            problems.append(f"{u}: the street notice's 优秀 list")
    probationary_grade = campaign.grades["member"].probationary_grade
    problems += [f"{p.name} says {probationary_grade}" for p in [street, nominees] + units
                 if probationary_grade in _docx_text(p)]
    if any(g in text for g in LOW) or any(g in _docx_text(nominees) for g in LOW):
        problems.append("a low grade named street-wide")
    unit = units[0]
    mine = members[members["unit_code"] == unit.stem.split("_")[0]]
    listed = _docx_text(unit)
    probationary = mine[mine["suggested_grade"] == probationary_grade]
    full = mine[mine["suggested_grade"] != probationary_grade]
    problems += [f"{unit.name} leaves out {n}" for n in full["name"] if n not in listed]
    problems += [f"{unit.name} lists 预备党员 {n}" for n in set(probationary["name"]) - set(full["name"]) if n in listed]
    return problems


def test_the_nominees_are_posted_by_kind_under_a_title_that_fits_its_line(district):
    campaign, _, second, _ = district
    _, nominees, _ = _notices(campaign, second)
    d = docx.Document(str(nominees))
    lines = [p.text for p in d.paragraphs if p.text.strip()]
    assert lines[:2] == [campaign.name, "拟表彰对象公示"]
    cm = campaign.commendation
    kinds = [k for k in (cm.org_kind, cm.member_kind, cm.worker_kind)]
    heads = [line for line in lines if re.match(r"^[一二三]、", line)]
    assert [h[2:h.index("（")] for h in heads] == kinds


def test_the_reading_pack_prints_on_twenty_pages_in_both_rounds(district):
    campaign, first, second, root = district
    pdfs = _pdfs([r.folder / pack.report_name(campaign) for r in (first, second)], root, "pack")
    assert [_pages(p) <= 20 for p in pdfs] == [True, True], [_pages(p) for p in pdfs]
    text = subprocess.run(["pdftotext", str(pdfs[1]), "-"], capture_output=True, text=True, check=True).stdout
    assert not re.search(r"\bR[12]\b|FNCXZY", text), "no round codes or campaign ids on printed pages"


def test_no_two_meanings_share_a_colour_in_the_reading_pack(district):
    """Every colour key of the pack (颜色说明 rows): each of its entries in a colour of its own; across keys, one
    meaning one colour and one colour one meaning (a grade band is a meaning: 好 ≥90 wherever it is keyed;
    "需关注：…" is one meaning, whatever needs attention)."""
    campaign, _, second, _ = district
    wb = load_workbook(second.folder / pack.report_name(campaign))
    bands = {b.grade: f"band{i}" for g in ("org", "member") for i, b in enumerate(campaign.grades[g].bands)}

    def meaning(text: str) -> str:
        name = text.removeprefix("组织等次 ").split(" ")[0].split("：")[0]
        return bands.get(name, name)
    colour_of: dict[str, str] = {}
    keys = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(max_row=6):
            if not any(c.value == "颜色说明" for c in row):
                continue
            keys += 1
            entries = [(meaning(str(c.value)), c.fill.fgColor.rgb) for c in row
                       if c.value not in (None, "颜色说明") and c.fill.fill_type]
            assert len({rgb for _, rgb in entries}) == len(entries), (ws.title, entries)
            for m, rgb in entries:
                assert colour_of.setdefault(m, rgb) == rgb, (ws.title, m)
    assert keys >= 4
    assert len(set(colour_of.values())) == len(colour_of), colour_of
