"""Benchmark the forecast service against a bare FastAPI endpoint, in one run.

A small model (3 synthetic stores, full history, the default training config) is trained through
the real pipeline into a throwaway ZenML store and promoted to production; `model-factory serve`
and a bare FastAPI app (no validation, auth, cache or metrics: it returns the service's own
answer as a dict) then run under uvicorn in subprocesses on 127.0.0.1. Both are called with the
same body by a minimal keep-alive HTTP/1.1 client (lighter than httpx, so the servers, not the
client, are measured):

- latency (p50, p99) of sequential requests: bare endpoint, an answer from the precomputed table,
  an answer computed on demand (a request with an override, not asked before: Prophet predicts);
- throughput (req/s) with several connections: bare endpoint vs table answers;
- at full scale: a version of 1,115 stores (each a copy of one of the 3 trained models, so every
  store costs what a trained one does) is put in production while the service runs; the time
  from its load (/readyz reports it precomputing) to serving it, and the latency of distinct
  requests over random stores and date ranges afterwards (the baseline: the on-demand series).

Targets: table p99 <= 5 ms, for one store or any of the 1,115; table throughput >= half the bare
endpoint's; 1,115 stores ready within 60 s of loading. The client shares the machine's cores with
the servers; on a busy machine every number moves.

Each bare/hit figure is the median of interleaved rounds; the servers' CPU time per request
(from /proc) is printed beside, as it is the figure least moved by other load.

    python benchmarks/serve_bench.py [--requests 2000] [--misses 60] [--connections 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SCRATCH = Path(tempfile.mkdtemp(prefix="serve-bench-"))
(SCRATCH / "no-repo").mkdir()
# A throwaway ZenML store and outputs: set before anything imports zenml.
os.environ.update(
    ZENML_CONFIG_PATH=str(SCRATCH / "zenml"),
    ZENML_REPOSITORY_PATH=str(SCRATCH / "no-repo"),
    ZENML_ANALYTICS_OPT_IN="false",
    ZENML_LOGGING_VERBOSITY="ERROR",
    MODEL_FACTORY_HOME=str(SCRATCH / "outputs"),
)
PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODEL = "store_sales_forecaster"
KEY = "bench-key"
TARGET_HIT_P99_MS = 5.0
TARGET_THROUGHPUT_RATIO = 0.5
TARGET_READY_S = 60.0
STORES_AT_SCALE = 1115
SCALE_VERSION = f"bench-{STORES_AT_SCALE}-stores"


def train_and_promote() -> str:
    """Train 3 stores with the default config, promote to production; returns the version."""
    from model_factory.config import RunConfig
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.integrations import zenml_stages
    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.promotion import POLICY_FILE, policy_for
    from pipelines import forecasting_training

    config = ForecastTrainingConfig(synthetic={"n_stores": 3}, n_jobs=1, plot_stores=1)
    run_config = RunConfig[ForecastTrainingConfig].model_validate(
        {"enable_cache": False, "parameters": {"config": config}}
    )
    run = run_with_config(forecasting_training.TRAINING, run_config, config)
    version = str(step_output(run, forecasting_training.METRICS_STEP, "metrics")["model_version"])
    policy = policy_for(MODEL, PROJECT_ROOT / "zenml_config" / POLICY_FILE)
    for stage in ("staging", "production"):
        record = zenml_stages.promote(MODEL, stage, policy, version)
        if record.decision not in ("promoted", "no-op"):
            sys.exit(f"promotion to {stage} failed: {record.reason}")
    return version


def register_at_scale(version: str) -> tuple[str, dict[str, int]]:
    """A version of STORES_AT_SCALE stores built from `version`'s (store s gets the model of
    trained store (s - 1) % 3 + 1), registered with its artifact but in no stage yet; (its name,
    stores per chosen candidate)."""
    from dataclasses import replace

    from zenml import Model, link_artifact_to_model, save_artifact

    from model_factory.forecasting.forecaster import StoreForecaster
    from model_factory.integrations import zenml_stages
    from model_factory.integrations.forecast_materializer import StoreForecasterMaterializer
    from model_factory.integrations.zenml_lookup import version_artifact

    found = zenml_stages.get_version(zenml_stages.get_model(MODEL), version)
    trained = version_artifact(found, "store_forecaster").load()
    stores = trained.stores
    models = {
        s: replace(trained.models[stores[(s - 1) % len(stores)]], store=s)
        for s in range(1, STORES_AT_SCALE + 1)
    }
    scaled = StoreForecaster(models, trained.seed, trained.interval_width)
    artifact = save_artifact(scaled, "store_forecaster", materializer=StoreForecasterMaterializer)
    link_artifact_to_model(artifact, Model(name=MODEL, version=SCALE_VERSION))
    return SCALE_VERSION, scaled.candidate_counts()


def to_production(version: str) -> None:
    from zenml.client import Client

    Client().get_model_version(MODEL, version).set_stage("production", force=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(args: list[str], port: int, log: Path, ready_path: str | None) -> subprocess.Popen:
    """Start a server; ready when GET `ready_path` answers 200 (None: when anything answers)."""
    env = os.environ | {"MODEL_FACTORY_API_KEY": KEY}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, *args], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{args} exited:\n{log.read_text()[-3000:]}")
        try:
            status, _ = asyncio.run(call(port, raw_request("GET", ready_path or "/", None)))
            if ready_path is None or status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    process.terminate()
    sys.exit(f"{args} not ready after 300 s:\n{log.read_text()[-3000:]}")


def raw_request(method: str, path: str, body: object) -> bytes:
    payload = b"" if body is None else json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


class Connection:
    """One keep-alive HTTP/1.1 connection; responses must carry Content-Length (uvicorn's do)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        body = await self.reader.readexactly(int(LENGTH.search(head)[1]))
        return int(head[9:12]), body

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def call(port: int, request: bytes) -> tuple[int, bytes]:
    connection = await Connection.open(port)
    try:
        return await connection.send(request)
    finally:
        await connection.close()


async def latencies(port: int, requests: list[bytes]) -> list[float]:
    """Seconds per request, one after the other on one connection; every answer must be 200."""
    connection = await Connection.open(port)
    times = []
    try:
        for request in requests:
            start = time.perf_counter()
            status, body = await connection.send(request)
            times.append(time.perf_counter() - start)
            if status != 200:
                raise SystemExit(f"status {status}: {body[:300]!r}")
    finally:
        await connection.close()
    return times


async def throughput(port: int, request: bytes, total: int, connections: int) -> float:
    """Requests per second with `connections` connections sending `total` requests in all."""
    opened = [await Connection.open(port) for _ in range(connections)]

    async def worker(connection: Connection, count: int) -> None:
        for _ in range(count):
            status, _ = await connection.send(request)
            if status != 200:
                raise SystemExit(f"status {status}")

    share = total // connections
    start = time.perf_counter()
    await asyncio.gather(*(worker(c, share) for c in opened))
    elapsed = time.perf_counter() - start
    for connection in opened:
        await connection.close()
    return share * connections / elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(times, 50) * 1000,
        "p99_ms": percentile(times, 99) * 1000,
        "n": len(times),
    }


