"""What every SQL sink shares (SQLAlchemy: SQLite, PostgreSQL, ...): database URLs and engines,
the metadata its tables live in, the atomic replacement of a key's rows, and reading rows back.
A sink module keeps only its table and which rows a write replaces."""

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
from sqlalchemy import Connection, Engine, Executable, MetaData, Select, Table, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from model_factory.errors import InputError

METADATA = MetaData()  # every sink's tables: two sinks cannot both claim a table name


@contextmanager
def replacing(engine: Engine, table: Table, *stale: Executable) -> Iterator[Connection]:
    """A transaction on `table` (created if absent) in which the `stale` statements (deletes of
    the keys a write replaces) have run: what the caller writes in it replaces them exactly, rows
    of other keys stay, and a failure anywhere leaves the previous rows as they were."""
    table.metadata.create_all(engine, tables=[table])
    with engine.begin() as connection:
        for statement in stale:
            connection.execute(statement)
        yield connection


def read_rows(engine: Engine, query: Select) -> pd.DataFrame:
    """The query's rows as a frame with its columns (also when there are none)."""
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return pd.DataFrame(rows, columns=list(query.selected_columns.keys()))


def engine_for(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; a malformed URL (port included), an unknown dialect or
    a driver that is not installed is an InputError."""
    try:
        port = make_url(url).port
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"port {port} is not in 1..65535")
        return create_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise InputError(f"database URL {safe_url(url)!r} is not usable: {exc}") from exc
    except ImportError as exc:  # the dialect is known, its DBAPI driver is not installed
        raise InputError(
            f"database URL {safe_url(url)!r}: its driver is not installed ({exc.msg}); install "
            "it or name an installed one (e.g. postgresql+psycopg2://)"
        ) from exc


def check_connection(url: str) -> None:
    """Fail before any work if the database is unusable (bad URL: exit 2; unreachable: exit 1)."""
    engine = engine_for(url)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        raise ConnectionError(f"cannot connect to {safe_url(url)}: {exc.orig}") from exc
    finally:
        engine.dispose()


def safe_url(url: str) -> str:
    """The URL with its password masked, for logs and metrics."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return "<unparseable URL>"
