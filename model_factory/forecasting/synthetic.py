"""A seeded generator of Rossmann-shaped data: `train.csv` and `store.csv`, exact schemas.

Log sales add up a store's scale and linear trend, a weekly profile (store-specific), yearly
seasonality with a Christmas ramp, a store-specific promotion uplift, a small school-holiday
effect, busier days next to state holidays, a slowly wandering store level (AR(1)) and day noise.
Stores close on Sundays and on their state's holidays (national and regional German holidays,
Easter = `b`, Christmas = `c`), except that about a third of the stores open on the moving public
holidays that follow Easter (Ascension, Whit Monday, Corpus Christi; `a`), trading 30% below an
ordinary day of that weekday: a moving holiday the seasonal naive must compare with the same
holiday a year earlier. Promotions run chain-wide Monday to Friday every other week, as in
Rossmann. The `store.csv` attributes are drawn for schema compatibility and do not drive sales.
Everything is computed on (store, day) arrays from one seed: 1,115 stores x 942 days in seconds.
"""

import datetime as dt

import numpy as np
import pandas as pd
from dateutil.easter import easter

from model_factory.forecasting.config import SyntheticConfig

STATES = ("BE", "BW", "BY", "HB,NI", "HE", "HH", "NW", "RP", "SH", "SN", "ST", "TH")
HOLIDAY_CODES = np.array(["0", "a", "b", "c"])
MOVING_HOLIDAY_LOG = np.log(0.7)
EASTER_OFFSETS = (39, 50, 60)  # Ascension, Whit Monday, Corpus Christi
WEEKLY_LOG = np.array([0.12, 0.02, -0.02, -0.03, 0.04, -0.12, 0.0])  # Monday..Sunday
SALES_ORDER = ["Store", "DayOfWeek", "Date", "Sales", "Customers", "Open", "Promo",
               "StateHoliday", "SchoolHoliday"]  # fmt: skip


def generate(config: SyntheticConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, store) frames as Rossmann ships them: train sorted by Date descending, Store."""
    rng = np.random.default_rng(config.seed)
    dates = pd.date_range(config.start_date, periods=config.n_days, freq="D")
    n_stores, n_days = config.n_stores, config.n_days
    store_state = rng.integers(0, len(STATES), n_stores)
    holiday = _state_holidays(dates)[store_state]  # (store, day) codes 0..3
    school = _school_holidays(dates, rng)[store_state]
    weekday = dates.day_of_week.to_numpy()
    # Drawn from a stream of their own, so the other draws stay as they were.
    opens_on_moving = np.random.default_rng([config.seed, 1]).random(n_stores) < 0.35
    moving = (holiday == 1) & _after_easter(dates)[None, :] & opens_on_moving[:, None]
    is_open = (weekday != 6)[None, :] & ((holiday == 0) | moving)
    promo = np.broadcast_to(_promo_days(dates, rng), (n_stores, n_days))

    years = np.arange(n_days) / 365.25
    growth = np.clip(rng.normal(0.04, 0.05, n_stores), -0.15, 0.25)
    store_weekly = WEEKLY_LOG + rng.normal(0, 0.03, (n_stores, 7))
    near_holiday = _next_to(holiday > 0)
    log_sales = (
        rng.normal(np.log(6000), 0.35, n_stores)[:, None]
        + np.log1p(growth[:, None] * years[None, :])
        + store_weekly[:, weekday]
        + _yearly(dates)[None, :]
        + rng.uniform(0.15, 0.45, n_stores)[:, None] * promo
        + rng.normal(0.02, 0.03, n_stores)[:, None] * school
        + 0.10 * near_holiday[0]
        + 0.05 * near_holiday[1]
        + MOVING_HOLIDAY_LOG * moving
        + _ar1(rng.normal(0, 0.02, (n_stores, n_days)), 0.9)
        + rng.normal(0, 0.06, (n_stores, n_days))
    )
    sales = np.where(is_open, np.rint(np.exp(log_sales)), 0).astype(np.int64)
    basket = rng.uniform(7.0, 12.0, n_stores)[:, None]
    visits = sales / basket * np.exp(rng.normal(0, 0.05, (n_stores, n_days)))
    customers = np.where(is_open, np.rint(visits), 0).astype(np.int64)

    def by_date_desc(values: np.ndarray) -> np.ndarray:
        return values[:, ::-1].T.ravel()

    train = pd.DataFrame(
        {
            "Store": np.tile(np.arange(1, n_stores + 1), n_days),
            "DayOfWeek": np.repeat(weekday[::-1] + 1, n_stores).astype(np.int64),
            "Date": np.repeat(dates.strftime("%Y-%m-%d").to_numpy()[::-1], n_stores),
            "Sales": by_date_desc(sales),
            "Customers": by_date_desc(customers),
            "Open": by_date_desc(is_open.astype(np.int64)),
            "Promo": by_date_desc(promo.astype(np.int64)),
            "StateHoliday": HOLIDAY_CODES[by_date_desc(holiday)],
            "SchoolHoliday": by_date_desc(school.astype(np.int64)),
        },
        columns=SALES_ORDER,
    )
    return train, _stores(n_stores, rng)


def _after_easter(dates: pd.DatetimeIndex) -> np.ndarray:
    """Days that are Ascension, Whit Monday or Corpus Christi (moving with Easter)."""
    days = {
        pd.Timestamp(easter(year) + dt.timedelta(days=offset))
        for year in range(dates[0].year, dates[-1].year + 1)
        for offset in EASTER_OFFSETS
    }
    return dates.isin(list(days))


def _state_holidays(dates: pd.DatetimeIndex) -> np.ndarray:
    """Holiday code per (state, day): 0 none, 1 public (`a`), 2 Easter (`b`), 3 Christmas (`c`)."""
    codes = np.zeros((len(STATES), len(dates)), dtype=np.int64)
    everywhere = STATES
    for year in range(dates[0].year, dates[-1].year + 1):
        sunday = easter(year)
        nov22 = dt.date(year, 11, 22)
        repentance = nov22 - dt.timedelta(days=(nov22.weekday() - 2) % 7)
        days = [
            (dt.date(year, 1, 1), 1, everywhere),
            (dt.date(year, 1, 6), 1, ("BW", "BY", "ST")),
            (sunday - dt.timedelta(days=2), 2, everywhere),
            (sunday + dt.timedelta(days=1), 2, everywhere),
            (dt.date(year, 5, 1), 1, everywhere),
            (sunday + dt.timedelta(days=39), 1, everywhere),
            (sunday + dt.timedelta(days=50), 1, everywhere),
            (sunday + dt.timedelta(days=60), 1, ("BW", "BY", "HE", "NW", "RP")),
            (dt.date(year, 8, 15), 1, ("BY",)),
            (dt.date(year, 10, 3), 1, everywhere),
            (dt.date(year, 10, 31), 1, ("SN", "ST", "TH")),
            (dt.date(year, 11, 1), 1, ("BW", "BY", "NW", "RP")),
            (repentance, 1, ("SN",)),
            (dt.date(year, 12, 25), 3, everywhere),
            (dt.date(year, 12, 26), 3, everywhere),
        ]
        for day, code, states in days:
            column = dates.get_indexer([pd.Timestamp(day)])[0]
            if column >= 0:
                codes[[STATES.index(s) for s in states], column] = code
    return codes


def _school_holidays(dates: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """School holidays per (state, day): Easter, staggered summer, autumn and Christmas breaks."""
    school = np.zeros((len(STATES), len(dates)), dtype=bool)
    for year in range(dates[0].year - 1, dates[-1].year + 1):
        sunday = pd.Timestamp(easter(year))
        for state in range(len(STATES)):
            breaks = [
                (sunday - pd.Timedelta(days=int(rng.integers(4, 10))), 14),
                (pd.Timestamp(year, 6, 20) + pd.Timedelta(days=int(rng.integers(0, 45))), 42),
                (pd.Timestamp(year, 10, 1) + pd.Timedelta(days=int(rng.integers(0, 25))), 12),
                (pd.Timestamp(year, 12, 21) + pd.Timedelta(days=int(rng.integers(0, 3))), 16),
            ]
            for start, length in breaks:
                inside = (dates >= start) & (dates < start + pd.Timedelta(days=length))
                school[state, inside] = True
    return school


def _promo_days(dates: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Chain-wide promotions: Monday to Friday of every other week."""
    week = (dates - (dates[0] - pd.Timedelta(days=dates[0].day_of_week))).days // 7
    return (week.to_numpy() % 2 == rng.integers(0, 2)) & (dates.day_of_week.to_numpy() < 5)