def miss_bodies(cutoff: str, count: int) -> list[list[dict]]:
    """Distinct 3-day requests (store 1-3, begin 1-80 days after the cutoff) with a promotion on
    the first day: not in the table, no cache hits, Prophet predicts each."""
    first = dt.date.fromisoformat(cutoff)
    bodies = []
    for i in range(min(count, 240)):
        begin = first + dt.timedelta(days=1 + i // 3)
        end = begin + dt.timedelta(days=2)
        bodies.append([{"store_id": 1 + i % 3, "begin_date": begin.isoformat(),
                        "end_date": end.isoformat(),
                        "overrides": [{"date": begin.isoformat(), "promo": True}]}])  # fmt: skip
    return bodies


def any_store_bodies(cutoff: str, count: int, horizon: int) -> list[list[dict]]:
    """Requests over random stores of the 1,115 and random date ranges in the horizon (seeded)."""
    import random

    rng, first = random.Random(0), dt.date.fromisoformat(cutoff)
    bodies = []
    for _ in range(count):
        begin = rng.randint(1, horizon)
        end = rng.randint(begin, horizon)
        bodies.append([{"store_id": rng.randint(1, STORES_AT_SCALE),
                        "begin_date": (first + dt.timedelta(days=begin)).isoformat(),
                        "end_date": (first + dt.timedelta(days=end)).isoformat()}])  # fmt: skip
    return bodies


def metric(metrics_port: int, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30).read()
    return float(re.search(rb"^" + name.encode() + rb" (\S+)$", text, re.MULTILINE)[1])


def cache_misses(metrics_port: int) -> float:
    return metric(metrics_port, "forecast_cache_misses_total")


def readiness(port: int) -> tuple[int, dict]:
    status, body = asyncio.run(call(port, raw_request("GET", "/readyz", None)))
    return status, json.loads(body)


def time_to_ready(port: int, version: str) -> dict:
    """Put `version` in production, then poll /readyz: seconds until the service loaded it (it
    reports it precomputing) and from then until it serves it."""
    start = time.perf_counter()
    to_production(version)
    loaded = served = None
    while served is None:
        if time.perf_counter() - start > 600:
            sys.exit(f"version {version} not served after 600 s: {readiness(port)}")
        status, ready = readiness(port)
        now = time.perf_counter()
        if status != 200:
            sys.exit(f"/readyz answered {status} during a reload: {ready}")
        if loaded is None and (ready["precomputing"] or {}).get("model_version") == version:
            loaded = now
        if ready["model_version"] == version:
            served = now
        time.sleep(0.05)
    if loaded is None:
        sys.exit("the precompute was never seen in progress")
    return {"load_s": loaded - start, "ready_s": served - loaded, "stores": ready["stores"]}


def peak_rss_mb(process: subprocess.Popen) -> float:
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024


def server_cpu_s(process: subprocess.Popen) -> float:
    """CPU seconds a server process has used (Linux /proc): unlike latency, barely moved by what
    else the machine runs."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(port: int, process: subprocess.Popen, request: bytes, args) -> dict:
    """A latency series, then a throughput run (with the server's CPU time per request)."""
    row = summary(asyncio.run(latencies(port, [request] * args.requests)))
    total = args.requests * 2
    cpu = server_cpu_s(process)
    row["req_per_s"] = asyncio.run(throughput(port, request, total, args.connections))
    row["server_cpu_us"] = (server_cpu_s(process) - cpu) / total * 1e6
    return row


def median_row(rows: list[dict]) -> dict:
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def measure(args: argparse.Namespace) -> dict:
    import bench_common

    host = bench_common.machine()  # the load at the start: a busy machine moves every figure
    wall = time.perf_counter()
    version = train_and_promote()
    trained_s = time.perf_counter() - wall
    service_port, metrics_port, bare_port = free_port(), free_port(), free_port()
    service = start(
        [
            "-m",
            "model_factory",
            "serve",
            "--port",
            str(service_port),
            "--metrics-port",
            str(metrics_port),
            "--reload-interval",
            "1",
        ],
        service_port,
        SCRATCH / "serve.log",
        "/readyz",
    )
    processes = [service]
    try:
        body = [{"store_id": 1}]  # the default: 7 days after the cutoff
        request = raw_request("POST", "/forecast", body)
        status, answer = asyncio.run(call(service_port, request))
        if status != 200:
            sys.exit(f"service answered {status}: {answer[:300]!r}")
        (SCRATCH / "answer.json").write_bytes(answer)
        bare = start(
            ["benchmarks/bare_fastapi.py", str(bare_port), str(SCRATCH / "answer.json")],
            bare_port,
            SCRATCH / "bare.log",
            None,
        )
        processes.append(bare)
        status, models = asyncio.run(call(service_port, raw_request("GET", "/models", None)))
        cutoff = json.loads(models)["training_cutoff"]
        misses = [raw_request("POST", "/forecast", b) for b in miss_bodies(cutoff, args.misses)]
        for port in (bare_port, service_port):  # warm-up
            asyncio.run(latencies(port, [request] * 200))
        load_before = os.getloadavg()[0]
        rounds = {"bare": [], "table": []}
        for _ in range(args.rounds):  # interleaved, so both see the same machine
            rounds["bare"].append(one_round(bare_port, bare, request, args))
            rounds["table"].append(one_round(service_port, service, request, args))
        missed_before, cpu = cache_misses(metrics_port), server_cpu_s(service)
        miss = summary(asyncio.run(latencies(service_port, misses)))
        miss["server_cpu_us"] = (server_cpu_s(service) - cpu) / len(misses) * 1e6
        miss["req_per_s"] = 1000 / miss["p50_ms"]
        if cache_misses(metrics_port) - missed_before != len(misses):
            sys.exit("the on-demand series was not all cache misses")
        scale_version, candidates = register_at_scale(version)
        scale = time_to_ready(service_port, scale_version) | {"candidates": candidates}
        scale["precompute_s"] = metric(metrics_port, "forecast_precompute_seconds")
        scale["precompute_cpu_s"] = metric(metrics_port, "forecast_precompute_cpu_seconds")
        from model_factory.serving.settings import ServeSettings

        horizon = ServeSettings.model_fields["max_horizon_days"].default
        anywhere = [
            raw_request("POST", "/forecast", b)
            for b in any_store_bodies(cutoff, args.requests, horizon)
        ]
        answered = metric(metrics_port, "forecast_table_answers_total")
        scale |= summary(asyncio.run(latencies(service_port, anywhere)))
        if metric(metrics_port, "forecast_table_answers_total") - answered != len(anywhere):
            sys.exit("the any-store series was not all answered from the table")
        scale["service_peak_rss_mb"] = peak_rss_mb(service)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    results = {
        "machine": host,
        "model_version": version,
        "train_and_promote_s": trained_s,
        "rounds": args.rounds,
        "load_average_1min": [load_before, os.getloadavg()[0]],
        "bare": median_row(rounds["bare"]),
        "table": median_row(rounds["table"]),
        "on_demand": miss,
        "per_round": rounds,
        "at_scale": scale,
    }
    hit, bare_row = results["table"], results["bare"]
    results["checks"] = {
        "table_p99_ms": hit["p99_ms"],
        "table_p99_target_ms": TARGET_HIT_P99_MS,
        "table_p99_met": hit["p99_ms"] <= TARGET_HIT_P99_MS,
        "throughput_vs_bare": hit["req_per_s"] / bare_row["req_per_s"],
        "throughput_target": TARGET_THROUGHPUT_RATIO,
        "throughput_met": hit["req_per_s"] / bare_row["req_per_s"] >= TARGET_THROUGHPUT_RATIO,
        "cpu_capacity_vs_bare": bare_row["server_cpu_us"] / hit["server_cpu_us"],
        "ready_s": scale["ready_s"],
        "ready_target_s": TARGET_READY_S,
        "ready_met": scale["ready_s"] <= TARGET_READY_S,
        "any_store_p99_ms": scale["p99_ms"],
        "any_store_p99_met": scale["p99_ms"] <= TARGET_HIT_P99_MS,
        "any_store_p50_vs_on_demand": miss["p50_ms"] / scale["p50_ms"],
    }
    return results


def report(results: dict) -> None:
    before, after = results["load_average_1min"]
    trained = results["train_and_promote_s"]
    print(
        f"model version {results['model_version']} (trained and promoted in {trained:.0f} s); "
        f"1-min load average {before:.1f} -> {after:.1f}"
    )
    print(f"median of {results['rounds']} interleaved rounds (the miss series runs once)")
    print(f"{'':24s} {'p50 ms':>8s} {'p99 ms':>8s} {'req/s':>8s} {'server CPU us/req':>18s}")
    labels = {
        "bare": "bare FastAPI endpoint",
        "table": "service, from the table",
        "on_demand": "service, on demand",
    }
    for key, label in labels.items():
        row = results[key]
        print(
            f"{label:24s} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['req_per_s']:8.0f} "
            f"{row['server_cpu_us']:18.0f}"
        )
    for key in ("bare", "table"):
        rounds = results["per_round"][key]
        p99 = "/".join(f"{row['p99_ms']:.2f}" for row in rounds)
        rate = "/".join(f"{row['req_per_s']:.0f}" for row in rounds)
        print(f"  rounds, {labels[key]}: p99 ms {p99}; req/s {rate}")
    checks, scale = results["checks"], results["at_scale"]
    verdict = {True: "met", False: "MISSED"}
    print(
        f"table p99 {checks['table_p99_ms']:.2f} ms (target <= "
        f"{checks['table_p99_target_ms']:g} ms: {verdict[checks['table_p99_met']]})"
    )
    print(
        f"table throughput / bare endpoint {checks['throughput_vs_bare']:.2f} (target >= "
        f"{checks['throughput_target']:g}: {verdict[checks['throughput_met']]}); by server CPU "
        f"per request (what one free core would give) {checks['cpu_capacity_vs_bare']:.2f}"
    )
    print("on-demand req/s is 1 / p50 (sequential: one Prophet prediction at a time)")
    print(
        f"{scale['stores']:,} stores: loaded {scale['load_s']:.1f} s after the stage moved, "
        f"served {scale['ready_s']:.1f} s after loading (target <= {checks['ready_target_s']:g} s:"
        f" {verdict[checks['ready_met']]}; the service's own precompute time "
        f"{scale['precompute_s']:.1f} s, its workers' CPU {scale['precompute_cpu_s']:.1f} s); "
        f"service peak RSS {scale['service_peak_rss_mb']:,.0f} MB; candidates "
        f"{scale['candidates']}"
    )
    print(
        f"any of the {scale['stores']:,} stores, random date ranges, {scale['n']} distinct "
        f"requests: p50 {scale['p50_ms']:.2f} ms, p99 {scale['p99_ms']:.2f} ms (target <= "
        f"{checks['table_p99_target_ms']:g} ms: {verdict[checks['any_store_p99_met']]}); "
        f"p50 {checks['any_store_p50_vs_on_demand']:.0f}x faster than on demand"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per latency series")
    parser.add_argument("--misses", type=int, default=60, help="at most 240")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="bare/hit rounds, interleaved")
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    results = measure(args)
    report(results)
    if args.out:
        import bench_common

        bench_common.write_report(results, args.out)
    shutil.rmtree(SCRATCH, ignore_errors=True)  # kept (with the servers' logs) on failure


if __name__ == "__main__":
    main()
