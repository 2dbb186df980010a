"""The worker balancing of tests/helpers/timing_plugin.py: modules estimated from their selected
tests' measured seconds, the measured ones packed longest first into the lightest worker's unit,
short and unmeasured ones left to the shared queue."""

from timing_plugin import SECONDS_PER_UNKNOWN_TEST, estimate, pack


def test_a_module_is_estimated_by_its_selected_tests_and_new_tests_by_the_default():
    known = {"a.py::slow": 300.0, "a.py::fast": 0.5, "b.py::one": 2.0, "gone.py::x": 9.0}
    estimates, measured = estimate(["a.py::fast", "b.py::one", "b.py::new", "c.py::x"], known)
    # a.py's slow test is deselected (make test-fast): only what runs counts
    assert estimates == {
        "a.py": 0.5,
        "b.py": 2.0 + SECONDS_PER_UNKNOWN_TEST,
        "c.py": SECONDS_PER_UNKNOWN_TEST,
    }
    assert measured == {"a.py", "b.py"}  # c.py has no measured test: never packed


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


def test_store_durations_updates_the_tests_that_ran_and_drops_deleted_modules(
    tmp_path, monkeypatch
):
    import json
    from types import SimpleNamespace

    import timing_plugin

    from support import PROJECT_ROOT

    stored = tmp_path / "durations.json"
    here = "tests/project/test_timing_plugin.py"
    stored.write_text(
        json.dumps({f"{here}::kept": 4.0, f"{here}::ran": 9.0, "tests/gone.py::x": 1})
    )
    monkeypatch.setattr(timing_plugin, "DURATIONS", stored)
    timings = timing_plugin._Timings()
    for phase_seconds in (1.004, 2.0):
        timings.pytest_runtest_logreport(
            SimpleNamespace(nodeid=f"{here}::ran", duration=phase_seconds)
        )
    config = SimpleNamespace(rootpath=PROJECT_ROOT, getoption=lambda name: True)
    timings.pytest_terminal_summary(_Reporter(), config)
    assert json.loads(stored.read_text()) == {f"{here}::kept": 4.0, f"{here}::ran": 3.0}
