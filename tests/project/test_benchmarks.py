"""The benchmarks of `make bench` at smoke-test size: they run, write valid JSON, and the
generator of docs/performance.md turns that JSON into the page's table. No timing is asserted
(speed is measured by `make bench`, not tested)."""

import json
import math
import subprocess
import sys
import time

import pytest

from support import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import performance_page  # noqa: E402  (benchmarks/ is not a package)

# Each quick-capable benchmark and the JSON it writes by default (what the page generator reads).
QUICK = {
    "store_forecasting_bench.py": "forecasting.json",
    "bank_search_bench.py": "bank_search.json",
    "pipeline_overhead_bench.py": "pipeline_overhead.json",
}


def _json_name(script: str) -> str:
    return QUICK[script]


@pytest.fixture(scope="module")
def quick_reports(tmp_path_factory):
    """Every quick-capable benchmark's --quick run, JSON in one folder (as `make bench` writes)."""
    folder = tmp_path_factory.mktemp("bench")
    for script in QUICK:
        out = folder / _json_name(script)
        done = subprocess.run(
            [sys.executable, str(BENCHMARKS / script), "--quick", "--out", str(out)],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"wrote {out}" in done.stdout
    return folder


def _load(folder, script: str) -> dict:
    return json.loads((folder / _json_name(script)).read_text())


def _finite_positive(*values) -> bool:
    return all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in values)


@pytest.mark.slow
def test_forecasting_quick_run_is_parallel_identical_and_complete(quick_reports):
    report = _load(quick_reports, "store_forecasting_bench.py")
    runs, checks = report["runs"], report["checks"]
    assert report["quick"] and report["stores_measured"] == report["data_stores"] == 3
    assert report["sample_stores"] == 3
    assert report["rossmann"] == {"stores": 1115, "days": 942}
    assert runs["data"]["rows"] == 3 * 942  # --quick generates only the stores it trains
    for name, workers in (("full", 2), ("serial", 1), ("single_candidate", 1)):
        run = runs[name]
        assert run["n_jobs"] == workers and run["rows_loaded"] == 3 * 942
        assert run["rows_trained"] == 3 * 942 and run["stores"] == 3
        assert _finite_positive(run["train_and_evaluate_s"], run["child_maxrss_mb"], run["rmspe"])
        assert sum(run["chosen_candidates"].values()) == 3
    assert runs["single_candidate"]["chosen_candidates"] == {"prophet_multiplicative": 3}
    assert _finite_positive(runs["full"]["coverage"], runs["full"]["selection_window_rmspe"])
    assert checks["parallel_identical_to_serial"] is True
    assert runs["serial"]["rmspe"] == runs["full"]["rmspe"]
    phases = runs["full"]["phases"]
    assert checks["backtest_refit_s"] == phases["backtest_s"] + phases["refit_s"]
    assert checks["full_scale"] is False and checks["full_target_met"] is False


@pytest.mark.slow
def test_bank_search_quick_run_scores_both_searches_on_one_split(quick_reports):
    report = _load(quick_reports, "bank_search_bench.py")
    ours, book = report["ours"], report["book_style"]
    assert report["data"] == "bank.csv" and report["quick"]
    assert ours["train_rows"] == book["train_rows"] and ours["test_rows"] == book["test_rows"]
    assert ours["train_rows"] + ours["test_rows"] == 4521
    for row in (ours, book):
        assert 0.5 < row["test_roc_auc"] <= 1 and _finite_positive(row["wall_s"])
    assert book["n_fits"] == 2 * 3 + 1 and ours["n_candidates"] == 4
    checks = report["checks"]
    assert checks["auc_gap"] == pytest.approx(book["test_roc_auc"] - ours["test_roc_auc"])
    assert checks["time_ratio"] == pytest.approx(ours["wall_s"] / book["wall_s"])
    assert checks["book_iterations"] == 2
    assert checks["auc_floor"] is None and checks["auc_floor_met"] is None  # bank-full.csv only


@pytest.mark.slow
def test_pipeline_overhead_quick_run_times_pipelines_and_direct_calls(quick_reports):
    report = _load(quick_reports, "pipeline_overhead_bench.py")
    for variant in ("with_model", "without_model"):
        row = report[variant]
        assert row["steps"] == 3
        assert _finite_positive(row["run_1_step_s"], row["run_n_steps_s"], row["direct_n_calls_s"])
        assert math.isfinite(row["marginal_step_cpu_s"])
    assert report["checks"]["per_step_s"] == report["with_model"]["marginal_step_s"]
    assert "demo" not in report  # --quick skips the demo


@pytest.mark.slow
def test_performance_page_is_generated_from_the_quick_json(quick_reports, tmp_path):
    page = tmp_path / "performance.md"
    page.write_text(
        f"# intro\n\n{performance_page.BEGIN}\nold table\n{performance_page.END}\n\n## next\n"
    )
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "performance_page.py"), "--bench-dir",
         str(quick_reports), "--page", str(page)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = page.read_text()
    assert text.startswith("# intro\n\n") and text.endswith("\n\n## next\n")
    assert "old table" not in text
    forecast = _load(quick_reports, "store_forecasting_bench.py")
    assert f"{forecast['checks']['speedup']:.2f}x faster" in text
    bank = _load(quick_reports, "bank_search_bench.py")
    assert f"test ROC-AUC {bank['ours']['test_roc_auc']:.4f}" in text
    assert "3 of 1,115 stores" in text
    assert "Quick (smoke-test) sizes" in text
    assert "Not run: dbscan.json, taxi_rule.json, serve.json." in text
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert f"coverage {forecast['runs']['full']['coverage']:.3f}" in text
    assert len(table) == 1 + 5  # header and forecasting x3, bank, overhead (no demo in --quick)
    assert {line.count(" | ") for line in table} == {4}  # 5 columns in every row


def test_performance_page_update_replaces_only_between_the_markers():
    begin, end = performance_page.BEGIN, performance_page.END
    text = f"a\n{begin}\nold\n{end}\nb\n"
    assert performance_page.update(text, "new") == f"a\n{begin}\nnew\n{end}\nb\n"
    with pytest.raises(SystemExit, match="markers"):
        performance_page.update("no markers here", "new")
    with pytest.raises(SystemExit, match="markers"):
        performance_page.update(f"{end}\n{begin}\n", "new")


def test_the_performance_page_has_the_markers_make_bench_fills():
    text = (PROJECT_ROOT / "docs" / "performance.md").read_text()
    begin, end = performance_page.BEGIN, performance_page.END
    assert text.count(begin) == 1 and text.count(end) == 1


def test_demo_timing_wrapper_records_wall_time_even_when_the_command_fails():
    from model_factory.cli.demo import _timed

    wall_s: dict[str, float] = {}
    assert _timed(wall_s, "sleepy", lambda s: time.sleep(s) or "done")(0.05) == "done"
    assert wall_s["sleepy"] >= 0.05

    def failing() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        _timed(wall_s, "failing", failing)()
    assert set(wall_s) == {"sleepy", "failing"}
