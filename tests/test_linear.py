"""Every stage is linear (SPEC §10): no per-member or per-unit filter over a whole table. Counted, not timed:
the table lookups a rule makes do not grow with the number of members or units."""

import datetime as dt

import pandas as pd

from pipeline.rules import commendation, supervision


def _counting(monkeypatch) -> list[int]:
    """Counts every DataFrame column or filter lookup (`df[...]`) made while the rule runs."""
    calls = [0]
    real = pd.DataFrame.__getitem__

    def counted(self, key):
        calls[0] += 1
        return real(self, key)
    monkeypatch.setattr(pd.DataFrame, "__getitem__", counted)
    return calls


def _special_round(campaign, members_per_unit: int, monkeypatch) -> int:
    rnd = next(r for r in campaign.rounds if r.commendation_kind == "special")
    units = [u.code for u in campaign.units[:4]]
    ids = [(u, f"{u}-{i:03d}") for u in units for i in range(members_per_unit)]
    members = pd.DataFrame({"unit_code": [u for u, _ in ids], "member_id": [m for _, m in ids], "name": "某",
                            "is_worker": campaign.roles.no, "decided_grade": "优秀", "suggested_grade": "优秀"})
    history = pd.concat([members[["unit_code", "member_id", "decided_grade"]].assign(round=r.code)
                         for r in campaign.rounds], ignore_index=True)
    orgs = pd.DataFrame({"unit_code": units, "grade": "好"})
    noms = pd.DataFrame(columns=["unit_code", "nomination_kind", "subject_id", "deeds", "row_no"])
    calls = _counting(monkeypatch)
    checked, eligible = commendation.check(campaign, rnd, noms, orgs, members, history, {})
    monkeypatch.undo()
    assert len(eligible) == len(units) * (1 + members_per_unit)  # every member eligible, and each unit
    return calls[0]


def test_the_special_commendation_looks_up_the_history_once_whatever_the_members(campaign, monkeypatch):
    small, large = _special_round(campaign, 10, monkeypatch), _special_round(campaign, 80, monkeypatch)
    assert large == small, (small, large)


def _missing(campaign, n_units: int, monkeypatch) -> int:
    rnd = campaign.rounds[0]
    units = [f"U{i:03d}" for i in range(n_units)]
    acts = pd.DataFrame({"unit_code": units * 2, "activity_type": [rnd.required_activities[0].type] * (2 * n_units),
                         "held_on": [rnd.required_activities[0].due - dt.timedelta(days=3)] * (2 * n_units)})
    calls = _counting(monkeypatch)
    out = supervision.missing_activities(rnd, dt.date(2011, 1, 1), acts, units)
    monkeypatch.undo()
    assert len(out) == n_units * (len(rnd.required_activities) - 1)  # only the second activity is missing
    return calls[0]


def test_missing_activities_read_the_activities_once_whatever_the_units(campaign, monkeypatch):
    assert _missing(campaign, 10, monkeypatch) == _missing(campaign, 60, monkeypatch)


def _saved(doc, folder):
    """The document as saved and opened again (a long table's rows are written when it is saved)."""
    from docx import Document

    from pipeline.outputs.kits import docxkit
    return Document(docxkit.save(doc, folder / "t.docx"))


def test_a_document_table_is_filled_row_by_row_without_a_lookup_over_the_whole_table(monkeypatch, tmp_path):
    """python-docx's `Table.cell` and `_Row.cells` rebuild the list of every cell on each call; a notice
    of 4,800 names filled that way took over ten minutes. Counted: the cell list is never built."""
    from docx.table import Table

    from pipeline.outputs.kits import docxkit
    calls = [0]
    real = Table._cells.fget

    def counted(self):
        calls[0] += 1
        return real(self)
    monkeypatch.setattr(Table, "_cells", property(counted))
    doc = docxkit.document("某", "某", dt.datetime(2010, 8, 2, 18))
    docxkit.table(doc, ["单位", "姓名"], [[f"单位{i}", f"姓名{i}"] for i in range(300)])
    assert calls[0] == 0
    cells = _saved(doc, tmp_path).tables[0]._tbl.tr_lst
    assert len(cells) == 301 and cells[300].tc_lst[1].xpath("string(.)") == "姓名299"


def _long_table(rows, folder):
    from pipeline.outputs.kits import docxkit
    doc = docxkit.document("某", "某", dt.datetime(2010, 8, 2, 18))
    docxkit.table(doc, ["单位", "姓名"], rows)
    docxkit.para(doc, "表后一段")
    docxkit.table(doc, ["序号"], [[str(i)] for i in range(20)])  # a second long table in the same document
    return _saved(doc, folder)


def test_a_long_document_table_styles_one_row_whatever_its_length(monkeypatch, tmp_path):
    """A district's notice lists 30,000 names: python-docx styles the header and one row (0.2 ms a cell),
    the other rows are written from that row's XML when the document is saved. Counted: the same number of
    styled runs for 20 rows as for 2,000; and every row as python-docx would have made it."""
    from docx.shared import Pt

    from pipeline.outputs.kits import docxkit
    styled = [0]
    real = docxkit.set_font

    def counted(*a, **k):
        styled[0] += 1
        return real(*a, **k)
    monkeypatch.setattr(docxkit, "set_font", counted)
    counts = []
    for n in (20, 2000):
        styled[0] = 0
        _long_table([[f"单位{i}", f"姓名{i}"] for i in range(n)], tmp_path)
        counts.append(styled[0])
    assert counts[0] == counts[1] == 13  # page numbers 3 on odd and 3 on even pages, first table header and row 4, paragraph 1, second table header and row 2
    odd = ["A<&>\"B", "x\x01y", "@@cell1@@", " 前后有空格 "]
    doc = _long_table([[f"单位{i}", odd[i % 4]] for i in range(40)], tmp_path)
    grid = doc.tables[0]
    assert [r.cells[1].text for r in grid.rows[1:]] == [odd[i % 4].replace("\x01", "\ufffd") for i in range(40)]
    assert [r.cells[0].text for r in grid.rows[1:]] == [f"单位{i}" for i in range(40)]
    for r in (grid.rows[1], grid.rows[40]):
        p = r.cells[1].paragraphs[0]
        assert p.alignment == docxkit.CENTER and not p.paragraph_format.keep_with_next
        assert p.runs[0].font.name == docxkit.BODY and p.runs[0].font.size == Pt(docxkit.TABLE_SIZE)
    assert grid.rows[0].cells[0].paragraphs[0].paragraph_format.keep_with_next
    assert grid.rows[0]._tr.trPr.xpath("./w:tblHeader")
    assert all(r._tr.trPr.xpath("./w:cantSplit") for r in grid.rows)  # no row broken over two pages
    assert [r.cells[0].text for r in doc.tables[1].rows] == ["序号"] + [str(i) for i in range(20)]
    assert doc.paragraphs[-1].text == "表后一段"
