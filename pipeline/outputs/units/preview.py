"""The preview beside each member (SPEC §3): 综合得分（参考） and 建议等次（参考） as live formulas over the
workbook's own ballots and tallies, giving exactly SPEC §6 (weights renormalised over the forms that
have votes, half-up rounding, bands, the veto, the cap with its tie rule, 预备党员, 未参评), so the
branch sees them before it decides. The pipeline never reads them; it recomputes.

Cheap to recalculate and light to carry: one array formula per helper column turns every ballot row
into its points per criterion (a label chosen from the dropdown or points typed alike), and every tally
row into its points and scored votes; each member then needs one single-condition SUMIF per form and
criterion over those columns (no array arithmetic per member, no volatile function). Row r of the
hidden member sheet belongs to row r of 党员名册 (relative references: sorting the roster keeps each
member's preview with them).
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula

from pipeline import grading
from pipeline.campaign import Campaign, Sheet

SHEET = "_preview"  # one row per roster row
BALLOTS = "_pv_ballots"  # one row per ballot row: its points per criterion
TALLIES = "_pv_tallies"  # one row per tally row: its points and scored votes
# A scored vote is carried as BASE + its points, so one conditional sum gives both the points (the
# remainder) and the scored votes (the multiples): exact for points that are whole or binary fractions
# (halves, quarters) up to 100,000 votes a criterion.
BASE = 10**9


def _array(values) -> str:
    return "{" + ",".join(f'"{v}"' if isinstance(v, str) else f"{v:g}" for v in values) + "}"


def _name(wb, name: str, ref: str) -> str:
    wb.defined_names[name] = DefinedName(name, attr_text=ref)
    return name


def _helper_sheet(wb, title: str, last: int, columns: dict[str, str]) -> dict[str, str]:
    """A very hidden sheet of array formulas, one column each over rows 2..last; key -> its workbook name."""
    ws = wb.create_sheet(title)
    ws.sheet_state = "veryHidden"
    out = {}
    for j, (name, formula) in enumerate(columns.items(), start=1):
        letter = get_column_letter(j)
        ws.cell(1, j, name)
        ws[f"{letter}2"] = ArrayFormula(f"{letter}2:{letter}{last}", f"={formula}")
        out[name] = _name(wb, name, f"'{title}'!${letter}$2:${letter}${last}")
    return out


def _source(wb, name: str, sheet: Sheet, key: str, last: int) -> str:
    """A data column of a sheet, under a short workbook name."""
    letter = get_column_letter(next(j for j, c in enumerate(sheet.columns, start=1) if c.key == key))
    return _name(wb, name, f"'{sheet.name}'!${letter}$2:${letter}${last}")


def build(wb, campaign: Campaign, rows: int | None = None) -> None:
    """Write the hidden preview sheets and the two preview columns beside the members in `wb`, for `rows`
    roster rows (default: the campaign's preview_rows)."""
    layout = campaign.workbooks["unit"]
    last = campaign.limits.template_rows + 1
    rows = campaign.limits.preview_rows if rows is None else rows
    g = campaign.grades["member"]
    veto = campaign.form("member", g.veto.form) if g.veto else None
    sources = _ballot_helpers(wb, campaign, layout.sheet("member_ballots"), last, veto) | \
        _tally_helpers(wb, campaign, layout.sheet("member_tallies"), last, veto)
    ws = wb.create_sheet(SHEET)
    ws.sheet_state = "veryHidden"
    cols = _member_columns(campaign)

    def column(key: str) -> str:  # a column of the member rows, under a short name
        letter = cols.get(key, key)
        return _name(wb, f"_pv{key}", f"'{SHEET}'!${letter}$2:${letter}${rows + 1}")

    for form in campaign.forms["member"]:  # the header row: each form's name over its sums, its weight over its score
        for crit in campaign.criteria["member"]:
            ws[f"{cols[('E', form.name, crit.code)]}1"] = form.name
        ws[f"{cols[('score', form.name)]}1"] = form.weight
    wb.defined_names["_B"] = DefinedName("_B", attr_text=str(BASE))
    if g.cap:  # how many of the cap's grade the unit may have
        ws["A1"] = "=" + grading.cap_allowed_formula(g.cap, column("B"), campaign.roles.full_member, column("comp"))
        _name(wb, "_pv_cap", f"'{SHEET}'!$A$1")
    member = {c.key: get_column_letter(j) for j, c in enumerate(layout.worksheet_columns("roster"), start=1)}
    pv = _member_formulas(campaign, layout.sheet("roster").name, member, cols, sources, veto, column)
    comp = f"{cols['comp']}2"
    mine = {f"{member['preview_composite']}2": f"=IF('{SHEET}'!{comp}=\"\",\"\",'{SHEET}'!{comp})",
            f"{member['preview_grade']}2": f"='{SHEET}'!{cols['final']}2"}
    fill_down(ws, pv, rows + 1)  # the first member row's formulas, shared by every row below
    fill_down(wb[layout.sheet("roster").name], mine, rows + 1)


def _scored(campaign: Campaign) -> dict[str, float]:
    return {o.label: o.points for f in campaign.forms["member"] for o in f.scale.scored}


def _ballot_helpers(wb, campaign: Campaign, ballots: Sheet, last: int, veto) -> dict[str, str]:
    """Each ballot row's points per criterion (BASE + points: one sum gives points and votes) and its
    top-two votes of the veto form; names of its member and form columns as "_bi", "_bf"."""
    scored = _scored(campaign)
    crits = campaign.criteria["member"]
    out = {"_bi": _source(wb, "_bi", ballots, "member_id", last), "_bf": _source(wb, "_bf", ballots, "form", last)}
    rating = {c.code: _source(wb, f"_b{i}", ballots, c.code, last) for i, c in enumerate(crits, start=1)}
    points = {code: f"IFERROR({r}*1,INDEX({_array(list(scored.values()))},MATCH({r},{_array(list(scored))},0)))"
              for code, r in rating.items()}  # a typed number, else the label's points; an error if neither
    cols = {f"_bp{i}": f"IF({rating[c.code]}=\"\",\"\",IFERROR({BASE}+{points[c.code]},\"\"))"
            for i, c in enumerate(crits, start=1)}
    if veto:  # the veto's top-two options, by points: a typed point counts like its label
        top2_min = min(o.points for o in veto.scale.scored if o.label in veto.scale.top2)
        cols["_bt"] = f"IF({out['_bf']}=\"{veto.name}\"," + "+".join(
            f"IFERROR(IF({points[c.code]}>={top2_min:g},1,0),0)" for c in crits) + ",0)"
    return out | _helper_sheet(wb, BALLOTS, last, cols)


def _tally_helpers(wb, campaign: Campaign, tallies: Sheet, last: int, veto) -> dict[str, str]:
    """Each tally row's points and scored votes per criterion, and its top-two votes of the veto form."""
    out = {"_ti": _source(wb, "_ti", tallies, "member_id", last), "_tf": _source(wb, "_tf", tallies, "form", last)}
    tc = _source(wb, "_tc", tallies, "criterion", last)
    counts = {c.option: _source(wb, f"_tn{i}", tallies, c.key, last)
              for i, c in enumerate(tallies.option_columns, start=1)}
    tally_points = "+".join(f"({BASE}+{p:g})*(0+{counts[o]})" for o, p in _scored(campaign).items() if o in counts)
    cols = {f"_tp{i}": f"IF({tc}=\"{c.name}\",{tally_points},0)"
            for i, c in enumerate(campaign.criteria["member"], start=1)}
    if veto:  # 0+: a blank count is 0
        cols["_tt"] = f"IF({out['_tf']}=\"{veto.name}\"," + "+".join(
            f"(0+{counts[o]})" for o in veto.scale.top2 if o in counts) + ",0)"
    return out | _helper_sheet(wb, TALLIES, last, cols)


def _member_columns(campaign: Campaign) -> dict:
    """The hidden member sheet's columns: A the member, B the kind, then each form's criterion sums, each
    form's score, and the steps of the grade."""
    keys = [("E", f.name, c.code) for f in campaign.forms["member"] for c in campaign.criteria["member"]]
    keys += [("score", f.name) for f in campaign.forms["member"]] + ["comp", "top2", "vetoed", "pre", "place", "final"]
    return {k: get_column_letter(n) for n, k in enumerate(keys, start=3)}


def _member_formulas(campaign: Campaign, roster: str, member: dict, cols: dict, src: dict, veto, column) -> dict:
    """The first member row's formulas (row 2): sums, form scores, the composite, and the grade by the
    grading rules (grading.py), the cap included."""
    g, forms, crits, r = campaign.grades["member"], campaign.forms["member"], campaign.criteria["member"], 2
    pv = {f"A{r}": f"=IF('{roster}'!{member['member_id']}{r}=\"\",\"\",'{roster}'!{member['member_id']}{r})",
          f"B{r}": f"=IF($A{r}=\"\",\"\",'{roster}'!{member['member_kind']}{r}&\"\")"}
    for form in forms:
        for i, crit in enumerate(crits, start=1):
            head = f"{cols[('E', form.name, crit.code)]}$1"  # the form's name, in the header row
            pv[f"{cols[('E', form.name, crit.code)]}{r}"] = (
                f"=IF($A{r}=\"\",0,SUMIFS({src[f'_bp{i}']},{src['_bi']},$A{r},{src['_bf']},{head})"
                f"+SUMIFS({src[f'_tp{i}']},{src['_ti']},$A{r},{src['_tf']},{head}))")
    for form in forms:  # the mean of the criterion means: remainders over the multiples of BASE
        e = f"{cols[('E', form.name, crits[0].code)]}{r}:{cols[('E', form.name, crits[-1].code)]}{r}"
        pv[f"{cols[('score', form.name)]}{r}"] = (f"=IF(MAX({e})<_B,\"\",SUMPRODUCT(MOD({e},_B)/(INT({e}/_B)+({e}<_B)))"
                                                 f"/COUNTIF({e},\">=\"&_B))")
    scores = f"{cols[('score', forms[0].name)]}{r}:{cols[('score', forms[-1].name)]}{r}"
    weights = f"{cols[('score', forms[0].name)]}$1:{cols[('score', forms[-1].name)]}$1"  # in the header row
    comp = f"{cols['comp']}{r}"  # the weights renormalised over the forms that have votes
    pv[comp] = (f"=IF(COUNT({scores})=0,\"\",ROUND(ROUND(SUMPRODUCT({scores},{weights})/"
                f"SUMPRODUCT(ISNUMBER({scores})*{weights}),9),{campaign.decimals}))")
    if veto:
        head = f"{cols[('E', veto.name, crits[0].code)]}$1"
        pv[f"{cols['top2']}{r}"] = (f"=IF($A{r}=\"\",0,SUMIFS({src['_bt']},{src['_bi']},$A{r},{src['_bf']},{head})"
                                    f"+SUMIFS({src['_tt']},{src['_ti']},$A{r},{src['_tf']},{head}))")
        e = f"{cols[('E', veto.name, crits[0].code)]}{r}:{cols[('E', veto.name, crits[-1].code)]}{r}"
        pv[f"{cols['vetoed']}{r}"] = "=" + grading.vetoed_formula(g.veto, f"{cols['top2']}{r}", f"SUMPRODUCT(INT({e}/_B))")
    holds = {grading.PROBATIONARY: f"$B{r}<>\"{campaign.roles.full_member}\"", grading.NOT_REVIEWED: f"{comp}=\"\"",
             grading.VETOED: f"{cols['vetoed']}{r}"}
    pre = f"{cols['pre']}{r}"
    pv[pre] = f"=IF(OR($A{r}=\"\",$B{r}=\"\"),\"\",{grading.pre_grade_formula(g, holds, comp)})"
    if g.cap:
        place = grading.cap_place_formula(g.cap, {"grade": column("pre"), "composite": column("comp"),
                                                  "member_id": column("A")}, {"composite": comp, "member_id": f"$A{r}"})
        pv[f"{cols['place']}{r}"] = f"=IF({pre}<>\"{g.cap.grade}\",0,{place})"
        pv[f"{cols['final']}{r}"] = f"=IF(AND({pre}=\"{g.cap.grade}\",{cols['place']}{r}>_pv_cap),\"{g.cap.demote_to}\",{pre})"
    else:
        pv[f"{cols['final']}{r}"] = f"={pre}"
    return pv


class _Shared(ArrayFormula):
    """A cell of an xlsx shared formula: the first row holds the text and the range, the rows below only
    the group's number, and office suites shift its relative references row by row (as Excel itself
    saves a filled-down column). A far lighter file than one formula text a cell. openpyxl writes it
    through its array-formula path, from the attributes this yields."""

    def __init__(self, si: int, ref: str | None = None, text: str = "="):
        super().__init__(ref or "A1", text)
        self.si, self.first = si, ref is not None

    def __iter__(self):
        yield "t", "shared"
        if self.first:
            yield "ref", self.ref
        yield "si", str(self.si)


def fill_down(ws, formulas: dict[str, str], last: int) -> None:
    """Each formula of the first row (A1 reference -> text) down to row `last` of its column, shared."""
    si = sum(1 for c in ws._cells.values() if isinstance(c.value, _Shared) and c.value.first)  # no new cells
    for k, (ref, text) in enumerate(formulas.items(), start=si):
        letter, first = ref.rstrip("0123456789"), int(ref[len(ref.rstrip("0123456789")):])
        ws[ref] = _Shared(k, f"{ref}:{letter}{last}", text) if last > first else text
        for r in range(first + 1, last + 1):
            ws[f"{letter}{r}"] = _Shared(k)
