"""Where things sit in a template: shared by the writer (outputs.templates) and the readers (intake)."""

META_SHEET = "_meta"  # very hidden: template id, version, campaign id, round
LISTS_SHEET = "_lists"  # very hidden: dropdown lists too long to sit inline
INFO_SHEET = "填报说明"  # instructions, and the info block (unit, round, who, when)
INFO_FIRST_ROW = 4  # the info block: label in column A, value in column B
HEADER_SCAN_ROWS = 10  # a header row is looked for this far down (title rows inserted by hand)


def template_name(title: str, round_code: str) -> str:
    """A template's file name: 单位填报表_R1.xlsx."""
    return f"{title}_{round_code}.xlsx"


def unit_choice(code: str, name: str) -> str:
    """A unit as the template's 单位编码 dropdown offers it: code and name (the readers take the code)."""
    return f"{code} {name}"
