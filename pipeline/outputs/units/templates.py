"""The standard workbooks (单位填报表, 街道点评表), generated from the campaign file with openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection

from pipeline.campaign import Campaign, Column, Round, Sheet, WorkbookLayout
from pipeline.findings import title_of
from pipeline.labels import cn_date
from pipeline.layout import INFO_FIRST_ROW, INFO_SHEET, LISTS_SHEET, META_SHEET
from pipeline.layout import template_name as layout_template_name, unit_choice
from pipeline.outputs.units import preview
from pipeline.outputs.kits import xlsx
from pipeline.outputs.kits.sheetkit import text_width

_HEADER_FILL = PatternFill("solid", fgColor="C00000")  # a required column (its header also ends in *)
_EXPECTED_FILL = PatternFill("solid", fgColor="C55A11")  # 应填: accepted blank, but a blank is flagged
_OPTIONAL_FILL = PatternFill("solid", fgColor="7F7F7F")  # an optional column
_PREVIEW_FILL = PatternFill("solid", fgColor="2F5597")  # computed for reference, never typed
_HEADER_FONT = Font(bold=True, color="FFFFFF")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")

_DATE_FORMAT = "yyyy-mm-dd"


def template_name(layout: WorkbookLayout, rnd: Round) -> str:
    return layout_template_name(layout.title, rnd.code)


def meta_values(campaign: Campaign, layout: WorkbookLayout, rnd: Round) -> dict[str, str]:
    return {"template_id": layout.key, "template_version": campaign.template_version,
            "campaign_id": campaign.id, "round": rnd.code}


def build(campaign: Campaign, layout_key: str, round_code: str, preview_rows: int | None = None) -> Workbook:
    """An empty template for one workbook kind and round; `preview_rows`: 评定结果 rows given the preview
    formulas (default: the campaign's preview_rows limit)."""
    layout = campaign.workbooks[layout_key]
    rnd = campaign.round(round_code)
    wb = Workbook()
    _info_sheet(wb.active, campaign, layout, rnd)
    lists = wb.create_sheet(LISTS_SHEET)
    for sheet in layout.sheets:
        if not sheet.host:  # a guest's columns sit on its host's worksheet
            _data_sheet(wb.create_sheet(sheet.name), sheet, layout, campaign, lists)
    _unit_list(wb[INFO_SHEET], campaign, layout, lists)
    if any(c.type == "preview" for s in layout.sheets for c in s.columns):
        preview.build(wb, campaign, preview_rows)
    if lists.max_row == 1 and lists["A1"].value is None:
        wb.remove(lists)  # no list was too long for an inline dropdown
    else:
        lists.sheet_state = "veryHidden"
    meta = wb.create_sheet(META_SHEET)
    for i, (k, v) in enumerate(meta_values(campaign, layout, rnd).items(), start=1):
        meta.cell(i, 1, k)
        meta.cell(i, 2, v)
    meta.sheet_state = "veryHidden"
    wb.active = 0
    return wb


def _list_column(lists, values) -> str:
    """Write `values` down the next free column of the hidden list sheet; its absolute range."""
    col = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
    for i, v in enumerate(values, start=1):
        lists.cell(i, col, v)
    cl = get_column_letter(col)
    return f"{LISTS_SHEET}!${cl}$1:${cl}${len(values)}"


def _options_by_form(lists, sheet: Sheet, campaign: Campaign) -> str | None:
    """For a ballot or tally sheet with a 评议方式 column: named lists of each form's own options, and
    the formula of the list of the options of the form typed on a row (all of them while the row has no
    form yet), which rating cells offer and tally counts are checked against. None for other sheets."""
    form_col = next((c for c in sheet.columns if c.key == "form"), None)
    if form_col is None or not (sheet.rating_columns or sheet.option_columns):
        return None
    group = next(g for g in ("member", "org") if set(form_col.enum) <= {f.name for f in campaign.forms[g]})
    forms = [campaign.form(group, name) for name in form_col.enum]
    wb, prefix = lists.parent, f"_{sheet.key}_"
    wb.defined_names[f"{prefix}forms"] = DefinedName(f"{prefix}forms", attr_text=_list_column(lists, form_col.enum))
    everything = list(dict.fromkeys(label for f in forms for label in f.scale.labels))
    for i, options in enumerate([everything] + [list(f.scale.labels) for f in forms]):
        wb.defined_names[f"{prefix}{i}"] = DefinedName(f"{prefix}{i}", attr_text=_list_column(lists, options))
    letter = get_column_letter(next(j for j, c in enumerate(sheet.columns, start=1) if c.key == "form"))
    return f'INDIRECT("{prefix}"&IFERROR(MATCH(${letter}2,{prefix}forms,0),0))'


def _rating_options(campaign: Campaign):
    """Every scored option of the campaign's scales, once each (for the rating cells' message)."""
    return list({o.label: o for s in campaign.scales.values() for o in s.scored}.values())


def _validation(ws, lists, column: Column, letter: str, last_row: int, first_row: int, by_form: str | None,
                campaign: Campaign) -> None:
    rng = f"{letter}{first_row}:{letter}{last_row}"
    if column.type == "rating" and by_form:
        # A warning, not a stop: points typed instead of a label (好 = 100...) are accepted, as 填报说明 says.
        points = "、".join(f"{o.label}={o.points:g}" for o in _rating_options(campaign))
        dv = DataValidation(type="list", formula1=by_form, allow_blank=True, showErrorMessage=True,
                            errorStyle="warning", errorTitle="请核对",
                            error=f"请在下拉框中选择“{column.label}”的选项（随本行的评议方式而定），也可填对应分值"
                                  f"（{points}）。填的是分值请点“是”保留。", showInputMessage=False)
    elif column.option and by_form:  # a tally count: a whole number, in a column of the row's form only
        cell = f"{letter}{first_row}"
        dv = DataValidation(type="custom", allow_blank=True, showErrorMessage=True, errorTitle="得票数有误",
                            formula1=f"AND(ISNUMBER({cell}),{cell}>=0,INT({cell})={cell},"
                                     f"COUNTIF({by_form},{letter}$1)>0)",
                            error=f"“{column.label}”的得票数应为不小于 0 的整数，且只能填本行评议方式的选项。")
    elif column.enum:
        units = column.enum == unit_codes(campaign)  # a unit: chosen by code and name, read back as the code
        shown = [unit_choice(u.code, u.name) for u in campaign.units] if units else column.enum
        formula = '"' + ",".join(shown) + '"'
        if len(formula) > 255 or units:  # Excel's limit for an inline list: refer to the hidden list sheet
            formula = _list_column(lists, shown)
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                            errorTitle="选项不符", error=f"请在下拉框中选择“{column.label}”的选项。",
                            showInputMessage=False)
    elif column.type == "date":
        dv = DataValidation(type="date", operator="between", formula1="DATE(1921,7,1)", formula2="DATE(2099,12,31)",
                            allow_blank=True, showErrorMessage=True, errorTitle="日期有误",
                            error="请按 2010-06-01 的格式填写日期。")
    elif column.type == "int":
        lo = int(column.min if column.min is not None else 0)
        hi = int(column.max if column.max is not None else 10**9)
        dv = DataValidation(type="whole", operator="between", formula1=str(lo), formula2=str(hi),
                            allow_blank=True, showErrorMessage=True, errorTitle="数值有误",
                            error=f"请填写 {lo} 到 {hi} 之间的整数。")
    else:
        return
    ws.add_data_validation(dv)
    dv.add(rng)


