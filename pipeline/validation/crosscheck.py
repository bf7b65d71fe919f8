"""Checks across rows and sheets of one submission (SPEC §4), after each sheet passed its schema."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline import grading, scoring
from pipeline.campaign import Campaign
from pipeline.findings import Finding, make
from pipeline.intake.read import SheetData


def _at(sd: SheetData, key: str, row: int) -> str:
    return sd.cell(key, row) if key in sd.letters else ""


def rating_scales(tables, sheets, campaign: Campaign, file: str) -> list[Finding]:
    """A rating label that exists, but belongs to another form's scale (满意 on a 下级评议上级 ballot)."""
    out = []
    for key, group in (("org_ballots", "org"), ("member_ballots", "member")):
        if key not in tables or "form" not in tables[key]:
            continue
        df, sd = tables[key], sheets[key]
        forms = {f.name: f for f in campaign.forms[group]}
        order = {name: i for i, name in enumerate(forms)}
        right = {(f.name, label) for f in forms.values() for label in f.scale.labels}
        found = []
        form_values = df["form"].tolist()
        for j, col in enumerate(sd.spec.rating_columns):  # all there: a sheet that lost a column is not checked
            wrong = {(name, label) for name in forms for label in col.enum if (name, label) not in right}
            labels = df[col.key].tolist()
            if wrong.isdisjoint(zip(form_values, labels)):  # the usual case: every label on its own form's scale
                continue
            rows = df["_row"].tolist()
            found += [(order[p[0]], j, n, col, p[1], rows[n]) for n, p in enumerate(zip(form_values, labels))
                      if p in wrong]
        for i, _, _, col, value, row in sorted(found, key=lambda x: x[:3]):  # by form, criterion, row
            form = list(forms.values())[i]
            out.append(make("E_SCALE_FORM", file, sheet=sd.name, cell=_at(sd, col.key, row), column=col.label,
                            value=value, detail=f"{form.name}（可选：{'、'.join(form.scale.labels)}）"))
    return out


def _tallied(tables, key: str, subject: list[str]) -> dict:
    """(subject..., form) -> the ballots a tally counts (its 票数)."""
    df = tables.get(key)
    if df is None or df.empty:
        return {}
    n = pd.to_numeric(df["n_ballots"], errors="coerce").fillna(0)
    return n.groupby([df[c] for c in subject + ["form"]], sort=False).max().astype(int).to_dict()  # any value typed


def _keys_text(keys) -> str:
    return "、".join(map(str, keys if isinstance(keys, tuple) else (keys,)))


def _tally_rows(df, sd, forms, file: str, where) -> list[Finding]:
    """Each 得票汇总 row counts only its form's options, and no more votes than its 票数: the counts
    checked column by column over the whole sheet, the rows with a problem then named in order."""
    counted = pd.Series(0, index=df.index)
    wrong = {}
    for col in sd.spec.option_columns:  # all there: a sheet that lost a column is not cross-checked
        v = pd.to_numeric(df[col.key], errors="coerce").fillna(0)
        allowed = df["form"].map({name: col.option in form.scale.labels for name, form in forms.items()})
        counted += v.where(allowed.eq(True), 0).astype(int)
        wrong[col] = (v != 0) & allowed.eq(False)
    n = pd.to_numeric(df["n_ballots"], errors="coerce")
    over = n.notna() & (n >= 0) & (counted > n.fillna(0))  # a negative 票数 is the schema's E_RANGE
    bad = over.copy()
    for mask in wrong.values():
        bad |= mask
    out = []
    for i in df.index[bad.to_numpy()]:
        for col, mask in wrong.items():
            if mask[i]:  # the row's form is known: its options are what is allowed
                form = forms[df.at[i, "form"]]
                out.append(make("E_SCALE_FORM", file, value=df.at[i, col.key], detail=f"{form.name}（可选：{'、'.join(form.scale.labels)}）",
                                **where(col.key, df.at[i, "_row"])))
        if over[i]:
            out.append(make("E_TALLY_SUM", file, value=int(n[i]), detail=f"各选项得票合计 {counted[i]} 张，票数为 {int(n[i])} 张",
                            **where("n_ballots", df.at[i, "_row"])))
    return out


