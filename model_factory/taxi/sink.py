"""The staging table `taxi_ride_labels`: one set of rows per run date, replaced atomically.

Re-running a date deletes its rows and inserts the new ones in one transaction, so a failure
anywhere in between (a constraint, a lost connection, a crash) leaves the previous rows as they
were. Inserts are one executemany (SQLAlchemy batches it per dialect), never a row at a time.
"""

from datetime import date, datetime

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)

metadata = MetaData()
LABELS = Table(
    "taxi_ride_labels",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("ride_id", String(255), primary_key=True),
    Column("ride_dist", Float, nullable=False),
    Column("ride_time", Float, nullable=False),
    Column("ride_speed", Float, nullable=False),
    Column("cluster", Integer, nullable=False),
    Column("is_anomaly", Boolean, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False),
)
WRITTEN = ["ride_id", "ride_dist", "ride_time", "ride_speed", "cluster", "is_anomaly"]


def replace_day(engine: Engine, labels: pd.DataFrame, run_date: date, scored_at: datetime) -> int:
    """Make the run date's rows exactly `labels`; return the number of rows written."""
    metadata.create_all(engine, tables=[LABELS])
    rows = [
        {**row, "run_date": run_date, "scored_at": scored_at}
        for row in labels[[*WRITTEN, "model_version"]].to_dict("records")
    ]
    with engine.begin() as connection:
        connection.execute(delete(LABELS).where(LABELS.c.run_date == run_date))
        if rows:
            connection.execute(insert(LABELS), rows)
    return len(rows)


def read_day(engine: Engine, run_date: date) -> pd.DataFrame:
    """The stored rows of one run date, ordered by ride_id."""
    query = select(LABELS).where(LABELS.c.run_date == run_date).order_by(LABELS.c.ride_id)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(), columns=LABELS.c.keys())
