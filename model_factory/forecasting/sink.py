"""The table `store_forecasts`: one row per (store, date, model_version), written idempotently.

Writing a batch deletes exactly the (store, date, model_version) keys it inserts and inserts
them in one transaction, so re-running a version's forecasts replaces them exactly, rows the
batch does not name (another store's other dates, another version) stay, and a failure leaves
the previous rows untouched. Forecasts of other versions are never touched, so versions can be
compared side by side.
"""

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from model_factory import sql

FORECASTS = sa.Table(
    "store_forecasts",
    sql.METADATA,
    sa.Column("store", sa.Integer, primary_key=True),
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("model_version", sa.String(64), primary_key=True),
    sa.Column("open", sa.Boolean, nullable=False),
    sa.Column("forecast", sa.Float, nullable=False),
    sa.Column("lower", sa.Float, nullable=False),
    sa.Column("upper", sa.Float, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
KEYS_PER_DELETE = 400  # (store, date) pairs per DELETE: 800 parameters, under every driver's cap


def replace_forecasts(
    engine: sa.Engine, forecasts: pd.DataFrame, model_version: str, created_at: datetime
) -> int:
    """Make this version's rows for these stores and dates exactly `forecasts`; rows written."""
    rows = [
        {
            "store": int(row.Store),
            "date": row.Date.date(),
            "model_version": model_version,
            "open": bool(row.Open),
            "forecast": float(row.forecast),
            "lower": float(row.lower),
            "upper": float(row.upper),
            "created_at": created_at,
        }
        for row in forecasts.itertuples(index=False)
    ]
    keys = [(row["store"], row["date"]) for row in rows]
    stale = [
        sa.delete(FORECASTS).where(
            FORECASTS.c.model_version == model_version,
            sa.tuple_(FORECASTS.c.store, FORECASTS.c.date).in_(
                keys[start : start + KEYS_PER_DELETE]
            ),
        )
        for start in range(0, len(keys), KEYS_PER_DELETE)
    ]
    with sql.replacing(engine, FORECASTS, *stale) as connection:
        connection.execute(sa.insert(FORECASTS), rows)  # one executemany, batched per dialect
    return len(rows)


def read_forecasts(engine: sa.Engine, model_version: str | None = None) -> pd.DataFrame:
    """Stored rows (of one version, or all), ordered by store, date and version."""
    query = sa.select(FORECASTS).order_by(
        FORECASTS.c.store, FORECASTS.c.date, FORECASTS.c.model_version
    )
    if model_version is not None:
        query = query.where(FORECASTS.c.model_version == model_version)
    return sql.read_rows(engine, query)
