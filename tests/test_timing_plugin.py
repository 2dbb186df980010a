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