def _protect(ws) -> None:
    """Lock the header row only: data cells stay editable, rows can be added, sorted and filtered."""
    ws.protection = SheetProtection(sheet=True, formatCells=False, formatColumns=False, formatRows=False,
                                    insertRows=False, deleteRows=False, sort=False, autoFilter=False,
                                    selectLockedCells=False, selectUnlockedCells=False)


def _print_setup(ws, title_rows: str | None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


def header_label(column: Column) -> str:
    """A header as the template shows it: a required column marked with *, which readers ignore."""
    return f"{column.label}*" if column.required else column.label


def _data_sheet(ws, sheet: Sheet, layout: WorkbookLayout, campaign: Campaign, lists) -> None:
    last = campaign.limits.template_rows + 1
    by_form = _options_by_form(lists, sheet, campaign)
    columns = layout.worksheet_columns(sheet.key)
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        cell = ws.cell(1, j, header_label(column))
        cell.font, cell.border = _HEADER_FONT, _BOX
        cell.fill = _PREVIEW_FILL if column.type == "preview" else _HEADER_FILL if column.required else \
            _EXPECTED_FILL if column.expect else _OPTIONAL_FILL
        if column.note:  # what to fill in, where the label does not say it
            cell.comment = Comment(column.note, "街道党办", height=90, width=300)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.protection = Protection(locked=True)
        dim = ws.column_dimensions[letter]
        dim.width = column.width
        dim.protection = Protection(locked=False)
        if column.type == "date":
            dim.number_format = _DATE_FORMAT
        elif column.type in ("text", "id", "phone"):
            dim.number_format = "@"
        if column.type == "preview":  # formulas: shown, not typed over
            dim.protection = Protection(locked=True)
            dim.number_format = "0.00"
        _validation(ws, lists, column, letter, last, 2, by_form, campaign)
    # A note on the last row of the form: LibreOffice saves validations only down to 1,000 rows past the
    # last used cell, and a note counts as used (office suites and the pipeline read no value from it).
    ws.cell(last, 1).comment = Comment(f"填报区到此为止：第 2 至 {last} 行有下拉框和校验。", "街道党办")
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "B2" if sheet.key in {s.host for s in layout.sheets} else "A2"  # the member stays in view
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"
    _protect(ws)
    _print_setup(ws, "1:1")
    typed = [j for j, c in enumerate(columns, start=1) if c.type != "preview"]
    if len(typed) < len(columns):  # the preview's formulas fill every member row: print what was typed
        ws.print_area = f"A1:{get_column_letter(max(typed))}{last}"


def _info_sheet(ws, campaign: Campaign, layout: WorkbookLayout, rnd: Round) -> None:
    ws.title = INFO_SHEET
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 70
    ws["A1"] = f"{campaign.name}  {layout.title}（{rnd.name} {rnd.code}）"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"{layout.purpose}报送截止日期：{cn_date(rnd.submission_due)}。请在黄色格内填写。"
    ws["A2"].alignment = _WRAP
    ws.merge_cells("A2:C2")
    ws.row_dimensions[2].height = 32
    row = INFO_FIRST_ROW
    ws.cell(row - 1, 1, "填报信息").font = Font(bold=True)
    for f in layout.info:
        ws.cell(row, 1, f.label).font = Font(bold=True)
        value = ws.cell(row, 2)
        value.fill, value.border = INPUT_FILL, _BOX
        value.protection = Protection(locked=False)
        if f.type == "date":
            value.number_format = _DATE_FORMAT
        elif f.type in ("text", "phone") or f.enum:
            value.number_format = "@"
        hint = "（必填）" if f.required else ""
        if f.enum and f.enum != unit_codes(campaign):  # the unit list is a range: _unit_list
            dv = DataValidation(type="list", formula1='"' + ",".join(f.enum) + '"', allow_blank=True,
                                showErrorMessage=True, error=f"请在下拉框中选择“{f.label}”。")
            ws.add_data_validation(dv)
            dv.add(value.coordinate)
        elif f.enum:
            hint += "  在下拉框中选择（编码和名称），单位名单见下方"
        ws.cell(row, 3, hint.strip()).alignment = _WRAP
        row += 1
    row += 1
    row = _text_block(ws, row, "填写方法", _how_to(campaign, layout, rnd))
    cm, titles = campaign.commendation, campaign.criteria_titles
    for group, kind in (("org", cm.org_kind), ("member", cm.member_kind)):
        title = f"{kind}“{titles[group]}”"
        if any(c.criterion and c.criterion.group == group for s in layout.sheets for c in s.columns):
            row = _text_block(ws, row, title, [f"{c.name}：{c.description}" for c in campaign.criteria[group]])
    expected = [(s.name, c) for s in layout.sheets for c in s.columns if c.expect]
    if expected:
        row = _text_block(ws, row, "应填项（橙色表头：空着照常受理，但会被标出）",
                          [f"“{name}”表的“{c.label}”：空着会被标为“{title_of(c.expect)}”，并在通报中列出。" for name, c in
                           dict.fromkeys(expected)])
    noted = [(s.name, c) for s in layout.sheets for c in s.columns if c.note]
    if noted:
        row = _text_block(ws, row, "怎么填", [f"“{name}”表的“{c.label}”：{c.note}" for name, c in dict.fromkeys(noted)])
    if any(f.enum == unit_codes(campaign) for f in layout.info) or \
            any(c.enum == unit_codes(campaign) for s in layout.sheets for c in s.columns):
        row = _unit_rows(ws, row, campaign)
    scales = {f.scale.key: f.scale for g in campaign.forms.values() for f in g}
    row = _text_block(ws, row, "测评选项（可填选项或对应分值）", [
        f"{s.name}：" + "、".join(f"{o.label}（{o.points:g}分）" if o.points is not None else f"{o.label}（不计分）"
                                 for o in s.options) for s in scales.values()])
    _text_block(ws, row, "各工作表", [f"{s.name}（在“{layout.sheet(s.host).name}”表中）：{s.note}" if s.host
                                    else f"{s.name}：{s.note}" for s in layout.sheets])
    ws.protection = SheetProtection(sheet=True, formatCells=False, formatColumns=False, formatRows=False,
                                    selectLockedCells=False, selectUnlockedCells=False)
    _print_setup(ws, None)
    ws.page_setup.orientation = "portrait"


RETURNED_HOW_TO = ("收到街道发回的标注稿时（第一张工作表为“问题清单”，红色格为错误、橙色格为警告，批注写明怎样改，点击“单元格”"
                   "可跳到该格）：写“须修改后重新报送”的，直接在标注稿中改好，另存为 .xlsx 重新报送，不必重新填写，"
                   "上次的标注和批注会自动去掉（本单位自己的批注保留）；写“已受理，无需重报”的，核实后下次填报时注意。")


def _how_to(campaign: Campaign, layout: WorkbookLayout, rnd: Round) -> list[str]:
    """The workbook's 填写方法 from the campaign, then the minimum ballots (unit workbook) and the deadline."""
    lines = list(layout.how_to)
    if layout.key == "unit":
        def count(f):
            exact = f.max_ballots is not None and f.max_ballots == f.min_ballots
            return f"{f.name}{'恰 ' if exact else '至少 '}{f.min_ballots} 张"
        unit_forms = [f for f in campaign.forms["org"] if f.source == "unit"]
        upward = campaign.form_by_role("org", "upward")
        lines.append("每名党员的评议票：" + "、".join(count(f) for f in campaign.forms["member"]) +
                     "；本单位党组织的评议票：" + "、".join(count(f) for f in unit_forms) +
                     (f"（没有下级党组织的党支部不填{upward.name}）" if upward else "") + "。票数不足的给出提示，结果仅供参考。")
        lines.append(RETURNED_HOW_TO)
    lines.append(f"填好后以 .xlsx 格式保存，于 {cn_date(rnd.submission_due)} 前报街道党办。文件名可自定。")
    return [f"{n}. {line}" for n, line in enumerate(lines, start=1)]


def _text_block(ws, row: int, title: str, lines: list[str]) -> int:
    """A bold title, then the lines merged over the sheet's width, each row as high as its text wraps to;
    returns the next free row."""
    ws.cell(row, 1, title).font = Font(bold=True)
    row += 1
    for line in lines:
        cell = ws.cell(row, 1, line)
        cell.alignment = _WRAP
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        ws.row_dimensions[row].height = 15 * max(1, -(-int(text_width(line)) // _LINE_WIDTH))
        row += 1
    return row + 1


def _unit_rows(ws, row: int, campaign: Campaign) -> int:
    """The campaign's units, code in column A and name in B, one a row (prints whole at any count)."""
    ws.cell(row, 1, "单位名单").font = Font(bold=True)
    ws.cell(row, 2, "（单位编码、单位名称）")
    for i, u in enumerate(campaign.units, start=row + 1):
        ws.cell(i, 1, u.code)
        ws.cell(i, 2, u.name)
    return row + len(campaign.units) + 2


_LINE_WIDTH = 108  # what one merged line of 填报说明 holds, in half-width characters (columns A-C: 116)


def unit_codes(campaign: Campaign) -> tuple[str, ...]:
    return tuple(u.code for u in campaign.units)


def _unit_list(ws, campaign: Campaign, layout: WorkbookLayout, lists) -> None:
    """The 单位编码 dropdown from a list range of code and name (no 255-character inline list)."""
    for i, f in enumerate(layout.info):
        if f.enum == unit_codes(campaign):
            choices = [unit_choice(u.code, u.name) for u in campaign.units]
            dv = DataValidation(type="list", formula1=_list_column(lists, choices),
                                allow_blank=True, showErrorMessage=True, errorTitle="单位有误",
                                error=f"请在下拉框中选择“{f.label}”。")
            ws.add_data_validation(dv)
            dv.add(f"B{INFO_FIRST_ROW + i}")


def fixed_time(rnd: Round) -> dt.datetime:
    """Templates carry the round's start as their timestamp, so a regeneration is byte-stable."""
    return dt.datetime.combine(rnd.start, dt.time(8, 0))


def write_all(campaign: Campaign, out_dir: str | Path) -> list[Path]:
    """Write every template (each workbook kind for each round) into `out_dir`."""
    out = []
    for rnd in campaign.rounds:
        for layout in campaign.workbooks.values():
            wb = build(campaign, layout.key, rnd.code)
            out.append(xlsx.save(wb, Path(out_dir) / template_name(layout, rnd), fixed_time(rnd), campaign.organiser))
    return out
