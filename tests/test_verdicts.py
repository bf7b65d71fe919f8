"""Live verdicts, decided by each run from the stored facts (ledger/verdicts.py): worked by hand on small
ledgers of receipts, and the invariants over many (hypothesis)."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ledger.verdicts import PastRun, Receipt, RunContext, closing_runs, decide

DAY = dt.date(2026, 12, 6)


def receipt(id, run, round="R1", unit="FN01", filled="2010-07-20", status="accepted", mtime=0, dup=None,
            kind="unit"):
    return Receipt(id, f"f{id}.xlsx", kind, unit, round, filled, "", status, run, mtime, dup, DAY)


def statuses(campaign, receipts, runs, ctx):
    return {i: v.status for i, v in decide(campaign, receipts, runs, ctx).items()}


def test_the_latest_filled_on_wins_then_the_later_received(campaign):
    rs = [receipt(1, 1, filled="2010-07-25"), receipt(2, 2, filled="2010-07-20"), receipt(3, 2, unit="FN02"),
          receipt(4, 3, unit="FN02", status="rejected")]
    ctx = RunContext(dt.date(2010, 8, 2), run=3, round="R1")
    assert statuses(campaign, rs, [PastRun(1, "R1", frozenset()), PastRun(2, "R1", frozenset())], ctx) == \
        {1: "accepted", 2: "superseded", 3: "accepted", 4: "rejected"}


def test_the_same_filled_on_the_later_received_wins_and_both_are_warned(campaign):
    rs = [receipt(1, 1, mtime=5), receipt(2, 1, mtime=9)]
    live = decide(campaign, rs, [], RunContext(dt.date(2010, 8, 2), run=1, round="R1"))
    assert (live[1].status, live[2].status) == ("superseded", "accepted")
    assert [f.code for f in live[1].findings] == [f.code for f in live[2].findings] == ["W_SAME_FILLED_ON"]
    assert "f1.xlsx" in live[2].findings[0].message and "f2.xlsx" in live[1].findings[0].message


def test_a_future_date_rejects_for_the_run_and_never_wins(campaign):
    rs = [receipt(1, 1, filled="2010-07-20"), receipt(2, 1, filled="2011-07-28")]
    live = decide(campaign, rs, [], RunContext(dt.date(2010, 8, 2), run=1, round="R1"))
    assert (live[1].status, live[2].status) == ("accepted", "rejected")
    assert [(f.code, f.value, f.cell) for f in live[2].findings] == [("E_FUTURE_DATE", "2011-07-28", "B8")]
    later = decide(campaign, rs, [], RunContext(dt.date(2011, 7, 30), run=1, round="R1"))
    assert (later[1].status, later[2].status) == ("superseded", "accepted")


def test_a_future_date_against_the_day_the_file_came(campaign):
    (r,) = [Receipt(1, "a.xlsx", "unit", "FN01", "R1", "2010-08-05", "B8", "accepted", 1, 0, None,
                    dt.date(2010, 8, 3))]
    live = decide(campaign, [r], [], RunContext(dt.date(2010, 9, 1), run=1, round="R1"))
    assert live[1].status == "rejected" and "收到此文件的日期 2010-08-03" in live[1].findings[0].message


def test_a_rejected_file_a_later_accepted_one_replaced_is_superseded(campaign):
    rs = [receipt(1, 1, status="rejected"), receipt(2, 2, filled="2010-07-01")]
    assert statuses(campaign, rs, [], RunContext(dt.date(2010, 8, 2), run=2, round="R1")) == \
        {1: "superseded", 2: "accepted"}
    rs = [receipt(1, 2, status="rejected"), receipt(2, 1)]
    assert statuses(campaign, rs, [], RunContext(dt.date(2010, 8, 2), run=2, round="R1")) == \
        {1: "rejected", 2: "accepted"}, "the rejected file came later: it goes back"


def test_a_round_closes_when_a_later_round_is_collected(campaign):
    runs = [PastRun(1, "R1", frozenset()), PastRun(2, "R2", frozenset())]
    rs = [receipt(1, 1), receipt(2, 2, round="R2", filled="2012-06-01")]
    assert closing_runs(campaign, rs, runs, RunContext(DAY)) == {"R1": 2}
    assert closing_runs(campaign, rs[:1], runs[:1], RunContext(DAY, run=2, round="R1")) == {}
    assert closing_runs(campaign, rs[:1], runs[:1], RunContext(DAY, run=2, round="R2")) == {"R1": 2}


def test_a_file_of_a_closed_round_is_late_until_a_run_reopens_it(campaign):
    runs = [PastRun(1, "R1", frozenset()), PastRun(2, "R2", frozenset())]
    rs = [receipt(1, 1), receipt(2, 2, round="R2", filled="2012-06-01"), receipt(3, 3, filled="2010-08-20")]
    ctx = RunContext(dt.date(2012, 6, 10), run=3, round="R2")
    live = decide(campaign, rs, runs, ctx)
    assert {i: v.status for i, v in live.items()} == {1: "accepted", 2: "accepted", 3: "late"}
    assert [f.code for f in live[3].findings] == ["W_ROUND_CLOSED"] and "第一阶段" in live[3].findings[0].message
    reopened = RunContext(dt.date(2012, 6, 10), run=3, round="R2", reopen=frozenset({"R1"}))
    assert statuses(campaign, rs, runs, reopened) == {1: "superseded", 2: "accepted", 3: "accepted"}
    recorded = runs + [PastRun(3, "R2", frozenset({"R1"}))]
    assert statuses(campaign, rs, recorded, RunContext(dt.date(2012, 6, 11), run=4, round="R2"))[3] == "accepted"
    rs.append(receipt(4, 4, filled="2010-08-25"))
    assert statuses(campaign, rs, recorded, RunContext(dt.date(2012, 6, 11), run=4, round="R2"))[4] == "late", \
        "a file after the reopening run is late again"


def test_a_round_being_reported_is_open_whatever_the_as_of(campaign):
    """R1 files run late (the as-of in R2's dates) with no R2 file: R1 is reported, and open."""
    rs = [receipt(1, 1)]
    assert statuses(campaign, rs, [], RunContext(dt.date(2011, 9, 1), run=1, round="R1")) == {1: "accepted"}


def test_the_bytes_of_a_rejected_file_received_again_are_rejected_again(campaign):
    rs = [receipt(1, 1, status="rejected"), receipt(2, 2, status="duplicate", dup=1)]
    live = decide(campaign, rs, [], RunContext(dt.date(2010, 8, 2), run=2, round="R1"))
    assert (live[2].status, live[2].resent_of) == ("rejected", 1)
    assert [(f.code, f.file, f.detail) for f in live[2].findings] == [("N_RESENT", "f2.xlsx", "f1.xlsx")]
    rs = [receipt(1, 1), receipt(2, 2, status="duplicate", dup=1)]
    assert statuses(campaign, rs, [], RunContext(dt.date(2010, 8, 2), run=2, round="R1"))[2] == "duplicate"


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(1, 4), st.sampled_from(["FN01", "FN02"]), st.sampled_from(["R1", "R2"]),
                          st.integers(0, 3), st.sampled_from(["accepted", "rejected"])), min_size=1, max_size=12),
       st.dates(dt.date(2010, 6, 1), dt.date(2012, 7, 31)), st.booleans())
def test_at_most_one_file_counts_per_unit_and_round(campaign, rows, as_of, reopen):
    days = {"R1": ["2010-06-10", "2010-07-20", "2010-09-01", "2011-03-01"],
            "R2": ["2011-09-01", "2012-03-01", "2012-06-01", "2012-07-20"]}
    rs = sorted([receipt(i, run, round=rnd, unit=unit, filled=days[rnd][d], status=status)
                 for i, (run, unit, rnd, d, status) in enumerate(rows, start=1)], key=lambda r: r.id)
    rnd = max((r.round for r in rs), key=lambda c: c == "R2")
    ctx = RunContext(as_of, run=5, round=rnd, reopen=frozenset({"R1"}) if reopen else frozenset())
    live = decide(campaign, rs, [], ctx)
    assert set(live) == {r.id for r in rs}, "every receipt has a verdict"
    for key in {(r.unit_code, r.round) for r in rs}:
        counted = [r for r in rs if (r.unit_code, r.round) == key and live[r.id].status == "accepted"]
        assert len(counted) <= 1
        for r in counted:
            assert r.filled_on <= as_of.isoformat() and r.status == "accepted"
    for r in rs:
        if live[r.id].status == "late":
            assert r.round == "R1" and not reopen
