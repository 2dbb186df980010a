"""The worker balancing of tests/timing_plugin.py: measured modules packed longest first into
the lightest worker's unit, short and unmeasured ones left to the shared queue."""

from timing_plugin import pack


def test_long_modules_are_packed_longest_first_into_the_lightest_bin():
    measured = {"a.py": 300.0, "b.py": 200.0, "c.py": 150.0, "d.py": 120.0, "e.py": 0.5}
    bins = pack(measured, total=sum(measured.values()), bins=2)
    assert bins == {"a.py": 0, "b.py": 1, "c.py": 1, "d.py": 0}  # 420 s and 350 s; e.py queued
    assert "e.py" not in bins


def test_nothing_measured_packs_nothing():
    assert pack({}, total=500.0, bins=2) == {}


class _Reporter:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_sep(self, sep: str, title: str, **markup) -> None:
        self.lines.append(title)

    def write_line(self, line: str, **markup) -> None:
        self.lines.append(line)


class _Config:
    def getoption(self, name: str):
        return False  # no --store-durations


def test_a_test_over_the_budget_is_listed_as_a_warning_with_its_setup_call_and_teardown():
    from types import SimpleNamespace

    from timing_plugin import SLOW_TEST_S, _Timings

    timings = _Timings()
    for nodeid, seconds in (("t.py::slow", 0.6 * SLOW_TEST_S), ("t.py::fast", 1.0)):
        for _phase in ("setup", "call"):  # the slow one passes the budget only in sum
            timings.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, duration=seconds))
    reporter = _Reporter()
    timings.pytest_terminal_summary(reporter, _Config())  # returns, raises nothing: a warning
    assert reporter.lines[0] == f"warning: tests over {SLOW_TEST_S:.0f} s"
    assert reporter.lines[1:] == [f"{1.2 * SLOW_TEST_S:7.1f}s t.py::slow (setup, call, teardown)"]

    quiet = _Reporter()
    _Timings().pytest_terminal_summary(quiet, _Config())
    assert quiet.lines == []