def _tally_groups(df, forms, criteria: list[str], by: list[str], file: str, where) -> list[Finding]:
    """Each subject and form: every criterion (a ballot rates them all), one 票数, at most the form's
    maximum. Counted over the whole sheet at once; only the groups with a problem are looked at one by one."""
    firsts = df.dropna(subset=by).drop_duplicates(subset=by)  # each group's first row, in order of appearance
    firsts = firsts[firsts["form"].isin(forms)]
    at = pd.MultiIndex.from_frame(firsts[by]) if len(by) > 1 else pd.Index(firsts[by[0]])
    ns = pd.to_numeric(df["n_ballots"], errors="coerce")
    counts = ns.groupby([df[c] for c in by], sort=False)
    n_criteria = df[df["criterion"].isin(criteria)].groupby(by, sort=False)["criterion"].nunique()
    incomplete = n_criteria.reindex(at).fillna(0).to_numpy() < len(criteria)
    differ = counts.nunique().reindex(at).to_numpy() > 1  # NaN (no count) compares False
    limit = firsts["form"].map({name: f.max_ballots for name, f in forms.items()}).astype(float).to_numpy()
    too_many = counts.max().reindex(at).to_numpy() > limit  # NaN (no limit, no count) compares False
    indices = df.groupby(by, sort=False).indices
    out = []
    for k in (incomplete | differ | too_many).nonzero()[0]:
        keys = at[k]
        rows = indices[keys]
        part, form = df.iloc[rows], forms[firsts["form"].iat[k]]
        if incomplete[k]:
            missing = [c for c in criteria if c not in set(part["criterion"])]
            out.append(make("E_TALLY_INCOMPLETE", file, value=_keys_text(keys), detail="、".join(missing),
                            **where("criterion", part["_row"].iloc[0])))
        numbers = ns.iloc[rows].dropna().astype(int)
        if differ[k]:
            i = numbers.index[(numbers != numbers.mode().iloc[0]).to_numpy()][0]  # the row that differs from the others
            out.append(make("E_TALLY_BALLOTS", file, value=int(numbers[i]),
                            detail=f"{_keys_text(keys)}的票数有 {'、'.join(map(str, sorted(set(numbers))))} 几种",
                            **where("n_ballots", df.at[i, "_row"])))
        if too_many[k]:
            i = numbers.idxmax()
            out.append(make("E_FORM_COUNT", file, value=int(numbers[i]), **where("n_ballots", df.at[i, "_row"]),
                            detail=f"{form.name}票有 {int(numbers[i])} 张，应为 {form.max_ballots} 张"))
    return out


def tallies(tables, sheets, campaign: Campaign, file: str) -> list[Finding]:
    """得票汇总 rows: only the row's form's options, counts within the ballots, one row per subject, form
    and criterion with one 票数, at most the form's maximum, and never beside ballots of the same form."""
    out = []
    for key, ballots_key, group, subject in (("org_tallies", "org_ballots", "org", []),
                                             ("member_tallies", "member_ballots", "member", ["member_id"])):
        if key not in tables or tables[key].empty:
            continue
        df, sd = tables[key], sheets[key]
        forms = {f.name: f for f in campaign.forms[group]}
        where = lambda col, r: dict(sheet=sd.name, cell=_at(sd, col, r), column=sd.spec.column(col).label)  # noqa: E731
        out += _tally_rows(df, sd, forms, file, where)
        for i in df.index[df.duplicated(subset=subject + ["form", "criterion"], keep="first")]:
            out.append(make("E_TALLY_DUPLICATE", file, value=df.at[i, "criterion"],
                            detail=f"{'、'.join(str(df.at[i, c]) for c in subject + ['form', 'criterion'])}",
                            **where("criterion", df.at[i, "_row"])))
        out += _tally_groups(df, forms, [c.name for c in campaign.criteria[group]], subject + ["form"], file, where)
        ballots = tables.get(ballots_key)
        if ballots is not None and len(ballots):
            bs = sheets[ballots_key]
            first = ballots.drop_duplicates(subset=subject + ["form"])[subject + ["form", "_row"]]
            both = df.drop_duplicates(subset=subject + ["form"]).merge(first, on=subject + ["form"],
                                                                        suffixes=("", "_ballot"))
            for form, row, ballot_row in zip(both["form"], both["_row"], both["_row_ballot"]):
                out.append(make("E_TALLY_AND_BALLOTS", file, value=form, **where("form", row),
                                detail=f"“{bs.name}”表 {_at(bs, 'form', ballot_row)} 起已录有这些{form}票"))
    return out


