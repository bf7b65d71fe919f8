"""A received workbook opened for reading: python-calamine, with openpyxl as the fallback for a
sheet calamine cannot convert (it panics on some extreme dates)."""

from __future__ import annotations

from pathlib import Path

import python_calamine


def is_panic(e: BaseException) -> bool:
    """pyo3 turns a Rust panic into PanicException, which derives from BaseException only."""
    return type(e).__name__ == "PanicException"


class Book:
    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt = Path(path), fmt
        self._cal = python_calamine.CalamineWorkbook.from_path(str(path))
        self._opx = None
        self._sheets: dict = {}  # calamine reads a sheet whole on each get: once per sheet is enough

    @property
    def sheet_names(self) -> list[str]:
        return self._cal.sheet_names

    def _sheet(self, name: str):
        if name not in self._sheets:
            self._sheets[name] = self._cal.get_sheet_by_name(name)
        return self._sheets[name]

    def dims(self, name: str) -> tuple[int, int]:
        sheet = self._sheet(name)
        return sheet.total_height, sheet.total_width

    def rows(self, name: str, nrows: int | None = None) -> list[list]:
        """Cell values from A1 (row 0 = Excel row 1, column 0 = A); empty cells as ''."""
        try:
            sheet = self._sheet(name)
            return sheet.to_python(skip_empty_area=False, nrows=nrows) if sheet.height else []
        except BaseException as e:
            if not is_panic(e) or self.fmt not in ("xlsx", "xlsm"):
                raise
        return self._openpyxl_rows(name, nrows)

    def _openpyxl_rows(self, name: str, nrows: int | None) -> list[list]:
        from openpyxl import (
            load_workbook,  # defusedxml is installed: openpyxl parses with it
        )
        if self._opx is None:
            self._opx = load_workbook(self.path, read_only=True, data_only=True)
        ws = self._opx[name]
        return [["" if v is None else v for v in row] for row in ws.iter_rows(max_row=nrows, values_only=True)]
