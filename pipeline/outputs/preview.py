"""The preview in 评定结果 (SPEC §3): 综合得分（参考） and 建议等次（参考） as live formulas over the
workbook's own ballots and tallies, giving exactly SPEC §6 (weights renormalised over the forms that
have votes, half-up rounding, bands, the veto, the cap with its tie rule, 预备党员, 未参评), so the
branch sees them before it decides. The pipeline never reads them; it recomputes.

A very hidden sheet holds one row per 评定结果 row: the points and scored votes of each form and
criterion, form scores, the composite, the grade before the cap, and the member's place for the cap.
Ratings are matched by label (the dropdowns give labels); points typed as numbers are not counted here.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from pipeline.campaign import Campaign
from pipeline.layout import LISTS_SHEET

SHEET = "_preview"


def _ref(sheet: str, letter: str, last: int) -> str:
    return f"'{sheet}'!${letter}$2:${letter}${last}"


def _names(wb, lists, campaign: Campaign) -> None:
    """Named lists: every option label with its points (0 for a vote that is not scored), the scored
    labels, and the veto form's two best options."""
    labels = {}
    for f in campaign.forms["member"]:
        for o in f.scale.options:
            labels.setdefault(o.label, o.points)
    col = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
    entries = [("_pv_labels", list(labels)), ("_pv_points", [p or 0 for p in labels.values()]),
               ("_pv_scored", [k for k, p in labels.items() if p is not None])]
    veto = campaign.grades["member"].veto
    if veto:
        entries.append(("_pv_top2", list(campaign.form("member", veto.form).scale.top2)))
    for name, values in entries:
        for i, v in enumerate(values, start=1):
            lists.cell(i, col, v)
        letter = get_column_letter(col)
        wb.defined_names[name] = DefinedName(name, attr_text=f"{LISTS_SHEET}!${letter}$1:${letter}${len(values)}")
        col += 1