def _yearly(dates: pd.DatetimeIndex) -> np.ndarray:
    """Winter high, summer low, a Christmas ramp up to the 24th and a quiet early January."""
    day_of_year = dates.day_of_year.to_numpy()
    wave = 0.04 * np.cos(2 * np.pi * (day_of_year - 355) / 365.25)
    december = (dates.month == 12) & (dates.day <= 24)
    ramp = np.where(december, 0.30 * (dates.day.to_numpy() / 24) ** 2, 0.0)
    january = np.where((dates.month == 1) & (dates.day <= 14), -0.06, 0.0)
    return wave + ramp + january


def _ar1(shocks: np.ndarray, phi: float) -> np.ndarray:
    """level[t] = phi * level[t-1] + shock[t] along the day axis (one vector op per day)."""
    level = np.empty_like(shocks)
    level[:, 0] = shocks[:, 0]
    for day in range(1, shocks.shape[1]):
        level[:, day] = phi * level[:, day - 1] + shocks[:, day]
    return level


def _next_to(holiday: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(day before a holiday, day after a holiday) masks, excluding holidays themselves."""
    before = np.zeros_like(holiday)
    after = np.zeros_like(holiday)
    before[:, :-1] = holiday[:, 1:]
    after[:, 1:] = holiday[:, :-1]
    return before & ~holiday, after & ~holiday


def _stores(n_stores: int, rng: np.random.Generator) -> pd.DataFrame:
    """A `store.csv` frame: Rossmann's columns, NaN where Rossmann leaves fields empty."""
    competition_known = rng.random(n_stores) < 0.7
    promo2 = rng.random(n_stores) < 0.5
    intervals = np.array(["Jan,Apr,Jul,Oct", "Feb,May,Aug,Nov", "Mar,Jun,Sept,Dec"])
    return pd.DataFrame(
        {
            "Store": np.arange(1, n_stores + 1),
            "StoreType": rng.choice(list("abcd"), n_stores, p=[0.54, 0.02, 0.13, 0.31]),
            "Assortment": rng.choice(list("abc"), n_stores, p=[0.53, 0.01, 0.46]),
            "CompetitionDistance": np.round(rng.lognormal(np.log(2300), 1.2, n_stores), -1),
            "CompetitionOpenSinceMonth": np.where(
                competition_known, rng.integers(1, 13, n_stores), np.nan
            ),
            "CompetitionOpenSinceYear": np.where(
                competition_known, rng.integers(2000, 2015, n_stores), np.nan
            ),
            "Promo2": promo2.astype(np.int64),
            "Promo2SinceWeek": np.where(promo2, rng.integers(1, 50, n_stores), np.nan),
            "Promo2SinceYear": np.where(promo2, rng.integers(2009, 2016, n_stores), np.nan),
            "PromoInterval": np.where(promo2, rng.choice(intervals, n_stores), None),
        }
    )
