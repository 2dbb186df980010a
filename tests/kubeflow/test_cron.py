"""5-field crontab expressions become KFP's 6-field cron, and typos fail before any upload."""

import pytest

from model_factory.errors import InputError
from model_factory.integrations.kubeflow.cron import to_kfp


@pytest.mark.parametrize(
    ("crontab", "kfp"),
    [
        ("0 6 * * *", "0 0 6 * * *"),
        ("30 6 * * 1-5", "0 30 6 * * 1-5"),
        ("*/15 * * * *", "0 */15 * * * *"),
        ("0 0 1,15 * ?", "0 0 0 1,15 * ?"),
        ("5 4 * jan-mar sun", "0 5 4 * jan-mar sun"),
        ("  0   6 * *  MON-FRI ", "0 0 6 * * MON-FRI"),
        ("10-50/20 0-23/6 1-31 1-12 0-6", "0 10-50/20 0-23/6 1-31 1-12 0-6"),
    ],
)
def test_crontab_gets_a_zero_seconds_field(crontab, kfp):
    assert to_kfp(crontab) == kfp


@pytest.mark.parametrize(
    ("crontab", "message"),
    [
        ("0 0 6 * * *", "expected 5 fields"),
        ("@daily", "expected 5 fields"),
        ("60 6 * * *", "minute '60': 60 is outside 0-59"),
        ("0 24 * * *", "hour '24': 24 is outside 0-23"),
        ("0 6 0 * *", "day of month '0': 0 is outside 1-31"),
        ("0 6 * 13 *", "month '13': 13 is outside 1-12"),
        ("0 6 * * 7", "7 is outside 0-6 (Sunday is 0)"),
        ("? 6 * * *", "'?' is allowed in day of month and day of week only"),
        ("0 6 * * fri-mon", "range fri-mon runs backwards"),
        ("*/0 6 * * *", "a step must be at least 1"),
        ("0 6 * foo *", "'foo' is not a number or one of JAN,"),
        ("0 six * * *", "'six' is not a number"),
        ("0 6 * * 1--5", "expected *, N, N-M"),
    ],
)
def test_bad_expressions_name_the_field(crontab, message):
    with pytest.raises(InputError, match="schedule") as error:
        to_kfp(crontab)
    assert message in str(error.value)