def build(wb, lists, campaign: Campaign, rows: int | None = None) -> None:
    """Write the hidden preview sheet and the two preview columns of 评定结果 in `wb`, for `rows` members
    (default: the campaign's preview_rows)."""
    layout = campaign.workbooks["unit"]
    ballots, tallies = layout.sheet("member_ballots"), layout.sheet("member_tallies")
    roster, decisions = layout.sheet("roster"), layout.sheet("decisions")
    last = campaign.limits.template_rows + 1
    letter = {s.key: {c.key: get_column_letter(j) for j, c in enumerate(s.columns, start=1)}
              for s in (ballots, tallies, roster, decisions)}
    _names(wb, lists, campaign)
    ws = wb.create_sheet(SHEET)
    ws.sheet_state = "veryHidden"
    g = campaign.grades["member"]
    forms, crits = campaign.forms["member"], campaign.criteria["member"]
    full, probationary = campaign.enums["member_kind"][0], g.probationary_grade

    def named(prefix, sheet, key):  # a column of a data sheet, by a short name: shorter formulas, a lighter file
        name = f"{prefix}{key}"
        if name not in wb.defined_names:
            wb.defined_names[name] = DefinedName(name, attr_text=_ref(sheet.name, letter[sheet.key][key], last))
        return name

    def b(key):  # a column of the ballot sheet
        return named("_pvb_", ballots, key)

    def t(key):  # a column of the tally sheet
        return named("_pvt_", tallies, key)

    def tallied(r, form, crit, labels, points=None):
        """The tally's votes for `labels` of this member, form and criterion (times their points, if given)."""
        parts = [("" if points is None else f"{points[c.option]:g}*") +
                 f"SUMIFS({t(c.key)},{t('member_id')},$A{r},{t('form')},\"{form.name}\",{t('criterion')},\"{crit.name}\")"
                 for c in tallies.option_columns if c.option in labels]
        return "+".join(parts) or "0"

    cols = {}  # name -> helper column letter
    n = 3
    for form in forms:
        for crit in crits:
            cols[("S", form.name, crit.name)] = get_column_letter(n)
            cols[("N", form.name, crit.name)] = get_column_letter(n + 1)
            n += 2
    for form in forms:
        cols[("score", form.name)] = get_column_letter(n)
        n += 1
    for key in ("comp", "top2", "vetoed", "pre", "place", "final"):
        cols[key] = get_column_letter(n)
        n += 1
    rows = campaign.limits.preview_rows if rows is None else rows
    dec, dec_letter = decisions.name, letter["decisions"]
    for r in range(2, rows + 2):
        ws[f"A{r}"] = f"=IF('{dec}'!${dec_letter['member_id']}{r}=\"\",\"\",'{dec}'!${dec_letter['member_id']}{r})"
        ws[f"B{r}"] = (f"=IF($A{r}=\"\",\"\",IFERROR(INDEX({named('_pvr_', roster, 'member_kind')},"
                       f"MATCH($A{r},{named('_pvr_', roster, 'member_id')},0)),\"\"))")
        for form in forms:
            for crit in crits:
                rating = b(crit.code)
                mine = f"({b('member_id')}=$A{r})*({b('form')}=\"{form.name}\")"
                scored = [o.label for o in form.scale.scored]
                points = {o.label: o.points for o in form.scale.scored}
                ws[f"{cols[('S', form.name, crit.name)]}{r}"] = (
                    f"=IF($A{r}=\"\",0,SUMPRODUCT(SUMIF(_pv_labels,{rating},_pv_points)*{mine})"
                    f"+{tallied(r, form, crit, scored, points)})")
                ws[f"{cols[('N', form.name, crit.name)]}{r}"] = (
                    f"=IF($A{r}=\"\",0,SUMPRODUCT(COUNTIF(_pv_scored,{rating})*{mine})+{tallied(r, form, crit, scored)})")
        for form in forms:
            s = [f"{cols[('S', form.name, c.name)]}{r}" for c in crits]
            k = [f"{cols[('N', form.name, c.name)]}{r}" for c in crits]
            means = "+".join(f"IF({kk}>0,{ss}/{kk},0)" for ss, kk in zip(s, k))
            present = "+".join(f"({kk}>0)" for kk in k)
            ws[f"{cols[('score', form.name)]}{r}"] = f"=IF(({present})=0,\"\",({means})/({present}))"
        scores = [(f"{cols[('score', f.name)]}{r}", f"{f.weight:g}") for f in forms]
        num = "+".join(f"IF({sc}=\"\",0,{w}*{sc})" for sc, w in scores)
        den = "+".join(f"IF({sc}=\"\",0,{w})" for sc, w in scores)
        ws[f"{cols['comp']}{r}"] = f"=IF(({den})=0,\"\",ROUND(ROUND(({num})/({den}),9),{campaign.decimals}))"
        comp = f"{cols['comp']}{r}"
        if g.veto:
            vf = campaign.form("member", g.veto.form)
            top2 = "+".join(f"SUMPRODUCT(COUNTIF(_pv_top2,{b(c.code)})*({b('member_id')}=$A{r})*({b('form')}=\"{vf.name}\"))"
                            f"+{tallied(r, vf, c, vf.scale.top2)}" for c in crits)
            scored_votes = "+".join(f"{cols[('N', vf.name, c.name)]}{r}" for c in crits)
            ws[f"{cols['top2']}{r}"] = f"=IF($A{r}=\"\",0,{top2})"
            ws[f"{cols['vetoed']}{r}"] = f"=AND(({scored_votes})>0,{cols['top2']}{r}/({scored_votes})<{g.veto.min_rate:g})"
        else:
            ws[f"{cols['vetoed']}{r}"] = "=FALSE()"
        band = f"\"{g.bands[-1].grade}\""
        for bnd in reversed(g.bands[:-1]):
            band = f"IF({comp}>={bnd.min:g},\"{bnd.grade}\",{band})"
        veto_grade = f"\"{g.veto.grade}\"" if g.veto else band
        ws[f"{cols['pre']}{r}"] = (
            f"=IF(OR($A{r}=\"\",$B{r}=\"\"),\"\",IF($B{r}<>\"{full}\",\"{probationary or ''}\","
            f"IF({comp}=\"\",\"{g.not_reviewed_grade or ''}\",IF({cols['vetoed']}{r},{veto_grade},{band}))))")
        span = f"${{}}$2:${{}}${rows + 1}"
        pre_col, comp_col = span.format(cols["pre"], cols["pre"]), span.format(cols["comp"], cols["comp"])
        id_col, kind_col = span.format("A", "A"), span.format("B", "B")
        pre = f"{cols['pre']}{r}"
        if g.cap:
            c = g.cap
            ws[f"{cols['place']}{r}"] = (
                f"=IF({pre}<>\"{c.grade}\",0,1+COUNTIFS({pre_col},\"{c.grade}\",{comp_col},\">\"&{comp})"
                f"+COUNTIFS({pre_col},\"{c.grade}\",{comp_col},{comp},{id_col},\"<\"&$A{r}))")
            allowed = f"INT(COUNTIFS({kind_col},\"{full}\",{comp_col},\">=0\")/{c.denominator})"
            ws[f"{cols['final']}{r}"] = f"=IF(AND({pre}=\"{c.grade}\",{cols['place']}{r}>{allowed}),\"{c.demote_to}\",{pre})"
        else:
            ws[f"{cols['final']}{r}"] = f"={pre}"
        sheet = wb[dec]
        sheet[f"{dec_letter['preview_composite']}{r}"] = f"=IF('{SHEET}'!{comp}=\"\",\"\",'{SHEET}'!{comp})"
        sheet[f"{dec_letter['preview_grade']}{r}"] = f"='{SHEET}'!{cols['final']}{r}"
