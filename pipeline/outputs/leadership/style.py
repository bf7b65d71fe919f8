"""What the leadership workbooks share: grade colours, heat maps, charts placed exactly, fixed times."""

from __future__ import annotations

import datetime as dt

from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import PatternFill

from pipeline.campaign import Campaign
from pipeline.outputs.sheetkit import fill_cells


NOTE = "说明"  # the header of a free-text explanation column, and the title of the rules sheet
GRADE_FILLS = ["C6EFCE", "E2EFDA", "FFEB9C", "FFC7CE"]
GREY = "EDEDED"
RED, YELLOW = PatternFill("solid", fgColor="FFC7CE"), PatternFill("solid", fgColor="FFEB9C")
RADAR_W, RADAR_H = 10.0, 8.0  # cm
_EMU_PER_CM = 360000


def grade_fills(campaign: Campaign) -> dict[str, PatternFill]:
    out = {}
    for group in ("org", "member"):
        for grade, colour in zip(campaign.grades[group].grades, GRADE_FILLS):
            out[grade] = PatternFill("solid", fgColor=colour)
    for ungraded in (campaign.grades["member"].probationary_grade, campaign.grades["member"].not_reviewed_grade):
        if ungraded:
            out[ungraded] = PatternFill("solid", fgColor=GREY)
    return out


def colour_column(ws, col: int, first: int, last: int, fills: dict[str, PatternFill]) -> None:
    by_value: dict[str, list] = {}
    for r in range(first, last + 1):
        cell = ws.cell(r, col)
        if cell.value in fills:
            by_value.setdefault(cell.value, []).append(cell)
    for value, cells in by_value.items():
        fill_cells(ws, cells, fills[value])


def heat(ws, ref: str, lo: float, hi: float) -> None:
    ws.conditional_formatting.add(ref, ColorScaleRule(
        start_type="num", start_value=lo, start_color="F8696B", mid_type="num", mid_value=(lo + hi) / 2,
        mid_color="FFEB84", end_type="num", end_value=hi, end_color="63BE7B"))


def place(ws, chart, row: int, x_cm: float, y_cm: float) -> None:
    """Anchor a chart at an exact offset (cm) from the top-left of `row`, whatever the column widths."""
    marker = AnchorMarker(col=0, colOff=int(x_cm * _EMU_PER_CM), row=row, rowOff=int(y_cm * _EMU_PER_CM))
    chart.anchor = OneCellAnchor(_from=marker, ext=XDRPositiveSize2D(int(chart.width * _EMU_PER_CM),
                                                                      int(chart.height * _EMU_PER_CM)))
    ws.add_chart(chart)


def stacked_bars(ws, name: str, unit: str, col0: int, n_series: int, header_row: int, last_row: int,
                  width: float) -> BarChart:
    """A stacked column chart of a table: categories in column `col0`, one series per column after it."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    chart.title = name
    chart.y_axis.title = unit
    chart.y_axis.scaling.min = 0
    chart.add_data(Reference(ws, min_col=col0 + 1, max_col=col0 + n_series, min_row=header_row, max_row=last_row),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=col0, min_row=header_row + 1, max_row=last_row))
    chart.width, chart.height = width, 9
    return chart


def fixed_time(as_of: dt.date) -> dt.datetime:
    return dt.datetime.combine(as_of, dt.time(18, 0))


def field_labels(campaign: Campaign) -> dict[str, str]:
    """Field key -> its label as the unit workbook shows it (the 填报说明 block, then every sheet; a key
    on several sheets has one label): the report speaks the units' words, and another campaign's follow."""
    layout = campaign.workbooks["unit"]
    out = {f.key: f.label for f in layout.info}
    for sheet in layout.sheets:
        for c in sheet.columns:
            out.setdefault(c.key, c.label)
    return out
