"""model_factory/outputs.py: what every file the CLI writes goes through.

Non-files and symbolic links are refused and left as they were; a file is replaced whole,
keeping its mode; a new one gets the umask's; a folder is swapped in whole. The kill tests
SIGKILL a real (forked) writer at the moment that matters (its temporary output complete, the
rename not yet done; or in the middle of a large write) and find the old content or the new,
never a mix, and the next write removes what the killed one left.
"""

import json
import multiprocessing
import os
import signal
import socket
import stat
import time
from pathlib import Path

import pandas as pd
import pytest

from model_factory import outputs, reporting
from model_factory.errors import InputError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}."))


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["fifo", "folder", "socket"])
def test_a_path_that_is_not_a_regular_file_is_refused_and_left_as_it_was(tmp_path, kind):
    path = tmp_path / "out.csv"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    before = path.lstat()
    expected = {"fifo": "a FIFO", "folder": "a folder", "socket": "a socket"}[kind]
    with pytest.raises(InputError, match=f"exists and is not a regular file \\({expected}\\)"):
        outputs.check_writable(path)
    with pytest.raises(InputError, match="is not a regular file"):
        outputs.write_csv(pd.DataFrame({"a": [1]}), path)
    after = path.lstat()
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert _leftovers(path) == []


def test_a_symbolic_link_is_refused_and_its_target_untouched(tmp_path):
    target, link = tmp_path / "target.csv", tmp_path / "link.csv"
    target.write_text("keep me\n")
    link.symlink_to(target)
    with pytest.raises(InputError, match="is a symbolic link; outputs do not follow links"):
        reporting.write_metrics({"a": 1}, link)
    assert target.read_text() == "keep me\n" and link.is_symlink()


def test_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umasks(tmp_path):
    existing, new = tmp_path / "existing.json", tmp_path / "new.json"
    existing.write_text("{}")
    existing.chmod(0o644)
    reporting.write_metrics({"a": 1}, existing)
    assert _mode(existing) == 0o644 and json.loads(existing.read_text()) == {"a": 1}
    existing.chmod(0o640)
    outputs.write_text(existing, "x")
    assert _mode(existing) == 0o640
    umask = os.umask(0o027)
    try:
        outputs.write_text(new, "x")
    finally:
        os.umask(umask)
    assert _mode(new) == 0o640  # 0o666 less the umask, where mkstemp alone gives 0o600


def test_an_output_below_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="is not a folder"):
        outputs.check_writable(tmp_path / "file" / "out.csv")


def test_a_folder_is_replaced_only_if_an_earlier_write_made_it(tmp_path):
    def fill(folder: Path) -> None:
        (folder / "version.txt").write_text("2\n")

    target = tmp_path / "reference"
    target.mkdir()
    (target / "precious.txt").write_text("mine")
    with pytest.raises(InputError, match="a folder with other content"):
        outputs.write_folder(target, fill, marker="version.txt")
    assert [p.name for p in target.iterdir()] == ["precious.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="exists and is not a folder"):
        outputs.write_folder(tmp_path / "file", fill, marker="version.txt")

    fresh = tmp_path / "fresh"
    outputs.write_folder(fresh, fill, marker="version.txt")
    fresh.chmod(0o750)
    (fresh / "stale.txt").write_text("from an older export")
    outputs.write_folder(fresh, fill, marker="version.txt")
    assert sorted(p.name for p in fresh.iterdir()) == ["version.txt"]
    assert _mode(fresh) == 0o750 and _leftovers(fresh) == []


# --- kills ---------------------------------------------------------------------------------

# The writer runs in a forked child (this process's imports, no new interpreter) and writes
# the new content with the real writer; `pause` makes it stop where the parent kills it: before
# the final rename (files) or swap (folders), or inside the folder's filling. The writers are
# the ones the CLI uses: predictions CSV (outputs.write_csv), metrics JSON
# (reporting.write_metrics), export-reference's folder (outputs.write_folder).
FORK = multiprocessing.get_context("fork")


def _write_new(kind: str, target: Path, pause: str, paused) -> None:
    def stop(*_):
        paused.send("paused")
        time.sleep(600)

    if pause == "commit":
        rename, exchange = os.replace, outputs._exchange
        os.replace = lambda *a: (stop(), rename(*a))
        outputs._exchange = lambda *a: (stop(), exchange(*a))
    if kind == "csv":
        outputs.write_csv(pd.DataFrame({"row": range(200_000), "value": "new"}), target)
    elif kind == "json":
        reporting.write_metrics({"value": "new", "rows": list(range(50_000))}, target)
    else:

        def fill(folder: Path) -> None:
            (folder / "version.txt").write_text("new\n")
            (folder / "profile.json").write_text('"new"')
            if pause == "fill":
                stop()
            (folder / "model").mkdir()
            (folder / "model" / "weights").write_text("new")

        outputs.write_folder(target, fill, marker="version.txt")


def _old(kind: str, target: Path) -> None:
    if kind == "csv":
        outputs.write_csv(pd.DataFrame({"row": [0], "value": ["old"]}), target)
    elif kind == "json":
        reporting.write_metrics({"value": "old"}, target)
    else:
        outputs.write_folder(target, _old_folder, marker="version.txt")


def _old_folder(folder: Path) -> None:
    (folder / "version.txt").write_text("old\n")
    (folder / "old-only.txt").write_text("old")


def _state(target: Path):
    if target.is_dir():
        return {str(p.relative_to(target)): p.read_text() for p in target.rglob("*") if p.is_file()}
    return target.read_bytes()


@pytest.mark.parametrize(
    "kind, pause",
    [("csv", "commit"), ("json", "commit"), ("folder", "commit"), ("folder", "fill")],
)
def test_a_writer_killed_before_it_commits_leaves_the_old_output_and_the_next_write_cleans_up(
    tmp_path, kind, pause
):
    target = tmp_path / ("out" if kind == "folder" else f"out.{kind}")
    _old(kind, target)
    old = _state(target)
    receiver, sender = FORK.Pipe(duplex=False)
    child = FORK.Process(target=_write_new, args=(kind, target, pause, sender))
    child.start()
    try:
        assert receiver.recv() == "paused"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    assert child.exitcode == -signal.SIGKILL
    assert _state(target) == old
    assert len(_leftovers(target)) == 1  # the killed writer's temporary output

    _old(kind, target)  # the next write of the same output
    assert _state(target) == old and _leftovers(target) == []


def _write_large(target: Path) -> None:
    outputs.write_csv(pd.DataFrame({"row": range(3_000_000), "value": "new"}), target)


def test_a_large_write_killed_at_any_moment_leaves_old_or_new_never_a_mix(tmp_path):
    """A real kill in the middle of pandas writing a large predictions file: as soon as the
    temporary file has content, SIGKILL; the target holds the old bytes or all the new ones."""
    target = tmp_path / "predictions.csv"
    _old("csv", target)
    old = target.read_bytes()
    child = FORK.Process(target=_write_large, args=(target,))
    child.start()
    try:
        while child.is_alive() and not any(
            (tmp_path / name).stat().st_size > 0 for name in _leftovers(target)
        ):
            time.sleep(0.01)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    if target.read_bytes() != old:
        new = pd.read_csv(target)
        assert len(new) == 3_000_000 and (new["value"] == "new").all()
