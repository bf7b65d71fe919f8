"""The catalogued mistakes and accepted human variations a demo may carry, each with its expected finding."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from pipeline.campaign import Campaign
from pipeline.demo import text as T
from pipeline.demo.shapes import Submission
from pipeline.demo.units import UnitBuilder


FORMULA_TEXTS = ['=HYPERLINK("http://example.com/x","点此查看")', "+1 同意", "@SUM(A1:A3)", "-无意见-"]


def inject_errors(c: Campaign, s: Submission) -> None:
    """The catalogued cell-level mistakes (SPEC §4), each recorded in the submission's answer key."""
    rows, exp, unit = s.rows, s.expected, s.unit.code
    crit_o, crit_m = c.criteria["org"], c.criteria["member"]
    rows["org_ballots"][0][crit_o[0].code] = "优良"
    exp.append(("org_ballots", 0, crit_o[0].code, "E_ENUM"))
    rows["member_ballots"][3][crit_m[1].code] = 120
    exp.append(("member_ballots", 3, crit_m[1].code, "E_RANGE"))
    rows["roster"][2]["name"] = None
    exp.append(("roster", 2, "name", "E_REQUIRED"))
    rows["org_ballots"][5]["ballot_id"] = rows["org_ballots"][4]["ballot_id"]
    exp.append(("org_ballots", 5, "ballot_id", "E_DUPLICATE_ID"))
    peer = next(b for b in rows["member_ballots"] if b["form"] == c.form_by_role("member", "peer").name)
    rows["member_ballots"].append(dict(peer, ballot_id="P99901", member_id=f"{unit}-999"))
    exp.append(("member_ballots", len(rows["member_ballots"]) - 1, "member_id", "E_UNKNOWN_MEMBER"))
    self_form = c.form_by_role("member", "self").name
    first_self = next(b for b in rows["member_ballots"] if b["form"] == self_form)
    rows["member_ballots"].append(dict(first_self, ballot_id="P99902"))
    exp.append(("member_ballots", len(rows["member_ballots"]) - 1, "form", "E_FORM_COUNT"))
    item = rows["rectifications"][0]
    item.update(status=c.rectification.closed_status, closed_on=item["raised_on"] - dt.timedelta(days=5),
                outcome=T.OUTCOMES[0], satisfaction=c.enums["rect_satisfaction"][0])
    exp.append(("rectifications", 0, "closed_on", "E_DATE_ORDER"))
    rows["rectifications"][1]["subject_id"] = "FN99"
    exp.append(("rectifications", 1, "subject_id", "E_UNKNOWN_SUBJECT"))
    rows["activities"][0]["attendance"] = "三十余人"
    exp.append(("activities", 0, "attendance", "E_TYPE"))
    rows["roster"][4 % len(rows["roster"])]["joined_on"] = "2010-13-45"
    exp.append(("roster", 4 % len(rows["roster"]), "joined_on", "E_DATE"))
    full = c.roles.full_member
    dropped = next(i for i, m in enumerate(rows["roster"]) if m["member_kind"] == full and i != 2)
    rows["decisions"] = [d for d in rows["decisions"] if d["member_id"] != rows["roster"][dropped]["member_id"]]
    beside = c.workbooks["unit"].sheet("decisions").host == "roster"  # the grade cell is on the member's row
    exp.append(("roster", dropped, "decided_grade" if beside else "member_id", "E_GRADE_MISSING"))


