"""What the leadership workbooks share: grade colours, heat maps, charts and the page that holds
them, fixed times."""

from __future__ import annotations

import datetime as dt


from pipeline.campaign import Campaign
from pipeline.outputs.kits.sheetkit import PX_PER_CM, Book, Sheet, text_width

NOTE = "说明"  # the header of a free-text explanation column, and the title of the rules sheet
# One palette, no two meanings in one colour: the grade bands best first (green, blue, yellow, pink), the two
# ungraded kinds of member, a unit's submission state, and an alert; the grade is always written beside its
# colour too, so that a black-and-white print reads.
GRADE_FILLS = ["C6EFCE", "DDEBF7", "FFEB9C", "FFC7CE"]
PROBATIONARY_FILL, NOT_REVIEWED_FILL = "E4DFEC", "EDEDED"  # lavender, light grey
RETURNED, MISSING = "F4B183", "BFBFBF"  # a unit's 退回修改 (orange), 未报 (mid grey)
ALERT, WARNING = "FF7C80", "FCE4D6"  # something to act on (an error, overdue, a refusal); a warning (peach)
# The same colours, strong enough to tell apart as bars of a chart.
CHART_FILLS = dict(zip(GRADE_FILLS + [PROBATIONARY_FILL, NOT_REVIEWED_FILL],
                       ["63BE7B", "9BC2E6", "FFD966", "F4777F", "B4A7D6", "A6A6A6"]))
HALF_PAGE = (6.6, 25.6, False)  # 0.2 cm short of its cell: a chart that reaches the next column prints it  # (width cm, height cm, on a page of its own) of a bar chart over units
UNITS_PER_CHART = 30  # LibreOffice labels every other bar when a chart this tall holds more
# 图表: two bar charts side by side, A4 portrait at full size: 2 x 7.0 cm x 1.33 = 18.6 cm wide, 25.9 cm high.
CHARTS_GRID = dict(columns=2, rows=1, cell=(7.0, 25.9), landscape=False, scale=100)


def grade_fills(campaign: Campaign) -> dict[str, str]:
    out = {}
    for group in ("org", "member"):
        for grade, colour in zip(campaign.grades[group].grades, GRADE_FILLS):
            out[grade] = colour
    g = campaign.grades["member"]
    for ungraded, colour in ((g.probationary_grade, PROBATIONARY_FILL), (g.not_reviewed_grade, NOT_REVIEWED_FILL)):
        if ungraded:
            out[ungraded] = colour
    return out


def by_value(columns: dict[int, dict[str, str]]):
    """A table fill: column index -> {cell value: colour}."""
    def fill(row: list, j: int):
        colours = columns.get(j)
        return colours.get(row[j]) if colours and isinstance(row[j], str) else None
    return fill


def bands(campaign: Campaign, group: str) -> list[tuple[str, float, str, str]]:
    """The grade bands of `group` ("org" or "member"), best first: (grade, lower bound, colour, key text)."""
    out, above = [], None
    for band, colour in zip(campaign.grades[group].bands, GRADE_FILLS):
        key = f"{band.grade} ≥{band.min:g}" if band.min > 0 or above is None else f"{band.grade} <{above:g}"
        out.append((band.grade, band.min, colour, key))
        above = band.min
    return out


def band_colours(sheet: Sheet, first_row: int, first_col: int, last_row: int, last_col: int,
                 campaign: Campaign, group: str) -> None:
    """Score cells coloured by the grade band they fall in: the same colours as the grades themselves."""
    book = sheet.book
    sheet.ws.conditional_format(first_row, first_col, last_row, last_col, {  # a blank is no score: no colour
        "type": "blanks", "format": book.wb.add_format({}), "stop_if_true": True})
    for grade, low, colour, _ in bands(campaign, group):
        sheet.ws.conditional_format(first_row, first_col, last_row, last_col, {
            "type": "cell", "criteria": ">=", "value": low, "format": book.wb.add_format({"bg_color": f"#{colour}"}),
            "stop_if_true": True})


def legend(sheet: Sheet, entries: list[tuple[str, str | None]], col0: int = 0) -> int:
    """A key to a sheet's colours at the next row: "颜色说明" and each entry in its colour, each over as
    many of the columns as its text needs (their widths as the table below will have them: call
    `sheet.plan` first); returns the row."""
    r, ws = sheet.row, sheet.ws
    ws.set_row(r, 20)
    j = col0
    for k, (text, colour) in enumerate([("颜色说明", None)] + entries):
        props = {"align": "center", "valign": "vcenter"} | ({"bold": True} if k == 0 else
                                                             {"border": 1, "border_color": "#BFBFBF"})
        if colour:
            props["bg_color"] = f"#{colour}"
        end, room = j, sheet.width_of(j)
        while room < text_width(text) + 1:
            end += 1
            room += sheet.width_of(end)
        f = sheet.book.fmt(**props)
        if end > j:
            ws.merge_range(r, j, r, end, text, f)
        else:
            ws.write_string(r, j, text, f)
        j = end + 1
    sheet.row += 1
    return r


