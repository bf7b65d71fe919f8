"""Demo submissions: realistic, seeded, date-consistent workbooks for every unit and the street.

With `defects`, the catalogued mistakes and the accepted human variations are injected, and
an answer key lists each expected finding (file, sheet, cell, code).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from openpyxl.utils import get_column_letter

from pipeline.campaign import Campaign, Round
from pipeline.demo.defects import FORMULA_TEXTS, file_defects, inject_errors, inject_variations
from pipeline.demo.shapes import Submission, seeded
from pipeline.demo.units import UnitBuilder, street_submission, tally_rows
from pipeline.layout import INFO_FIRST_ROW, INFO_SHEET
from pipeline.outputs.units import templates
from pipeline.outputs.kits import xlsx


class DemoError(Exception):
    """The demo cannot be generated with these options."""


# ------------------------------------------------------------------ rendering

def write_cell(cell, value) -> None:
    if isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        xlsx.set_text(cell, value)


def render(campaign: Campaign, s: Submission, round_code: str):
    """The submission as an openpyxl workbook built on the template, and a function from
    (sheet key, row index, column key) to the A1 cell where that value sits."""
    layout = campaign.workbooks[s.layout]
    # The preview formulas for the members this unit has (a unit's own copy is just as exact, and lighter).
    wb = templates.build(campaign, s.layout, round_code, preview_rows=len(s.rows.get("roster", [])) or None)
    info = wb[INFO_SHEET]
    for i, f in enumerate(layout.info):
        if s.info.get(f.key) is not None:
            write_cell(info.cell(INFO_FIRST_ROW + i, 2), s.info[f.key])
    positions = {}
    for sheet in layout.sheets:
        if sheet.host:
            continue
        ws = wb[sheet.name]
        order = s.variant.order.get(sheet.key, [c.key for c in layout.worksheet_columns(sheet.key)])
        top = s.variant.title_rows.get(sheet.key, 0)
        if s.variant.touches(sheet.key):  # rebuilt by hand: a plain sheet in the template's place
            index = wb.sheetnames.index(sheet.name)
            wb.remove(ws)
            ws = wb.create_sheet(sheet.name, index)
            for t in range(top):
                ws.cell(t + 1, 1, f"{s.unit.name if s.unit else ''}{sheet.name}")
            labels = {c.key: templates.header_label(c) for c in layout.worksheet_columns(sheet.key)}
            for j, key in enumerate(order, start=1):
                ws.cell(top + 1, j, labels[key])
        extra = s.variant.extra.get(sheet.key)
        if extra:
            ws.cell(top + 1, len(order) + 1, extra[0])
        rows = s.rows.get(sheet.key, [])
        for guest in layout.guests(sheet.key):  # a guest's row goes on its subject's row of the host
            key = guest.columns[0].key
            by_subject = {g[key]: g for g in s.rows.get(guest.key, [])}
            rows = [r | {k: v for k, v in by_subject.get(r.get(key), {}).items() if k != key} for r in rows]
            positions[guest.key] = [next(i for i, r in enumerate(rows) if r.get(key) == g[key])
                                    for g in s.rows.get(guest.key, [])]
        columns = {c.key: c for c in layout.worksheet_columns(sheet.key)}
        for r, row in enumerate(rows):
            for j, key in enumerate(order, start=1):
                if columns[key].type != "preview":  # the template's formulas stay
                    write_cell(ws.cell(top + 2 + r, j), row.get(key))
            if extra and extra[1][r] is not None:
                write_cell(ws.cell(top + 2 + r, len(order) + 1), extra[1][r])
        positions[sheet.key] = (top, order, extra[0] if extra else None)

    def locate(sheet_key, row, col):
        host = layout.sheet(sheet_key).host
        if host:  # a guest's row index -> its subject's row on the host
            row = None if row is None else positions[sheet_key][row]
            sheet_key = host
        top, order, extra_label = positions[sheet_key]
        if col is None:
            return f"A{top + 1}"
        j = len(order) + 1 if col == extra_label else order.index(col) + 1
        return f"{get_column_letter(j)}{top + 1 if row is None else top + 2 + row}"
    return wb, locate


# ------------------------------------------------------------------ entry point

def default_as_of(rnd: Round) -> dt.date:
    return rnd.submission_due


def _submissions(campaign: Campaign, rnd: Round, chosen: list, members: int, as_of: dt.date, seed, defects: bool,
                 absent: int, tallies: bool) -> list[Submission]:
    """Every chosen unit's submission (the defects injected into two of them) and the street's."""
    n = len(chosen)
    qrng = seeded(seed, "quality")
    # A plausible round (issue 23): most members 优秀 or 合格, 基本合格 and 不合格 a few per cent.
    qualities = {u.code: qrng.uniform(0.74, 0.95) for u in chosen}
    if n >= 3:
        qualities[chosen[-1].code] = 0.55  # one clearly weaker unit
    err_i, var_i = min(1, n - 1), min(2, n - 1)
    subs = []
    for i, unit in enumerate(chosen):
        b = UnitBuilder(campaign, rnd, unit, members, as_of, seed, qualities[unit.code])
        roster = b.roster()
        b.mark_absent(roster, absent)
        ballots = b.member_ballots(roster)
        rows = {"roster": roster, "org_ballots": b.org_ballots(), "member_ballots": ballots,
                "decisions": b.decisions(roster, ballots), "rectifications": b.rectifications(roster),
                "activities": b.activities(skip_required=(n >= 4 and i == n - 2)),
                "nominations": []}
        rows["nominations"] = b.nominations(roster, rows["decisions"])
        if tallies:  # decided from the ballots above; then written as the units keep them
            for group in ("org", "member"):
                rows[f"{group}_tallies"] = tally_rows(campaign, rows[f"{group}_ballots"], group)
                rows[f"{group}_ballots"] = []
        name = [f"{unit.code}{unit.name}创先争优填报表.xlsx", f"附件1-{unit.name}.xlsx",
                f"{unit.name}{rnd.name}评议材料.xlsx"][i % 3]
        s = Submission("unit", name, b.info(), rows, unit)
        if defects and i == 0:
            for j, text in enumerate(FORMULA_TEXTS):
                rows["org_ballots"][j]["opinion"] = text
            rows["rectifications"][-1]["problem"] = FORMULA_TEXTS[0]
        if defects and i == err_i:
            inject_errors(campaign, s)
        if defects and i == var_i and var_i != err_i:
            inject_variations(campaign, s, b)
        subs.append(s)
    subs.append(street_submission(campaign, rnd, chosen, qualities, as_of, seed))
    return subs


def answer_key_path(inbox: Path, given: str | Path | None) -> Path:
    """Where the answer key goes: beside the inbox (answer_key.json in its parent folder), never in it, where
    the next run would take it for a submission."""
    path = Path(given) if given else Path(inbox).resolve().parent / "answer_key.json"
    if Path(inbox).resolve() in path.resolve().parents:
        raise DemoError(f"答案文件 {path} 不能放在演示收件箱 {inbox} 中（汇总时会被当作报送文件），请换一个位置。")
    return path


def generate(campaign: Campaign, inbox: str | Path, *, units: int | None = None, members: int = 20,
             round_code: str | None = None, as_of: dt.date | None = None, seed: int | str = 1,
             defects: bool = False, answer_key: str | Path | None = None, absent: int = 0,
             tallies: bool = False) -> list[dict]:
    """Write demo submissions into `inbox`; return the answer key (also written when `defects`).
    `absent`: members per unit who took no part (a 未参评原因, no ballots, 评定结果 未参评); `tallies`: the
    same votes written as 得票汇总 (组织评议汇总, 党员评议汇总) instead of one row per ballot."""
    if round_code is None:
        rnd = campaign.round_for(as_of) if as_of else None
        rnd = rnd or campaign.rounds[0]
    elif round_code not in {r.code for r in campaign.rounds}:
        raise DemoError(f"评议阶段“{round_code}”不在活动配置中（可选：{'、'.join(r.code for r in campaign.rounds)}）")
    else:
        rnd = campaign.round(round_code)
    as_of = as_of or default_as_of(rnd)
    if as_of < rnd.start:
        raise DemoError(f"基准日期 {as_of} 早于{rnd.name}开始日期 {rnd.start}，无法生成已填报的数据")
    n = len(campaign.units) if units is None else units
    if not 1 <= n <= len(campaign.units):
        raise DemoError(f"单位数应在 1 到 {len(campaign.units)} 之间（活动配置中的单位数）")
    if not 0 <= absent <= members - 2:
        raise DemoError(f"未参评人数应在 0 到 {members - 2} 之间（每单位至少两名党员参评）")
    if defects and (absent or tallies):
        raise DemoError("--absent、--tallies 不能与 --defects 同时使用")
    if members < 3:
        raise DemoError("每单位党员数至少为 3")
    key_path = answer_key_path(inbox, answer_key) if defects else None  # refused before anything is written
    chosen = list(campaign.units[:n])
    subs = _submissions(campaign, rnd, chosen, members, as_of, seed, defects, absent, tallies)
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    key = []
    when = dt.datetime.combine(as_of, dt.time(9, 0))
    written = {}
    for s in subs:
        wb, locate = render(campaign, s, rnd.code)
        path = xlsx.save(wb, inbox / s.file_name, when, s.info.get("filled_by") or "")
        written[s.file_name] = path
        layout = campaign.workbooks[s.layout]
        for sheet_key, row, col, code in s.expected:
            key.append({"file": s.file_name, "sheet": layout.worksheet_name(sheet_key),
                        "cell": locate(sheet_key, row, col), "code": code})
    if defects:
        key += file_defects(campaign, inbox, chosen, subs, written)
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_text(json.dumps(key, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return key
