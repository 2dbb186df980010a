"""Which days are holidays, and which earlier day a seasonal naive compares each day with.

Holidays come from the data's `StateHoliday` column (a code per day: `a`, `b`, `c`) and, when
`holiday_country` is configured, from that country's public calendar (the `holidays` package),
which also names them. A day next to a holiday (the day before or after) is not ordinary either:
sales there move with the holiday.

The reference of a day, a year or more back at or before the cutoff:
- a holiday: the same holiday a year earlier, found by its name (Thanksgiving to the last
  Thanksgiving) or, for an unnamed `StateHoliday`, by its calendar rule: the same date, the same
  distance from Easter, the same nth or last weekday of the month, whichever lands on a holiday
  with the same code;
- a day next to a holiday: the same day next to that holiday a year earlier;
- either of them, when the day a year earlier fell on another weekday (a fixed-date holiday
  moves through the week), only if the holiday moved sales there by more than 10% against the
  same weekday a week before or after; otherwise it is mapped as an ordinary day;
- an ordinary day: the same weekday 52 weeks back (or one or two weeks either side of it) that is
  itself ordinary and had sales, preferring one with the same `Promo` and `SchoolHoliday` flags
  (a promotion lifts sales more than a week of season moves them).
"""

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd
from dateutil.easter import easter

from model_factory.errors import InputError

STATE_PREFIX = "state_"  # unnamed holidays: their StateHoliday code
WEEK_STEPS = (0, -7, 7, -14, 14)  # around 52 weeks back, nearest first
YEARS_BACK = (1, 2, 3)
HOLIDAY_EFFECT = 0.10  # a holiday that moved sales by less (in log) is mapped as an ordinary day


def supported(country: str) -> bool:
    import holidays

    return country in holidays.list_supported_countries()


@lru_cache(maxsize=64)
def _country_days(country: str, first_year: int, last_year: int) -> dict[dt.date, str]:
    import holidays

    if not supported(country):
        raise InputError(f"holiday_country {country!r} is not a country the holidays package knows")
    calendar = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    # Several names on one day come joined with "; ": keep the first, a stable identity.
    return {day: name.split("; ")[0] for day, name in sorted(calendar.items())}


def holiday_names(
    dates: pd.DatetimeIndex, state_holiday: np.ndarray | None, country: str | None
) -> np.ndarray:
    """Per date: the holiday's name, `state_<code>` for an unnamed StateHoliday, '' otherwise."""
    names = np.full(len(dates), "", dtype=object)
    if state_holiday is not None:
        codes = np.asarray(state_holiday, dtype=str)
        marked = codes != "0"
        names[marked] = np.char.add(STATE_PREFIX, codes[marked].astype(str))
    if country and len(dates):
        known = _country_days(country, dates.min().year - 1, dates.max().year + 1)
        for i, day in enumerate(dates.date):
            if (name := known.get(day)) is not None:
                names[i] = name
    return names


