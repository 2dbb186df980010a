"""The taxi_ride_labels sink on SQLite and on a real PostgreSQL server.

Idempotence (a re-run replaces the date's rows), atomicity (a failure mid-write keeps the old
rows: the failure is a real primary-key violation raised by the database, or a SIGKILL of the
writing process), bulk writes (COPY on PostgreSQL, one executemany per chunk elsewhere) that
keep every value exactly.
"""

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from model_factory import sql
from model_factory.taxi import sink
from support import kill_mid_write

DAY, OTHER_DAY = date(2024, 6, 1), date(2024, 6, 2)
N = 2_500  # more than one insertmanyvalues page (1,000 rows) on PostgreSQL


def labels(n: int = N, version: str = "1", prefix: str = "r") -> pd.DataFrame:
    ids = [f"{prefix}{i:05d}" for i in range(n)]
    dist = [1.0 + i % 9 for i in range(n)]
    time = [2.0 + i % 13 for i in range(n)]
    return pd.DataFrame({
        "ride_id": ids, "ride_dist": dist, "ride_time": time,
        "ride_speed": [d / (t / 60) for d, t in zip(dist, time, strict=True)],
        "cluster": [0 if i % 50 else -1 for i in range(n)],
        "is_anomaly": [i % 50 == 0 for i in range(n)],
        "model_version": version,
    })  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'staging.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = sql.engine_for(url)
    yield engine
    engine.dispose()


def stored(engine, day=DAY) -> pd.DataFrame:
    return sink.read_day(engine, day)


def test_rows_match_the_labels(engine):
    scored_at = datetime(2024, 6, 2, 3, 4, 5, tzinfo=UTC)
    assert sink.replace_day(engine, labels(), DAY, scored_at) == N
    rows = stored(engine)
    assert len(rows) == N
    assert rows["run_date"].eq(DAY).all() and rows["model_version"].eq("1").all()
    assert rows["is_anomaly"].sum() == N // 50 and rows["cluster"].min() == -1
    expected = labels().sort_values("ride_id").reset_index(drop=True)
    pd.testing.assert_series_equal(rows["ride_speed"], expected["ride_speed"])


def test_rerunning_a_date_replaces_its_rows_and_leaves_other_dates(engine):
    now = datetime.now(UTC)
    sink.replace_day(engine, labels(), DAY, now)
    sink.replace_day(engine, labels(n=10, prefix="o"), OTHER_DAY, now)
    sink.replace_day(engine, labels(n=N - 100, version="2"), DAY, now)
    rows = stored(engine)
    assert len(rows) == N - 100 and rows["model_version"].eq("2").all()
    assert rows["ride_id"].is_unique
    assert len(stored(engine, OTHER_DAY)) == 10


def test_a_failure_mid_write_keeps_the_previous_rows(engine):
    sink.replace_day(engine, labels(), DAY, datetime(2024, 6, 2, tzinfo=UTC))
    before = stored(engine)
    # The last row repeats a ride_id: the database rejects it after the delete and after
    # thousands of new rows went in, so only the transaction can bring the old rows back.
    broken = labels(version="2")
    broken = pd.concat([broken, broken.iloc[[0]]], ignore_index=True)
    with pytest.raises(IntegrityError):
        sink.replace_day(engine, broken, DAY, datetime.now(UTC))
    pd.testing.assert_frame_equal(stored(engine), before)


def write_big_day(engine) -> None:
    sink.replace_day(engine, labels(n=60_000, version="2"), DAY, datetime.now(UTC))


def test_a_writer_killed_mid_write_leaves_the_old_rows_or_the_new(engine):
    """SIGKILL, not an exception: no rollback runs in the writer, only the database's own."""
    sink.replace_day(engine, labels(), DAY, datetime(2024, 6, 2, tzinfo=UTC))
    before = stored(engine)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()  # the forked writer must not share a pooled connection

    kill_mid_write(write_big_day, url)

    after = stored(engine)
    new = len(after) == 60_000 and after["model_version"].eq("2").all()
    assert after.equals(before) or new, f"a mix: {after['model_version'].value_counts()}"


class StatementLog:
    """What reached the database driver: SQL statements (and whether executemany), COPYs."""

    def __init__(self, engine):
        self.statements: list[tuple[str, bool]] = []
        self.copies: list[str] = []

        @event.listens_for(engine, "before_cursor_execute")
        def statement(conn, cursor, text, parameters, context, executemany):
            self.statements.append((text.lstrip().split()[0].upper(), executemany))

        @event.listens_for(engine, "connect")
        def spy_on_copy(dbapi_connection, record):
            if engine.dialect.driver != "psycopg2":
                return
            import psycopg2.extensions

            copies = self.copies

            class Cursor(psycopg2.extensions.cursor):
                def copy_expert(self, text, file, *args, **kwargs):
                    copies.append(text)
                    return super().copy_expert(text, file, *args, **kwargs)

            dbapi_connection.cursor_factory = Cursor

    def inserts(self) -> list[bool]:
        return [many for verb, many in self.statements if verb == "INSERT"]


@pytest.mark.parametrize("chunk_rows", [1_000, sink.CHUNK_ROWS])
def test_rows_go_in_bulk_one_statement_per_chunk(engine, monkeypatch, chunk_rows):
    """PostgreSQL: one COPY per chunk and no INSERT; others: one executemany INSERT per chunk."""
    monkeypatch.setattr(sink, "CHUNK_ROWS", chunk_rows)
    log = StatementLog(engine)  # before the first connection, so the spy sees every cursor
    assert sink.replace_day(engine, labels(), DAY, datetime.now(UTC)) == N
    chunks = -(-N // chunk_rows)
    if engine.dialect.name == "postgresql":
        assert log.inserts() == [] and len(log.copies) == chunks
        assert all(text.startswith("COPY taxi_ride_labels") for text in log.copies)
    else:
        assert log.inserts() == [True] * chunks and log.copies == []
    assert len(stored(engine)) == N


def test_awkward_ids_and_floats_round_trip_exactly(engine):
    """Quotes, commas, newlines, backslashes, non-ASCII, CSV's end marker; floats to the bit."""
    frame = labels(n=8)
    frame["ride_id"] = ['a,b', 'say "hi"', "two\nlines", "back\\slash", "\\.", "ünï ✓",
                        " lead", "NULL"]  # fmt: skip
    frame["ride_dist"] = [0.1, 1 / 3, 2.0**-1074, 1e308, 12345.678901234567, 5e-324, 0.3, 7.0]
    sink.replace_day(engine, frame, DAY, datetime.now(UTC))
    rows = stored(engine).set_index("ride_id")
    expected = frame.set_index("ride_id")
    assert sorted(rows.index) == sorted(expected.index)
    for column in ["ride_dist", "ride_time", "ride_speed"]:
        assert rows[column].to_dict() == expected[column].to_dict(), column  # exact equality
    assert rows["is_anomaly"].to_dict() == expected["is_anomaly"].to_dict()


def test_urls_in_metrics_and_errors_hide_the_password():
    assert sql.safe_url("postgresql://etl:s3cret@db:5432/staging") == (
        "postgresql://etl:***@db:5432/staging"
    )


def test_bad_urls_are_input_errors():
    from model_factory.errors import InputError

    for url in ["not a url", "nosuchdialect://host/db"]:
        with pytest.raises(InputError, match="database URL"):
            sql.engine_for(url)
