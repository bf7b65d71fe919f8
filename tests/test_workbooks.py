"""汇总报告 in a second process: the same cells as when written in place, and written in place when
the second process cannot start or dies."""

import multiprocessing
import os
import threading
from multiprocessing.connection import Connection

import pytest
from conftest import AS_OF, make_demo
from test_golden import workbook_cells

from pipeline.run import batch, receipts
from pipeline.outputs.leaders import pack, publication
from pipeline.outputs import workbooks


@pytest.fixture(scope="module")
def inbox(campaign, tmp_path_factory):
    folder = tmp_path_factory.mktemp("wb") / "inbox"
    make_demo(campaign, folder, units=4, members=8, seed=71, defects=True)
    return folder


def _cells(campaign, inbox, root):
    result = batch.run(campaign, inbox, root / "out", root / "arch", as_of=AS_OF)
    names = [pack.report_name(campaign), publication.publication_name(campaign)]
    assert not list(result.folder.glob(".tmp-*")), "no half-written workbook left behind"
    return {n: workbook_cells(result.folder / n) for n in names}


class _Dead:
    """A second process that started and died at once: it never takes the report."""
    exitcode = -9

    def __init__(self, *a, target=None, args=(), **k):
        self.args = args

    def start(self):
        pass

    def join(self, timeout=None):
        pass

    def is_alive(self):
        return False

    def terminate(self):
        pass


class _Unstartable(_Dead):
    def start(self):
        raise OSError("no processes left")


class _TakesAndDies(_Dead):
    """A second process that takes the report, then dies without writing it."""

    def start(self):
        conn = Connection(os.dup(self.args[0].fileno()))  # the parent closes its copy of this end
        self.thread = threading.Thread(target=conn.recv)
        self.thread.start()

    def join(self, timeout=None):
        self.thread.join()


def test_second_process_writes_the_same_cells(campaign, inbox, tmp_path, monkeypatch, caplog):
    here = _cells(campaign, inbox, tmp_path / "here")
    monkeypatch.setattr(workbooks, "BACKGROUND_MIN_UNITS", 0)
    started = []
    real = multiprocessing.get_context

    def spying(method):
        ctx = real(method)
        started.append(method)
        return ctx
    monkeypatch.setattr(multiprocessing, "get_context", spying)
    with caplog.at_level("ERROR", logger="pipeline.outputs.workbooks"):
        assert _cells(campaign, inbox, tmp_path / "there") == here
    assert "spawn" in started
    assert not caplog.records, "the spawned process wrote the report (no fallback)"


@pytest.mark.parametrize("process", [_Dead, _Unstartable, _TakesAndDies])
def test_a_failed_second_process_is_replaced_by_writing_here(campaign, inbox, tmp_path, monkeypatch, process,
                                                             caplog):
    here = _cells(campaign, inbox, tmp_path / "here")
    monkeypatch.setattr(workbooks, "BACKGROUND_MIN_UNITS", 0)

    class Context:
        Process = process
        Pipe = staticmethod(multiprocessing.Pipe)  # nobody reads the other end: the report is refused
    monkeypatch.setattr(multiprocessing, "get_context", lambda method: Context)
    with caplog.at_level("ERROR", logger="pipeline.outputs.workbooks"):
        assert _cells(campaign, inbox, tmp_path / "fallback") == here
    assert caplog.records, "the failure is logged"


def test_validation_workers_end_before_the_round(campaign, tmp_path, monkeypatch):
    """Idle validation workers would hold their memory through the round and the workbooks."""
    from pipeline.rules import round_results
    make_demo(campaign, tmp_path / "in", units=10, members=4, seed=72)
    assert len(list((tmp_path / "in").glob("*.xlsx"))) >= receipts.PARALLEL_MIN_FILES  # validated in workers
    seen, real = [], round_results.build

    def build(*a, **k):
        seen.append(len(multiprocessing.active_children()))
        return real(*a, **k)
    monkeypatch.setattr(batch.round_results, "build", build)
    batch.run(campaign, tmp_path / "in", tmp_path / "out", tmp_path / "arch", as_of=AS_OF)
    assert seen == [0]