def country_holidays(country: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Date, name of the country's holidays between two dates (inclusive)."""
    known = _country_days(country, first.year, last.year)
    days = [(pd.Timestamp(d), n) for d, n in known.items() if first <= pd.Timestamp(d) <= last]
    return pd.DataFrame(days, columns=["Date", "name"])


def _rule_matches(day: dt.date, year: int) -> list[dt.date]:
    """Where `day`'s calendar rules put it in `year`: same date, Easter distance, nth and last
    weekday of the month (in that order of preference)."""
    out = []
    if (day.month, day.day) != (2, 29):
        out.append(day.replace(year=year))
    offset = (day - easter(day.year)).days
    if abs(offset) <= 70:
        out.append(easter(year) + dt.timedelta(days=offset))
    nth = (day.day - 1) // 7
    first = dt.date(year, day.month, 1)
    nth_day = first + dt.timedelta(days=(day.weekday() - first.weekday()) % 7 + 7 * nth)
    if nth_day.month == day.month:
        out.append(nth_day)
    next_month = dt.date(year + day.month // 12, day.month % 12 + 1, 1)
    last = next_month - dt.timedelta(days=1)
    out.append(last - dt.timedelta(days=(last.weekday() - day.weekday()) % 7))
    return out


class Days:
    """What the references need about every day: holiday names, school flags, known sales."""

    def __init__(self, names: dict, school: set, promo: set, known: pd.Series):
        self.names = names  # Timestamp -> holiday name (holidays only)
        self.school = school  # Timestamps with SchoolHoliday = 1
        self.promo = promo  # Timestamps with Promo = 1
        # Sales of open days with Sales > 0, by Timestamp
        self.sales = dict(zip(known.index, known.to_numpy(float), strict=True))
        self._by_name: dict[tuple[str, int], list[pd.Timestamp]] = {}
        for day, name in names.items():
            self._by_name.setdefault((name, day.year), []).append(day)

    def ordinary(self, day: pd.Timestamp) -> bool:
        one = pd.Timedelta(days=1)
        return not any(d in self.names for d in (day - one, day, day + one))

    def _anchor(self, day: pd.Timestamp) -> tuple[pd.Timestamp, int] | None:
        """(the holiday a day belongs to, the day's distance from it), None for ordinary days."""
        for offset in (0, 1, -1):
            holiday = day - pd.Timedelta(days=offset)
            if holiday in self.names:
                return holiday, offset
        return None

    def same_holiday(self, holiday: pd.Timestamp, years: int) -> pd.Timestamp | None:
        """The same holiday `years` earlier: by name, else by calendar rule."""
        name = self.names[holiday]
        target = holiday - pd.Timedelta(days=364 * years)
        if not name.startswith(STATE_PREFIX):
            found = self._by_name.get((name, holiday.year - years), [])
            if found:
                return min(found, key=lambda d: abs((d - target).days))
        for match in _rule_matches(holiday.date(), holiday.year - years):
            stamp = pd.Timestamp(match)
            other = self.names.get(stamp)
            if other is not None and (other == name or not name.startswith(STATE_PREFIX)):
                return stamp
        return None

    def _moved(self, day: pd.Timestamp) -> bool:
        """Did sales on this day (a holiday or next to one) differ from the same weekday a week
        before or after by more than HOLIDAY_EFFECT? (Christmas does, a holiday nobody keeps
        does not.)"""
        for step in (-7, 7):
            other = day + pd.Timedelta(days=step)
            if other in self.sales and self.ordinary(other):
                return abs(np.log(self.sales[day] / self.sales[other])) > HOLIDAY_EFFECT
        return True

    def reference(self, day: pd.Timestamp, cutoff: pd.Timestamp) -> pd.Timestamp | None:
        """The earlier day (at or before the cutoff, with sales) `day` is forecast from."""
        anchor = self._anchor(day)
        if anchor is not None:
            holiday, offset = anchor
            for years in YEARS_BACK:
                earlier = self.same_holiday(holiday, years)
                if earlier is None:
                    continue
                ref = earlier + pd.Timedelta(days=offset)
                if ref > cutoff or ref not in self.sales:
                    continue
                if ref.day_of_week == day.day_of_week or self._moved(ref):
                    return ref
                break  # the latest occurrence decides; older ones would only be noisier
            # No such day, or one on another weekday that the holiday did not move: the
            # weekday says more than the holiday, as for any day.
        flags = (day in self.promo, day in self.school)
        for matched in (2, 1, 0):  # both flags, Promo only, neither
            for years in YEARS_BACK:
                for step in WEEK_STEPS:
                    ref = day - pd.Timedelta(days=364 * years + step)
                    if ref > cutoff or ref not in self.sales or not self.ordinary(ref):
                        continue
                    same = (ref in self.promo, ref in self.school)
                    if same[:matched] == flags[:matched]:
                        return ref
        return None
