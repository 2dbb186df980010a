"""Database URLs and engines shared by every SQL sink (SQLAlchemy: SQLite, PostgreSQL, ...)."""

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from model_factory.errors import InputError


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
