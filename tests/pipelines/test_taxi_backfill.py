"""`model-factory detect taxi --from D1 --to D2`: every date in order, resumable (dates
the production version labelled are skipped unless --force), bad ranges refused."""

from datetime import date

import pytest

from model_factory import sql
from model_factory.taxi import backfill, sink
from pipelines.taxi_detection import MODEL
from support import World, assert_refused, clear_stages, run_main

RIDES = "300"  # small synthetic days: the runs, not DBSCAN, are under test


def stored(db: str, day: str):
    engine = sql.engine_for(db)
    try:
        return sink.read_day(engine, date.fromisoformat(day))
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--from", "2024-06-03", "--to", "2024-06-01"], "2024-06-01 is before 2024-06-03"),
        (["--from", "2024-01-01", "--to", "2024-12-31"], "spans 366 days; at most 92"),
        (["--run-date", "2024-06-01", "--from", "2024-06-01", "--to", "2024-06-02"],
         "--run-date labels one date, --from/--to a range"),
        (["--from", "2024-06-01"], "give --run-date D, or --from D1 --to D2"),
        ([], "give --run-date D, or --from D1 --to D2"),
        (["--from", "2024-06-01", "--to", "2024-6-2"], "run date must be YYYY-MM-DD"),
        (["--from", "2024-06-01", "--to", "2024-06-02", "--data", "rides.csv"],
         "--data holds one day's rides"),
    ],
)  # fmt: skip
def test_a_bad_range_is_refused_and_writes_nothing(tmp_path, options, message):
    db = f"sqlite:///{tmp_path / 'staging.db'}"
    before = World(databases=[db])
    code, _, err = run_main("detect", "taxi", "--db", db, *options)
    assert_refused(code, err, message)
    assert World(databases=[db]) == before


def test_backfill_labels_in_order_skips_what_production_labelled_and_forces(tmp_path):
    from zenml.client import Client

    db = f"sqlite:///{tmp_path / 'staging.db'}"
    clear_stages(MODEL.name)
    code, _, err = run_main(
        "detect", "taxi", "--run-date", "2024-06-01", "--rides", RIDES, "--db", db
    )
    assert code == 0, err[-2000:]
    first = stored(db, "2024-06-01")
    version = first["model_version"].iloc[0]
    Client().get_model_version(MODEL.name, version).set_stage("production", force=True)

    args = ("detect", "taxi", "--rides", RIDES, "--db", db)
    code, out, err = run_main(*args, "--from", "2024-06-01", "--to", "2024-06-02",
                              "--metrics-out", str(tmp_path / "backfill.json"))  # fmt: skip
    assert code == 0, err[-2000:]
    assert f"[1/2] 2024-06-01: skipped, labelled by version {version} already" in out
    assert "[2/2] 2024-06-02: labelling" in out
    assert "taxi backfill 2024-06-01 .. 2024-06-02" in out
    assert stored(db, "2024-06-01").equals(first)  # not rewritten
    second = stored(db, "2024-06-02")
    assert len(second) == int(RIDES) and second["model_version"].eq(version).all()

    # Everything labelled already: a rerun runs nothing.
    runs = Client().list_pipeline_runs(size=1).total
    code, out, err = run_main(*args, "--from", "2024-06-01", "--to", "2024-06-02")
    assert code == 0, err[-2000:]
    assert out.count("skipped, labelled by version") == 2 and "labelling" not in out
    assert stored(db, "2024-06-02").equals(second)
    assert Client().list_pipeline_runs(size=1).total == runs

    code, out, err = run_main(*args, "--from", "2024-06-02", "--to", "2024-06-02", "--force")
    assert code == 0, err[-2000:]
    assert "[1/1] 2024-06-02: labelling" in out
    again = stored(db, "2024-06-02")
    assert (again["scored_at"] > second["scored_at"].max()).all()
    clear_stages(MODEL.name)  # a 300-ride detector must not stay production for later modules


def test_what_is_skipped():
    days = backfill.run_dates(None, "2024-02-28", "2024-03-01")
    assert days == [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]
    labelled = {days[0]: {"3"}, days[1]: {"2", "3"}, days[2]: {"2"}}
    assert backfill.to_skip(days, labelled, "3", force=False) == {days[0]}  # mixed: relabel
    assert backfill.to_skip(days, labelled, "3", force=True) == set()
    assert backfill.to_skip(days, labelled, None, force=False) == set()  # each run would fit
    assert len(backfill.run_dates(None, "2024-01-01", "2024-04-01")) == backfill.MAX_DAYS
