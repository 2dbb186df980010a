"""The suite's time budget: balance xdist workers by measured durations, flag slow tests.

`tests/durations.json` holds each test's measured seconds (setup, call and teardown), by node
id; `pytest --store-durations` rewrites the entries of the tests it ran. A module's estimate is
the sum over its tests selected in this run, so `make test-fast` (slow tests deselected) is
balanced by what it runs, not by the whole module's time.

Under `--dist loadscope` a module keeps to one worker, so its module-scoped fixtures are built
once. Which worker, and when, comes from those estimates: the long modules are packed, longest
first, into one unit per worker (greedy bin packing, so the units are about equal); the short
ones follow as units of their own, longest first, taken by whichever worker is free, which evens
out the noise of a shared machine. A test missing from the file (a new one) counts as
SECONDS_PER_UNKNOWN_TEST; a module none of whose tests are in the file is never packed.

Any test whose setup, call and teardown together pass SLOW_TEST_S is listed at the end of the
run: a warning to keep the budget in view, never a failure (timings on shared machines are noisy).
"""

from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from pathlib import Path

import pytest

DURATIONS = Path(__file__).parents[1] / "durations.json"
SLOW_TEST_S = 60.0
SECONDS_PER_UNKNOWN_TEST = 1.0
# Modules under this share of a worker's load are not packed: they fill the gaps at the end.
TAIL_SHARE = 0.03


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store-durations",
        action="store_true",
        help=f"write each test's measured seconds to tests/{DURATIONS.name}",
    )


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def load_durations() -> dict[str, float]:
    """Test node id -> measured seconds."""
    return json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}


def estimate(nodeids, known: dict[str, float]) -> tuple[dict[str, float], set[str]]:
    """(module -> estimated seconds of its tests among `nodeids`, the modules with a measured
    test): a test not measured counts as SECONDS_PER_UNKNOWN_TEST."""
    estimates: dict[str, float] = defaultdict(float)
    measured = set()
    for nodeid in nodeids:
        module = module_of(nodeid)
        estimates[module] += known.get(nodeid, SECONDS_PER_UNKNOWN_TEST)
        if nodeid in known:
            measured.add(module)
    return dict(estimates), measured


def pack(measured: dict[str, float], total: float, bins: int) -> dict[str, int]:
    """Module -> bin for the measured modules worth packing: longest first, each into the
    lightest bin."""
    loads = [0.0] * bins
    packed = {}
    for module, seconds in sorted(measured.items(), key=lambda kv: (-kv[1], kv[0])):
        if seconds < TAIL_SHARE * total / bins:
            break
        lightest = loads.index(min(loads))
        packed[module] = lightest
        loads[lightest] += seconds
    return packed


def _scheduler(config: pytest.Config, log):
    from xdist.scheduler import LoadScopeScheduling

    class DurationScheduling(LoadScopeScheduling):
        """loadscope with packed units of modules and a longest-first queue (see above)."""

        def __init__(self, config: pytest.Config, log=None) -> None:
            super().__init__(config, log)
            self.estimates: dict[str, float] = {}
            self.bins: dict[str, int] = {}
            self.ordered = False

        def schedule(self) -> None:
            if self.collection is None and self.registered_collections:
                nodeids = next(iter(self.registered_collections.values()))
                self.estimates, measured = estimate(nodeids, load_durations())
                total = sum(self.estimates.values())
                packable = {m: s for m, s in self.estimates.items() if m in measured}
                self.bins = pack(packable, total, self.numnodes)
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            module = module_of(nodeid)
            return f"packed-{self.bins[module]}" if module in self.bins else module

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:  # the queue as built is in collection order
                self.ordered = True
                order = sorted(self.workqueue, key=self._priority)
                self.workqueue = OrderedDict((scope, self.workqueue[scope]) for scope in order)
            super()._assign_work_unit(node)

        def _priority(self, scope: str) -> tuple:
            if scope.startswith("packed-"):
                return (0, scope)
            return (1, -self.estimates[scope], scope)

    return DurationScheduling(config, log)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") == "loadscope":
        return _scheduler(config, log)
    return None


class _Timings:
    def __init__(self) -> None:
        self.per_test: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.per_test[report.nodeid] += report.duration

    def pytest_terminal_summary(self, terminalreporter, config: pytest.Config) -> None:
        slow = sorted(((s, n) for n, s in self.per_test.items() if s > SLOW_TEST_S), reverse=True)
        if slow:
            terminalreporter.write_sep("=", f"warning: tests over {SLOW_TEST_S:.0f} s", yellow=True)
            for seconds, nodeid in slow:
                terminalreporter.write_line(f"{seconds:7.1f}s {nodeid} (setup, call, teardown)")
        if config.getoption("store_durations") and self.per_test:
            known = {
                n: s
                for n, s in load_durations().items()
                if (config.rootpath / module_of(n)).exists()
            }  # tests of deleted modules go
            known.update({n: round(s, 2) for n, s in self.per_test.items()})
            DURATIONS.write_text(json.dumps(dict(sorted(known.items())), indent=0) + "\n")
            terminalreporter.write_line(f"test durations written to {DURATIONS}")


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or the only process) reports
        config.pluginmanager.register(_Timings(), "timing-plugin-reports")
