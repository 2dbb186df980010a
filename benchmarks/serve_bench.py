"""Benchmark the forecast service against a bare FastAPI endpoint, in one run.

A small model (3 synthetic stores, full history, the default training config) is trained through
the real pipeline into a throwaway ZenML store and promoted to production; `model-factory serve`
and a bare FastAPI app (no validation, auth, cache or metrics: it returns the service's own
answer as a dict) then run under uvicorn in subprocesses on 127.0.0.1. Both are called with the
same body by a minimal keep-alive HTTP/1.1 client (lighter than httpx, so the servers, not the
client, are measured):

- latency (p50, p99) of sequential requests: bare endpoint, cache hit, cache miss (a store and
  date range not asked before: Prophet predicts);
- throughput (req/s) with several connections: bare endpoint vs cache hits.

Targets: cache-hit p99 <= 5 ms; cache-hit throughput >= half the bare endpoint's. The
client shares the machine's cores with the servers; on a busy machine every number moves.

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


def train_and_promote() -> str:
    """Train 3 stores with the default config, promote to production; returns the version."""
    from model_factory.config import RunConfig
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.integrations import zenml_stages
    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.promotion import POLICY_FILE, policy_for
    from pipelines import store_forecasting

    config = ForecastTrainingConfig(synthetic={"n_stores": 3}, n_jobs=1, plot_stores=1)
    run_config = RunConfig[ForecastTrainingConfig].model_validate(
        {"enable_cache": False, "parameters": {"config": config}}
    )
    run = run_with_config(store_forecasting.TRAINING, run_config, config)
    version = str(step_output(run, store_forecasting.METRICS_STEP, "metrics")["model_version"])
    policy = policy_for(MODEL, PROJECT_ROOT / "zenml_config" / POLICY_FILE)
    for stage in ("staging", "production"):
        record = zenml_stages.promote(MODEL, stage, policy, version)
        if record.decision not in ("promoted", "no-op"):
            sys.exit(f"promotion to {stage} failed: {record.reason}")
    return version


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
    """Distinct 3-day requests (store 1-3, begin 1-80 days after the cutoff): no cache hits."""
    first = dt.date.fromisoformat(cutoff)
    bodies = []
    for i in range(min(count, 240)):
        begin = first + dt.timedelta(days=1 + i // 3)
        end = begin + dt.timedelta(days=2)
        bodies.append(
            [{"store_id": 1 + i % 3, "begin_date": begin.isoformat(), "end_date": end.isoformat()}]
        )
    return bodies


def cache_misses(metrics_port: int) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30).read()
    return float(re.search(rb"^forecast_cache_misses_total (\S+)$", text, re.MULTILINE)[1])


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
        rounds = {"bare": [], "cache_hit": []}
        for _ in range(args.rounds):  # interleaved, so both see the same machine
            rounds["bare"].append(one_round(bare_port, bare, request, args))
            rounds["cache_hit"].append(one_round(service_port, service, request, args))
        missed_before, cpu = cache_misses(metrics_port), server_cpu_s(service)
        miss = summary(asyncio.run(latencies(service_port, misses)))
        miss["server_cpu_us"] = (server_cpu_s(service) - cpu) / len(misses) * 1e6
        miss["req_per_s"] = 1000 / miss["p50_ms"]
        if cache_misses(metrics_port) - missed_before != len(misses):
            sys.exit("the cache-miss series was not all misses")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    results = {
        "model_version": version,
        "train_and_promote_s": trained_s,
        "rounds": args.rounds,
        "load_average_1min": [load_before, os.getloadavg()[0]],
        "bare": median_row(rounds["bare"]),
        "cache_hit": median_row(rounds["cache_hit"]),
        "cache_miss": miss,
        "per_round": rounds,
    }
    hit, bare_row = results["cache_hit"], results["bare"]
    results["checks"] = {
        "cache_hit_p99_ms": hit["p99_ms"],
        "cache_hit_p99_target_ms": TARGET_HIT_P99_MS,
        "cache_hit_p99_met": hit["p99_ms"] <= TARGET_HIT_P99_MS,
        "throughput_vs_bare": hit["req_per_s"] / bare_row["req_per_s"],
        "throughput_target": TARGET_THROUGHPUT_RATIO,
        "throughput_met": hit["req_per_s"] / bare_row["req_per_s"] >= TARGET_THROUGHPUT_RATIO,
        "cpu_capacity_vs_bare": bare_row["server_cpu_us"] / hit["server_cpu_us"],
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
        "cache_hit": "service, cache hit",
        "cache_miss": "service, cache miss",
    }
    for key, label in labels.items():
        row = results[key]
        print(
            f"{label:24s} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['req_per_s']:8.0f} "
            f"{row['server_cpu_us']:18.0f}"
        )
    for key in ("bare", "cache_hit"):
        rounds = results["per_round"][key]
        p99 = "/".join(f"{row['p99_ms']:.2f}" for row in rounds)
        rate = "/".join(f"{row['req_per_s']:.0f}" for row in rounds)
        print(f"  rounds, {labels[key]}: p99 ms {p99}; req/s {rate}")
    checks = results["checks"]
    verdict = {True: "met", False: "MISSED"}
    print(
        f"cache-hit p99 {checks['cache_hit_p99_ms']:.2f} ms (target <= "
        f"{checks['cache_hit_p99_target_ms']:g} ms: {verdict[checks['cache_hit_p99_met']]})"
    )
    print(
        f"cache-hit throughput / bare endpoint {checks['throughput_vs_bare']:.2f} (target >= "
        f"{checks['throughput_target']:g}: {verdict[checks['throughput_met']]}); by server CPU "
        f"per request (what one free core would give) {checks['cpu_capacity_vs_bare']:.2f}"
    )
    print("cache-miss req/s is 1 / p50 (sequential: one Prophet prediction at a time)")


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
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    shutil.rmtree(SCRATCH, ignore_errors=True)  # kept (with the servers' logs) on failure


if __name__ == "__main__":
    main()