def inject_variations(c: Campaign, s: Submission, builder: UnitBuilder) -> None:
    """Human variations that must be ACCEPTED with a note, and two intended warnings."""
    rows, exp = s.rows, s.expected
    crit_m = c.criteria["member"]
    scale = {f.name: f.scale for f in c.forms["member"]}
    b0 = rows["member_ballots"][0]
    b0[crit_m[0].code] = f"{scale[b0['form']].points_of(b0[crit_m[0].code]):g}分"
    exp.append(("member_ballots", 0, crit_m[0].code, "N_POINTS"))
    b1 = rows["member_ballots"][1]
    b1[crit_m[1].code] = int(scale[b1["form"]].points_of(b1[crit_m[1].code]) or 0) or b1[crit_m[1].code]
    if isinstance(b1[crit_m[1].code], int):
        exp.append(("member_ballots", 1, crit_m[1].code, "N_POINTS"))
    rows["roster"][0]["gender"] = f" {rows['roster'][0]['gender']} "
    exp.append(("roster", 0, "gender", "N_NORMALISED"))
    r1 = rows["roster"][1 % len(rows["roster"])]
    r1["is_worker"] = "Y" if r1["is_worker"] == c.roles.yes else "N"
    exp.append(("roster", 1 % len(rows["roster"]), "is_worker", "N_NORMALISED"))
    acts = rows["activities"]
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    acts[1]["attendance"] = str(acts[1]["attendance"]).translate(full_width)
    exp.append(("activities", 1, "attendance", "N_NORMALISED"))
    acts[2]["attendance"] = str(acts[2]["attendance"])  # a number stored as text: read as it shows, no note
    d = acts[0]["held_on"]
    acts[0]["held_on"] = f"{d.year}年{d.month}月{d.day}日"
    exp.append(("activities", 0, "held_on", "N_DATE_TEXT"))
    d = rows["rectifications"][0]["raised_on"]
    rows["rectifications"][0]["raised_on"] = f"{d.year}.{d.month}.{d.day}"
    exp.append(("rectifications", 0, "raised_on", "N_DATE_TEXT"))
    s.variant.title_rows["activities"] = 1
    exp.append(("activities", None, None, "N_HEADER_MOVED"))
    sheet = c.workbooks["unit"].sheet("nominations")
    keys = [col.key for col in sheet.columns]
    s.variant.order["nominations"] = keys[1:] + keys[:1]
    exp.append(("nominations", None, None, "N_COLUMN_ORDER"))
    s.variant.extra["roster"] = ("备注", ["退休" if i % 4 == 0 else None for i in range(len(rows["roster"]))])
    exp.append(("roster", None, "备注", "N_EXTRA_COLUMN"))
    # Intended warnings: one member with too few public-review ballots, one unexplained grade.
    public = c.form_by_role("member", "public")
    victim = rows["roster"][-1]["member_id"]
    kept = 0
    for b in list(rows["member_ballots"]):
        if b["member_id"] == victim and b["form"] == public.name:
            kept += 1
            if kept > 1:
                rows["member_ballots"].remove(b)
    exp.append(("roster", len(rows["roster"]) - 1, "member_id", "W_FEW_BALLOTS"))
    rows["decisions"] = builder.decisions(rows["roster"], rows["member_ballots"], deviate=False)
    grades = c.grades["member"].grades
    target = next((i for i, r in enumerate(rows["decisions"]) if r["decided_grade"] == grades[1]), None)
    if target is not None:
        rows["decisions"][target]["decided_grade"] = grades[2]
        exp.append(("decisions", target, "decided_grade", "W_GRADE_UNEXPLAINED"))


def file_defects(campaign, inbox: Path, chosen, subs, written) -> list[dict]:
    """Whole-file mistakes: a stray non-workbook, an empty attachment, another unit's file renamed."""
    key = []
    (inbox / "活动照片说明.txt").write_text("照片见附件，共 12 张。\n", encoding="utf-8")
    key.append({"file": "活动照片说明.txt", "sheet": "", "cell": "", "code": "E_UNSUPPORTED_FORMAT"})
    (inbox / "新建 Microsoft Excel 工作表.xlsx").write_bytes(b"")
    key.append({"file": "新建 Microsoft Excel 工作表.xlsx", "sheet": "", "cell": "", "code": "E_EMPTY_FILE"})
    if len(chosen) >= 4:
        # The last unit mailed the first unit's file under its own name instead of its own.
        last = subs[len(chosen) - 1]
        written[last.file_name].unlink()
        copy_name = f"{last.unit.name}填报表（定稿）.xlsx"
        shutil.copyfile(written[subs[0].file_name], inbox / copy_name)
        key = [k for k in key if k["file"] != last.file_name]
        key.append({"file": copy_name, "sheet": "", "cell": "", "code": "W_DUPLICATE_FILE"})
    return key
