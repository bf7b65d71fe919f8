"""What the leadership workbooks share: grade colours, heat maps, charts and the page that holds
them, fixed times."""

from __future__ import annotations

import datetime as dt

from pipeline.campaign import Campaign
from pipeline.outputs.sheetkit import PX_PER_CM, Book, Sheet

NOTE = "说明"  # the header of a free-text explanation column, and the title of the rules sheet
GRADE_FILLS = ["C6EFCE", "E2EFDA", "FFEB9C", "FFC7CE"]
GREY = "EDEDED"
RED, YELLOW, GREEN = "FFC7CE", "FFEB9C", "C6EFCE"
FULL_PAGE = (23.6, 14.0, True)  # (width cm, height cm, on a page of its own) of a chart over all units
RADAR = (7.6, 7.8, False)


def grade_fills(campaign: Campaign) -> dict[str, str]:
    out = {}
    for group in ("org", "member"):
        for grade, colour in zip(campaign.grades[group].grades, GRADE_FILLS):
            out[grade] = colour
    for ungraded in (campaign.grades["member"].probationary_grade, campaign.grades["member"].not_reviewed_grade):
        if ungraded:
            out[ungraded] = GREY
    return out


def by_value(columns: dict[int, dict[str, str]]):
    """A table fill: column index -> {cell value: colour}."""
    def fill(row: list, j: int):
        colours = columns.get(j)
        return colours.get(row[j]) if colours and isinstance(row[j], str) else None
    return fill


def heat(sheet: Sheet, first_row: int, first_col: int, last_row: int, last_col: int, lo: float, hi: float) -> None:
    sheet.ws.conditional_format(first_row, first_col, last_row, last_col, {
        "type": "3_color_scale", "min_type": "num", "min_value": lo, "min_color": "#F8696B",
        "mid_type": "num", "mid_value": (lo + hi) / 2, "mid_color": "#FFEB84",
        "max_type": "num", "max_value": hi, "max_color": "#63BE7B"})


class ChartPage:
    """The 图表 sheet: each chart fills one cell of a grid (columns as wide and rows as tall as a
    chart) and moves and sizes with it; A4 landscape at a fixed scale (programs ignore manual breaks
    on a sheet scaled to fit), a manual break after every page's worth of rows. A page break falls
    only between rows or columns, so no chart is ever cut. The scale leaves room for a program that
    draws columns a third wider than Excel does (LibreOffice without Calibri or Carlito)."""

    COLUMNS, ROWS = 3, 2  # small charts per page: across, down
    CELL_W_CM, CELL_H_CM = 8.0, 8.2  # a cell of the grid; a chart leaves a small margin in it
    MARGIN_CM = 0.2
    SCALE = 80  # percent: 3 x 8.0 cm x 1.33 x 0.8 = 25.5 cm, within A4 landscape's 27.7 cm

    def __init__(self, book: Book, name: str):
        self.sheet = book.sheet(name)
        ws = self.sheet.ws
        ws.set_column(0, self.COLUMNS - 1, _chars(self.CELL_W_CM))
        ws.set_print_scale(self.SCALE)
        self.row, self.col, self.rows_on_page, self.breaks = 0, 0, 0, []

    def add(self, chart, width_cm: float, height_cm: float, new_page: bool = False) -> None:
        """A small chart goes in the next cell; a wide one (`new_page`) takes a row on a page of its own."""
        ws = self.sheet.ws
        if self.col and (new_page or self.col == self.COLUMNS):
            self._next_row()
        if self.col == 0 and self.row and (new_page or self.rows_on_page == self.ROWS):
            self._page_break()
        height = height_cm if new_page else self.CELL_H_CM
        if self.col == 0:  # a space under the chart: a row without content is not printed, nor broken
            ws.set_row(self.row, height * 72 / 2.54)
            ws.write_string(self.row, 0, " ")
        chart.set_size({"width": round(width_cm * PX_PER_CM), "height": round(height_cm * PX_PER_CM)})
        ws.insert_chart(self.row, self.col, chart, {"x_offset": round(self.MARGIN_CM * PX_PER_CM), "y_offset": 0})
        if new_page:  # nothing else on this page
            self._next_row()
            self.rows_on_page = self.ROWS
        else:
            self.col += 1

    def _next_row(self) -> None:
        self.row, self.col = self.row + 1, 0
        self.rows_on_page += 1

    def _page_break(self) -> None:
        self.breaks.append(self.row)
        self.sheet.ws.set_h_pagebreaks(self.breaks)
        self.rows_on_page = 0


def _chars(cm: float) -> float:
    """A column width in Excel characters (7 pixels each, plus 5) for a width in cm."""
    return round((cm * PX_PER_CM - 5) / 7, 2)


def stacked_bars(book: Book, sheet: Sheet, name: str, unit: str, col0: int, n_series: int, header_row: int,
                 last_row: int):
    """A stacked column chart of a table: categories in column `col0`, one series per column after it."""
    chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
    for j in range(col0 + 1, col0 + n_series + 1):
        chart.add_series({"name": [sheet.name, header_row, j], "categories": [sheet.name, header_row + 1, col0,
                                                                               last_row, col0],
                          "values": [sheet.name, header_row + 1, j, last_row, j], "gap": 50})
    chart.set_title({"name": name, "name_font": {"size": 14}})
    chart.set_y_axis({"name": unit, "min": 0, "name_font": {"size": 11}, "num_font": {"size": 11}})
    chart.set_x_axis({"num_font": {"size": 10}})
    chart.set_legend({"position": "bottom", "font": {"size": 11}})
    return chart


def radar(book: Book, sheet: Sheet, name: str, row: int, first_col: int, last_col: int, header_row: int,
          lo: float, hi: float):
    """A radar chart of one table row (its criteria in the header row)."""
    chart = book.wb.add_chart({"type": "radar", "subtype": "with_markers"})
    chart.add_series({"name": name, "categories": [sheet.name, header_row, first_col, header_row, last_col],
                      "values": [sheet.name, row, first_col, row, last_col]})
    chart.set_title({"name": name, "name_font": {"size": 12}})
    chart.set_y_axis({"min": lo, "max": hi, "major_unit": (hi - lo) / 2, "num_font": {"size": 10}})
    chart.set_x_axis({"num_font": {"size": 10}})
    chart.set_legend({"none": True})
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
