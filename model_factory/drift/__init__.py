"""Drift detection: reference profiles, their comparison with a new batch, and the report.

Framework-free: the use-case modules (`model_factory/<use_case>/monitor.py`) build profiles and
call `compare`; ZenML steps and the CLI only move profiles, batches and reports around.
"""
