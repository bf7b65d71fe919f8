"""data/*.csv (SPEC §8): UTF-8 with BOM, English snake_case headers, the same bytes on every platform,
text that a spreadsheet would read as a formula defused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.campaign import Campaign
from pipeline.outputs.kits.xlsx import is_formula_like
from pipeline.rules import commendation, flags, scores, supervision
from pipeline.rules.round_results import RoundReport

FINDING_COLUMNS = ["file", "sheet", "cell", "column", "value", "code", "severity", "title", "message"]


def _rectification_columns(campaign: Campaign) -> list[str]:
    keys = [c.key for c in campaign.workbooks["unit"].sheet("rectifications").columns]
    return ["unit_code"] + keys + ["flags"]


def columns(campaign: Campaign) -> dict[str, list[str]]:
    """data/<name>.csv -> its columns, for every table of the round."""
    return {
        "org_scores.csv": scores.SCORE_COLUMNS, "member_scores.csv": scores.SCORE_COLUMNS,
        "org_results.csv": scores.ORG_RESULT_COLUMNS, "member_results.csv": scores.MEMBER_RESULT_COLUMNS,
        "rectifications.csv": _rectification_columns(campaign), "coverage_flags.csv": flags.COVERAGE_COLUMNS,
        "nominations.csv": commendation.NOMINATION_COLUMNS, "eligible_not_nominated.csv": commendation.ELIGIBLE_COLUMNS,
        "submissions.csv": supervision.SUBMISSION_COLUMNS, "missing_activities.csv": supervision.MISSING_ACTIVITY_COLUMNS,
        "activity_reports.csv": supervision.REPORT_COLUMNS, "spot_checks.csv": supervision.SPOT_CHECK_COLUMNS,
    }


def tables(report: RoundReport) -> dict[str, object]:
    """File name -> a function giving its table: each made when written, the large score tables
    being copies (rounded)."""
    s = report.scores
    return {
        "org_scores.csv": lambda: scores.score_csv(s.org_stats),
        "member_scores.csv": lambda: scores.score_csv(s.member_stats),
        "org_results.csv": lambda: s.org_results, "member_results.csv": lambda: s.member_results,
        "rectifications.csv": lambda: report.rectifications, "coverage_flags.csv": lambda: report.coverage,
        "nominations.csv": lambda: report.nominations, "eligible_not_nominated.csv": lambda: report.eligible,
        "submissions.csv": lambda: report.submissions, "missing_activities.csv": lambda: report.missing_activities,
        "activity_reports.csv": lambda: report.activity_reports, "spot_checks.csv": lambda: report.spot_checks,
    }


def write_csv(frame_or_rows, columns: list[str], path: Path) -> None:
    """UTF-8 with BOM (Excel opens it correctly), fixed columns, no index, empty for missing values;
    text that a spreadsheet would read as a formula gets a leading apostrophe (OWASP CSV injection)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = frame_or_rows if isinstance(frame_or_rows, pd.DataFrame) else pd.DataFrame(frame_or_rows)
    frame = frame.reindex(columns=columns)
    for c in columns:
        col = frame[c]
        if not (col.dtype == object or pd.api.types.is_string_dtype(col)):
            continue
        distinct = _distinct(col)
        if any(isinstance(v, (list, tuple)) for v in distinct):  # codes carried as records, joined here
            frame[c] = col = col.map(lambda v: ";".join(v) if isinstance(v, (list, tuple)) else v)
            distinct = _distinct(col)
        risky = [v for v in distinct if is_formula_like(v)]
        if risky:
            frame[c] = col.mask(col.isin(risky), "'" + col.astype(str))
    # A fixed line end, the same bytes on every platform: CRLF as RFC 4180 has it, so that a text holding a
    # bare CR is quoted too (with LF alone it was written raw, and readers split the row there).
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _distinct(col: pd.Series) -> list:
    """Each value once: a large table repeats its codes (every value, when some cannot be hashed)."""
    try:
        return list(pd.unique(col))
    except TypeError:
        return col.tolist()


def write_round(campaign: Campaign, report: RoundReport, folder: Path) -> None:
    """Every table of the round as data/<name>.csv under `folder`."""
    frames = tables(report)
    for name, cols in columns(campaign).items():
        write_csv(frames[name](), cols, folder / name)
