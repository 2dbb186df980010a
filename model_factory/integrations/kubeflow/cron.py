"""Cron schedules: the 5-field crontab people write, as the 6-field form Kubeflow Pipelines runs.

KFP's recurring runs use robfig/cron, whose first field is seconds (`0 0 6 * * *` is 06:00
every day). We accept the usual `minute hour day-of-month month day-of-week`, check every field
here so a typo fails before anything is uploaded, and prepend `0` seconds. Times are the KFP
server's clock (UTC on most clusters).
"""

import re

from model_factory.errors import InputError

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

# (name, lowest, highest, names for lowest.., whether `?` is allowed) per 5-field position.
FIELDS = [
    ("minute", 0, 59, [], False),
    ("hour", 0, 23, [], False),
    ("day of month", 1, 31, [], True),
    ("month", 1, 12, MONTHS, False),
    ("day of week", 0, 6, WEEKDAYS, True),
]
_ITEM = re.compile(r"(?P<range>\*|\?|[^-/]+(?:-[^-/]+)?)(?:/(?P<step>\d+))?")


def to_kfp(expression: str) -> str:
    """`0 6 * * 1-5` -> `0 0 6 * * 1-5`; InputError naming the first bad field."""
    fields = expression.split()
    if len(fields) != 5:
        raise InputError(
            f"schedule {expression!r}: expected 5 fields (minute hour day-of-month month "
            f"day-of-week, e.g. '0 6 * * *'), got {len(fields)}"
        )
    for value, spec in zip(fields, FIELDS, strict=True):
        _check_field(value, *spec, expression=expression)
    return " ".join(["0", *fields])


def _check_field(
    value: str, name: str, low: int, high: int, names: list[str], question: bool, expression: str
) -> None:
    def bad(reason: str) -> InputError:
        return InputError(f"schedule {expression!r}: {name} {value!r}: {reason}")

    for item in value.split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise bad("expected *, N, N-M, a list of those, each optionally /STEP")
        if match["step"] is not None and int(match["step"]) == 0:
            raise bad("a step must be at least 1")
        if match["range"] == "?" and not question:
            raise bad("'?' is allowed in day of month and day of week only")
        if match["range"] in {"*", "?"}:
            continue
        bounds = [_number(part, low, names, bad) for part in match["range"].split("-")]
        for bound in bounds:
            if not low <= bound <= high:
                hint = " (Sunday is 0)" if name == "day of week" and bound == 7 else ""
                raise bad(f"{bound} is outside {low}-{high}{hint}")
        if len(bounds) == 2 and bounds[0] > bounds[1]:
            raise bad(f"range {match['range']} runs backwards")


def _number(text: str, low: int, names: list[str], bad) -> int:
    if text.isdigit():
        return int(text)
    if text.upper() in names:
        return low + names.index(text.upper())
    raise bad(f"{text!r} is not a number" + (f" or one of {','.join(names)}" if names else ""))