def grade_legend(campaign: Campaign, group: str) -> list[tuple[str, str]]:
    """The key of the grade colours: each band with its bound, then the grades outside the bands."""
    entries = [(key, colour) for _, _, colour, key in bands(campaign, group)]
    if group == "member":
        g = campaign.grades["member"]
        entries += [(grade, colour) for grade, colour in ((g.probationary_grade, PROBATIONARY_FILL),
                                                          (g.not_reviewed_grade, NOT_REVIEWED_FILL)) if grade]
    return entries


class ChartPage:
    """A sheet of charts: each chart fills one cell of a grid (columns as wide and rows as tall as a
    chart) and moves and sizes with it; A4 landscape at a fixed scale (programs ignore manual breaks
    on a sheet scaled to fit), a manual break after every page's worth of rows. A page break falls
    only between rows or columns, so no chart is ever cut. The scale leaves room for a program that
    draws columns a third wider than Excel does (LibreOffice without the workbook's font)."""

    MARGIN_CM = 0.2  # the scale (percent) and grid are chosen so that, for example, 3 x 8.0 cm x 1.33 x 0.8 = 25.5 cm
    # fits within A4 landscape's 27.7 cm

    def __init__(self, book: Book, name: str, columns: int = 3, rows: int = 2, cell: tuple[float, float] = (8.0, 8.2),
                 landscape: bool = True, scale: int = 80):
        self.sheet = book.sheet(name, landscape)
        self.COLUMNS, self.ROWS = columns, rows  # small charts per page: across, down
        self.CELL_W_CM, self.CELL_H_CM = cell  # a cell of the grid; a chart leaves a small margin in it
        for j in range(self.COLUMNS):
            self.sheet.width(j, _chars(self.CELL_W_CM))
        self.sheet.ws.set_print_scale(scale)
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


def bars(book: Book, sheet: Sheet, name: str, unit: str, category_col: int, series_cols: list[int], header_row: int,
         first_row: int, last_row: int, stacked: bool = False, lo: float = 0, hi: float | None = None,
         colours: list | None = None, labels: bool = False, names: list[str] | None = None) -> list:
    """Bar charts of table rows, half a portrait page each, at most UNITS_PER_CHART rows a chart (the later
    ones titled 续) so that every unit is labelled: the categories (unit names) in `category_col` down the
    side, first at the top; one series per column of `series_cols` (stacked when asked), named by its
    header; `colours`: a grade colour per series (keyed by the chart's legend), drawn in its strong shade;
    `labels`: each bar's value written at its end; `names`: the series' names (else their headers). Every part
    of one chart has the same axis (`lo`, `hi`, ticks a fifth of the range apart)."""
    charts = []
    for top in range(first_row, last_row + 1, UNITS_PER_CHART):
        bottom = min(last_row, top + UNITS_PER_CHART - 1)
        chart = book.wb.add_chart({"type": "bar", **({"subtype": "stacked"} if stacked else {})})
        for k, j in enumerate(series_cols):
            series = {"name": names[k] if names else [sheet.name, header_row, j],
                      "categories": [sheet.name, top, category_col, bottom, category_col],
                      "values": [sheet.name, top, j, bottom, j], "gap": 40,
                      "border": {"color": "#808080", "width": 0.5}}
            if colours and colours[k]:
                series["fill"] = {"color": f"#{CHART_FILLS.get(colours[k], colours[k])}"}
            if labels:
                series["data_labels"] = {"value": True, "position": "outside_end", "num_format": "0.00",
                                         "font": {"size": 9}}
            chart.add_series(series)
        chart.set_title({"name": name if top == first_row else f"{name}（续）", "name_font": {"size": 12}})
        # A bar chart's x axis is the values (across), its y axis the categories (down): the first unit
        # at the top, the values' axis at the foot.
        chart.set_x_axis({"name": unit, "min": lo, **({"max": hi, "major_unit": (hi - lo) / 5} if hi is not None else {}),
                          "name_font": {"size": 10}, "num_font": {"size": 10},
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_y_axis({"num_font": {"size": 10}, "interval_unit": 1, "reverse": True, "crossing": "max"})
        chart.set_legend({"position": "bottom", "font": {"size": 10}} if len(series_cols) > 1 else {"none": True})
        charts.append(chart)
    return charts


def previous_results(report) -> dict[str, float] | None:
    """Unit -> its composite in the previous round (`report.previous`, from the ledger), or None when the
    ledger holds no previous round."""
    if report.previous is None:
        return None
    prev = report.previous.org_results.dropna(subset=["composite"])
    return dict(zip(prev["unit_code"], prev["composite"].astype(float)))


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
