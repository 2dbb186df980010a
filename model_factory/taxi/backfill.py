"""Backfills: which run dates a `detect --from D1 --to D2` (or `submit --backfill D1 D2`)
runs, and which a local backfill may skip.

Each date is its own run, in order; a date's rows are replaced as a whole (`sink.replace_day`),
so re-running a date is safe and an interrupted backfill resumes where it stopped: a date whose
rows were all written by the version that would label it again is skipped, unless forced.
"""

from datetime import date, timedelta

from sqlalchemy import Engine, inspect, select

from model_factory.errors import InputError
from model_factory.taxi.config import parse_run_date
from model_factory.taxi.sink import LABELS

# A quarter: each date is a pipeline run; longer ranges are several backfills (or a schedule).
MAX_DAYS = 92


def run_dates(run_date: str | None, start: str | None, end: str | None) -> list[date]:
    """The dates to label: `run_date` alone, or every date from `start` to `end` inclusive."""
    if run_date is not None and (start is not None or end is not None):
        raise InputError("--run-date labels one date, --from/--to a range: give one or the other")
    if run_date is not None:
        return [parse_run_date(run_date)]
    if start is None or end is None:
        raise InputError("give --run-date D, or --from D1 --to D2 for a range")
    return date_range(start, end)


def date_range(start: str, end: str) -> list[date]:
    """Every date from `start` to `end`, inclusive; reversed or over MAX_DAYS is bad input."""
    first, last = parse_run_date(start), parse_run_date(end)
    if last < first:
        raise InputError(f"backfill range {start} .. {end}: {end} is before {start}")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise InputError(
            f"backfill range {start} .. {end} spans {days} days; at most {MAX_DAYS} per backfill"
        )
    return [first + timedelta(days=n) for n in range(days)]


def labelled_by(engine: Engine, dates: list[date]) -> dict[date, set[str]]:
    """The model versions whose rows each date holds (dates without rows are absent)."""
    if not dates or not inspect(engine).has_table(LABELS.name):
        return {}
    query = (
        select(LABELS.c.run_date, LABELS.c.model_version)
        .distinct()
        .where(LABELS.c.run_date >= min(dates), LABELS.c.run_date <= max(dates))
    )
    found: dict[date, set[str]] = {}
    with engine.connect() as connection:
        for day, version in connection.execute(query):
            found.setdefault(day, set()).add(version)
    return found


def to_skip(
    dates: list[date], labelled: dict[date, set[str]], version: str | None, force: bool
) -> set[date]:
    """Dates already labelled by exactly `version`, the one that would label them now.

    No version (none in production: each run fits its own) or `force`: nothing is skipped.
    """
    if force or version is None:
        return set()
    return {day for day in dates if labelled.get(day) == {version}}
