"""Errors the CLI maps to exit codes (0 ok, 1 crash, 2 bad input, 3 promotion rejected)."""


class InputError(ValueError):
    """Bad config or data: reported as one line, exit code 2, nothing written."""


class PromotionRejected(RuntimeError):
    """A candidate did not beat the incumbent: exit code 3."""