def ballot_counts(tables, sheets, campaign: Campaign, file: str) -> list[Finding]:
    """Exactly one 自评 and one 组织点评 per member; at least the configured minimum of the others."""
    out = []
    if {"roster", "member_ballots"} <= tables.keys():
        roster, rs = tables["roster"], sheets["roster"]
        mb, ms = tables["member_ballots"], sheets["member_ballots"]
        tallied = _tallied(tables, "member_tallies", ["member_id"])
        for form in campaign.forms["member"]:
            rows = mb[mb["form"] == form.name]
            counts = rows.groupby("member_id").size().to_dict()
            for i, m in roster["member_id"].items():
                if m is None:
                    continue
                n = int(counts.get(m, 0))
                tally = tallied.get((m, form.name), 0)  # over the maximum in a tally: reported at its 票数
                if form.max_ballots is not None and n > form.max_ballots:
                    extra = rows[rows["member_id"] == m].index[form.max_ballots:]
                    for j in extra:
                        out.append(make("E_FORM_COUNT", file, sheet=ms.name, cell=_at(ms, "form", mb.at[j, "_row"]),
                                        column=ms.spec.column("form").label, value=form.name,
                                        detail=f"党员 {m} 的{form.name}票有 {n} 张，应为 {form.max_ballots} 张"))
                elif 0 < n + tally < form.min_ballots:
                    n = n + tally
                    # no ballot at all of a form is W_FORM_MISSING (raised by scoring), never an error
                    exact = form.max_ballots == form.min_ballots
                    text = f"党员 {m} 的{form.name}票{'有' if exact else '仅'} {n} 张" + \
                        (f"，应为 {form.min_ballots} 张" if exact else f"（至少 {form.min_ballots} 张）")
                    out.append(make("E_FORM_COUNT" if exact else "W_FEW_BALLOTS", file, sheet=rs.name,
                                    cell=_at(rs, "member_id", roster.at[i, "_row"]),
                                    column=rs.spec.column("member_id").label, value=m, detail=text))
    if "org_ballots" in tables:
        ob, os_ = tables["org_ballots"], sheets["org_ballots"]
        counts = ob.groupby("form", sort=False).size()  # a date and a number in one column cannot be sorted
        tallied = _tallied(tables, "org_tallies", [])
        for form in campaign.forms["org"]:
            n = int(counts.get(form.name, 0)) + tallied.get(form.name, 0)
            if form.source == "unit" and 0 < n < form.min_ballots:
                out.append(make("W_FEW_BALLOTS", file, sheet=os_.name,
                                detail=f"本单位{form.name}票仅 {n} 张（至少 {form.min_ballots} 张）"))
    return out


