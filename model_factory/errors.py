"""Errors the CLI maps to exit codes (0 ok, 1 crash, 2 bad input, 3 promotion rejected,
4 drift detected)."""


class InputError(ValueError):
    """Bad config or data: reported as one line, exit code 2, nothing written."""


class PromotionRejected(RuntimeError):
    """A candidate did not beat the incumbent: exit code 3."""


class DriftDetected(RuntimeError):
    """A monitor found drift (its report is already printed and written): exit code 4."""
