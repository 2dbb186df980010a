"""Test isolation: every pytest process gets its own ZenML store, outputs and staging DB.

The environment is set before anything imports zenml, and ZENML_REPOSITORY_PATH points at an
empty folder so the developer's own `.zen` repository and global store are never touched.
"""

import atexit
import builtins
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from support import PROJECT_ROOT, run_cli, run_main

# Worker balancing by measured module durations and the slow-test warning.
pytest_plugins = ["timing_plugin"]

_SCRATCH = Path(tempfile.mkdtemp(prefix="model-factory-tests-"))
(_SCRATCH / "no-repo").mkdir()
os.environ.update(
    ZENML_CONFIG_PATH=str(_SCRATCH / "zenml"),
    ZENML_REPOSITORY_PATH=str(_SCRATCH / "no-repo"),
    ZENML_ANALYTICS_OPT_IN="false",
    ZENML_LOGGING_VERBOSITY="WARN",
    ZENML_ENABLE_RICH_TRACEBACK="false",
    ZENML_AUTO_OPEN_DASHBOARD="false",
    MODEL_FACTORY_HOME=str(_SCRATCH / "outputs"),
    MODEL_FACTORY_CONFIG_DIR=str(PROJECT_ROOT / "zenml_config"),
)
os.environ.pop("MODEL_FACTORY_DB_URL", None)
# The ZenML store's database (not its artifacts) in memory where there is a tmpfs: every
# command of a test, in this process or a new one, commits to it many times, and on a busy
# disk each commit waited ~60 ms for fsync. Its folder is a link, so a test that points a
# command at a ZENML_CONFIG_PATH of its own still gets a store of its own. Not on a small
# tmpfs (a container's is 64 MB by default): a full store would fail tests.
_SHM = Path("/dev/shm")
if _SHM.is_dir() and os.access(_SHM, os.W_OK) and shutil.disk_usage(_SHM).free > 2**31:
    _STORE_DB = Path(tempfile.mkdtemp(prefix="model-factory-tests-", dir=_SHM))
    atexit.register(shutil.rmtree, _STORE_DB, ignore_errors=True)
    (_SCRATCH / "zenml" / "local_stores").mkdir(parents=True)
    (_SCRATCH / "zenml" / "local_stores" / "default_zen_store").symlink_to(_STORE_DB)
# One OpenMP (and OpenBLAS) thread per process, as the KFP tasks run (components/platform.py):
# two workers already fill two cores, and OpenMP's extra threads spin while they wait. Under
# load that made test_bank_model 9x slower (146 CPU s instead of 20); results do not depend on
# it (gradient boosting's predictions are bit-identical with 1 or 2 threads). Subprocesses and
# joblib's workers inherit it.
os.environ["OMP_NUM_THREADS"] = "1"

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

# ZenML records and loads sources (steps, materializers) relative to a source root. Without a
# repository it uses the main module's folder, which an xdist worker does not have; the project
# root is what `zenml init` there, and `model-factory` itself, use.
from zenml.utils import source_utils  # noqa: E402  (after the environment above)

source_utils.set_custom_source_root(str(PROJECT_ROOT))


@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(dbapi_connection, _record) -> None:
    """SQLite databases of this process (the ZenML store, staging sinks) commit without fsync:
    half of a promotion test's time went to waiting for the disk (62 ms a commit on a busy
    machine). A killed process still loses nothing committed; only a power cut could."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


_PRINT = builtins.print


@pytest.fixture(autouse=True)
def _real_print():
    """kfp.local indents print() while a task runs by swapping builtins.print, and the threads
    of a ParallelFor swap it concurrently: one can put back another's indented print, which then
    stays for the rest of the process and shifts every later in-process command's output. Each
    test starts and ends with the real one."""
    builtins.print = _PRINT
    yield
    builtins.print = _PRINT


@pytest.fixture(scope="session")
def scratch() -> Path:
    """This process's scratch folder (ZenML store, outputs)."""
    return _SCRATCH


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def cli_in_process(capfd):
    """`run_cli` through the CLI's entry point in this process: the same result object without a
    new interpreter's seconds of imports. stdout and stderr hold what the command printed and
    anything else written to the file descriptors meanwhile (a log handler's line), so a check
    that stderr is one line is as strict as on a subprocess, except for import-time output:
    modules that use it keep one case in a new interpreter."""

    def run(*args: str) -> subprocess.CompletedProcess:
        capfd.readouterr()  # drop what came before
        code, out, err = run_main(*args)
        around = capfd.readouterr()
        return subprocess.CompletedProcess(
            ["model-factory", *args],
            0 if code is None else code,
            around.out + out,
            around.err + err,
        )

    return run


def _postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl live: PATH, /usr/local/bin, or Debian's versioned folders."""
    candidates = [Path(p).parent for p in [shutil.which("initdb")] if p]
    candidates += [Path("/usr/local/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"))]
    found = [d for d in candidates if (d / "initdb").is_file() and (d / "pg_ctl").is_file()]
    return found[0] if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for this test process; yields its superuser URL.

    Missing binaries FAIL the test (CI has them; a skip would hide that the SQL sink went
    untested). initdb refuses root, so as root the server runs as user `postgres`.
    """
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH, in /usr/local/bin or "
            "/usr/lib/postgresql/*/bin: install PostgreSQL 15 to run the postgres tests",
            pytrace=False,
        )
    run_as = []
    if os.geteuid() == 0:
        if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        run_as = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="model-factory-pg-"))
    if run_as:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()

    def pg_command(*args: str) -> None:
        done = subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(args[:2])} failed: {done.stderr or done.stdout}", pytrace=False)

    pg_command(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
               "-E", "UTF8", "--no-sync")  # fmt: skip
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_command(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
               "-o", options, "-w", "start")  # fmt: skip
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        pg_command(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(postgres_server).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def zenml_server(tmp_path_factory):
    """ZenML's own server on 127.0.0.1 (tests/helpers/zenml_server.py): its URL, a service account's
    API key and an admin token for checking what it holds; stopped at the end."""
    import zenml_server as server_module

    process, server = server_module.start(tmp_path_factory.mktemp("zenml-server"), _free_port())
    try:
        yield server
    finally:
        server_module.stop(process)


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3 API on 127.0.0.1 (moto's server, standing in for MinIO); yields its URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request on stderr
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    """The standard S3 environment pointed at the session's S3 server (as for MinIO), and a
    fresh bucket `data`; yields an s3fs file system for checking what is stored."""
    import s3fs

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3fs.S3FileSystem.clear_instance_cache()  # the project's reads: no listing cached before
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    if fs.exists("data"):
        fs.rm("data", recursive=True)
    fs.mkdir("data")
    yield fs