def not_reviewed(tables, sheets, campaign: Campaign, file: str) -> list[Finding]:
    """未参评 is consistent (SPEC §4, §6): W_NOT_REVIEWED for a full member with no ballot at all and no
    未参评原因; E_ABSENT_VOTED for a 未参评原因 beside ballots or tally rows on that member (naming the
    first); E_ABSENT_GRADE for a member with a 未参评原因 decided anything but 未参评."""
    if not {"roster", "member_ballots"} <= tables.keys():
        return []
    roster, rs = tables["roster"], sheets["roster"]
    first_vote = {}  # member -> where the first ballot or tally row on them sits
    for key in ("member_ballots", "member_tallies"):
        df = tables.get(key)
        if df is not None and not df.empty:
            for member, row in zip(df["member_id"], df["_row"]):
                first_vote.setdefault(member, f"{sheets[key].name} {_at(sheets[key], 'member_id', row)}")
    reason = roster["absence_reason"] if "absence_reason" in roster else pd.Series(None, index=roster.index)
    absent = reason.map(lambda v: isinstance(v, str) and v.strip() != "")
    full = roster["member_kind"] == campaign.roles.full_member
    silent = roster[full & ~roster["member_id"].isin(first_vote.keys()) & ~absent]
    out = [make("W_NOT_REVIEWED", file, sheet=rs.name, cell=_at(rs, "member_id", r["_row"]),
                column=rs.spec.column("member_id").label, value=r["member_id"])
           for _, r in silent.iterrows()]
    where = dict(sheet=rs.name, column=rs.spec.column("absence_reason").label)  # a reason: the column is there
    for _, r in roster[absent & roster["member_id"].isin(first_vote.keys())].iterrows():
        out.append(make("E_ABSENT_VOTED", file, cell=_at(rs, "absence_reason", r["_row"]), value=r["absence_reason"],
                        detail=f"{r['member_id']}（见 {first_vote[r['member_id']]}）", **where))
    grade = campaign.grades["member"].not_reviewed_grade
    if grade and "decisions" in tables:
        ds, decided = sheets["decisions"], tables["decisions"]
        away = set(roster.loc[absent, "member_id"])
        for _, d in decided[decided["member_id"].isin(away) & (decided["decided_grade"] != grade)].iterrows():
            out.append(make("E_ABSENT_GRADE", file, sheet=ds.name, cell=_at(ds, "decided_grade", d["_row"]),
                            column=ds.spec.column("decided_grade").label, value=d["decided_grade"],
                            detail=grade))
    return out


def date_order(tables, sheets, file: str) -> list[Finding]:
    out = []
    if "rectifications" not in tables:
        return out
    df, sd = tables["rectifications"], sheets["rectifications"]
    raised = pd.to_datetime(df.get("raised_on"), errors="coerce")
    for key in ("closed_on", "deadline"):
        if key not in df:
            continue
        later = pd.to_datetime(df[key], errors="coerce")
        for i in df.index[later < raised]:
            out.append(make("E_DATE_ORDER", file, sheet=sd.name, cell=_at(sd, key, df.at[i, "_row"]),
                            column=sd.spec.column(key).label, value=later[i].date().isoformat(),
                            detail=f"{sd.spec.column('raised_on').label}（{raised[i].date().isoformat()}）"))
    return out


def other_round(campaign: Campaign, code: str, label: str, day) -> str:
    """Why a date contradicts the round a file is for (it lies in another round's dates), or ''."""
    other = campaign.round_for(day) if isinstance(day, dt.date) and code in {r.code for r in campaign.rounds} else None
    if other is None or other.code == code:
        return ""
    return f"评议阶段为“{code}”（{campaign.round(code).span}），而{label} {day.isoformat()} 在{other.span}内"


def ballot_rounds(tables, sheets, campaign: Campaign, code: str, file: str) -> list[Finding]:
    """E_ROUND_DATES at each ballot's date (a sheet of ratings: the street's 点评日期) that lies in another
    round's dates than the one the file is for."""
    out = []
    for key, df in tables.items():
        sd = sheets[key]
        if not sd.spec.rating_columns:
            continue
        for col in (c for c in sd.spec.columns if c.type == "date" and c.key in df):
            for i, day in zip(df.index, df[col.key]):
                why = other_round(campaign, code, col.label, day)
                if why:
                    out.append(make("E_ROUND_DATES", file, sheet=sd.name, cell=_at(sd, col.key, df.at[i, "_row"]),
                                    column=col.label, value=day, detail=why))
    return out


