"""The store_forecasts sink on SQLite and on a real PostgreSQL server.

A write replaces exactly the (store, date, model_version) keys it inserts: a ragged calendar
(stores with different dates) must not delete another store's dates, and a writer killed in the
middle of its transaction leaves the old rows or the new ones, never a mix.
"""

from datetime import UTC, datetime

import pandas as pd
import pytest

from model_factory import sql
from model_factory.forecasting import sink
from support import kill_mid_write

CREATED = datetime(2024, 8, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'staging.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(url):
    engine = sql.engine_for(url)
    yield engine
    engine.dispose()


def forecasts(keys: list[tuple[int, str]], value: float) -> pd.DataFrame:
    return pd.DataFrame({
        "Store": [store for store, _ in keys],
        "Date": pd.to_datetime([day for _, day in keys]),
        "Open": True, "forecast": value, "lower": value - 1, "upper": value + 1,
    })  # fmt: skip


def stored(engine) -> dict[tuple[int, str, str], float]:
    rows = sink.read_forecasts(engine)
    return {
        (int(r.store), r.date.isoformat(), r.model_version): r.forecast
        for r in rows.itertuples(index=False)
    }


def test_a_ragged_calendar_replaces_only_its_own_keys(engine):
    """Store 1: 08-01 and 08-02, store 2: 08-01 only; store 2's 08-02 row of the same version,
    outside the batch, must stay (a delete by store and date range took it)."""
    full = [(s, f"2024-08-0{d}") for s in (1, 2) for d in (1, 2, 3)]
    sink.replace_forecasts(engine, forecasts(full, 10.0), "1", CREATED)
    sink.replace_forecasts(engine, forecasts(full, 50.0), "2", CREATED)
    ragged = [(1, "2024-08-01"), (1, "2024-08-02"), (2, "2024-08-01")]
    assert sink.replace_forecasts(engine, forecasts(ragged, 20.0), "1", CREATED) == 3

    expected = {(s, d, "1"): 20.0 if (s, d) in ragged else 10.0 for s, d in full}
    expected |= {(s, d, "2"): 50.0 for s, d in full}
    assert stored(engine) == expected


def test_a_batch_larger_than_one_delete_statement_replaces_every_key(engine):
    keys = [(s, f"2024-08-{d:02d}") for s in range(1, 31) for d in range(1, 31)]  # 900 keys
    sink.replace_forecasts(engine, forecasts(keys, 1.0), "1", CREATED)
    sink.replace_forecasts(engine, forecasts(keys, 2.0), "1", CREATED)
    assert stored(engine) == {(s, d, "1"): 2.0 for s, d in keys}


def write_new_batch(engine) -> None:
    """Twice the stored keys, every forecast 2.0: a write that takes a while."""
    keys = [(s, f"2024-08-{d:02d}") for s in range(1, 501) for d in range(1, 31)]
    sink.replace_forecasts(engine, forecasts(keys, 2.0), "1", datetime.now(UTC))


def test_a_writer_killed_mid_write_leaves_the_old_rows_or_the_new(url, engine):
    keys = [(s, f"2024-08-{d:02d}") for s in range(1, 251) for d in range(1, 31)]
    sink.replace_forecasts(engine, forecasts(keys, 1.0), "1", CREATED)
    old = stored(engine)
    engine.dispose()  # the forked writer must not share a pooled connection

    kill_mid_write(write_new_batch, url)

    after = stored(engine)
    new = len(after) == 15_000 and set(after.values()) == {2.0}
    assert after == old or new, f"a mix: {len(after)} rows of {sorted(set(after.values()))}"