def decisions_cover_roster(tables, sheets, campaign: Campaign, file: str) -> list[Finding]:
    if not {"roster", "decisions"} <= tables.keys():
        return []
    roster, rs, ds = tables["roster"], sheets["roster"], sheets["decisions"]
    decided = set(tables["decisions"]["member_id"].dropna())
    full = roster["member_kind"] == campaign.roles.full_member
    grade = ds.spec.column("decided_grade")
    beside = ds.name == rs.name and "decided_grade" in ds.letters  # the decision sits on the member's row
    key, where = ("decided_grade", f"“{rs.name}”该党员行的“{grade.label}”列") if beside else \
        ("member_id", f"“{ds.name}”表")
    sheet = ds if beside else rs
    return [make("E_GRADE_MISSING", file, sheet=rs.name, cell=_at(sheet, key, roster.at[i, "_row"]),
                 column=grade.label if beside else rs.spec.column("member_id").label,
                 value="" if beside else roster.at[i, "member_id"], detail=f"{roster.at[i, 'member_id']}|{where}")
            for i in roster.index[full & roster["member_id"].notna() & ~roster["member_id"].isin(decided)]]


def nomination_subjects(tables, sheets, campaign: Campaign, unit_code: str, file: str) -> list[Finding]:
    if not {"nominations", "roster"} <= tables.keys():
        return []
    df, sd = tables["nominations"], sheets["nominations"]
    members = set(tables["roster"]["member_id"].dropna())
    org_kind = campaign.commendation.org_kind
    out = []
    for i, row in df.iterrows():
        kind, subject = row.get("nomination_kind"), row.get("subject_id")
        if kind is None or subject is None or subject not in members | {unit_code}:
            continue
        wants_unit = kind == org_kind
        if (subject == unit_code) != wants_unit:
            need = "本单位编码" if wants_unit else "本单位党员编号"
            out.append(make("E_NOMINATION_SUBJECT", file, sheet=sd.name, cell=_at(sd, "subject_id", row["_row"]),
                            column=sd.spec.column("subject_id").label, value=subject,
                            detail=f"“{kind}”的对象编号应为{need}"))
    return out


def grade_decisions(tables, sheets, campaign: Campaign, unit_code: str, file: str,
                    stats: pd.DataFrame | None = None) -> list[Finding]:
    """Decided grades against the votes: an unexplained difference, or more 优秀 than the cap allows.
    `stats`: the unit's member criterion stats, when already computed."""
    if not {"roster", "member_ballots", "decisions"} <= tables.keys():
        return []
    graded = scoring.unit_member_grades(campaign, unit_code, tables["roster"], tables["member_ballots"],
                                        tables.get("member_tallies"), stats)
    suggested = dict(zip(graded["member_id"], graded["suggested_grade"]))
    df, sd = tables["decisions"], sheets["decisions"]
    explanation = df["explanation"] if "explanation" in df else pd.Series(None, index=df.index, dtype=object)
    out = []
    for member, decided, note, row_no in zip(df["member_id"], df["decided_grade"], explanation, df["_row"]):
        s = suggested.get(member)
        explained = isinstance(note, str) and note.strip()
        if s and decided != s and not explained:
            out.append(make("W_GRADE_UNEXPLAINED", file, sheet=sd.name, cell=_at(sd, "decided_grade", row_no),
                            column=sd.spec.column("decided_grade").label, value=decided, detail=s))
    cap = campaign.grades["member"].cap
    if cap:  # the same N and allowance as the suggested grades (grading.py: one home for the rule)
        full = set(graded.loc[scoring.reviewed_full(graded, campaign.roles.full_member), "member_id"])
        allowed = grading.cap_allowed(cap, len(full))
        k = int(((df["decided_grade"] == cap.grade) & df["member_id"].isin(full)).sum())
        if k > allowed:
            out.append(make("W_CAP_EXCEEDED", file, sheet=sd.name,
                            detail=f"评定为{cap.grade}的有 {k} 名，超过正式党员 {len(full)} 名的 1/{cap.denominator}"
                                   f"（至多 {allowed} 名）"))
    return out
