"""Every file and folder the CLI writes goes through here, so an output is whole or untouched.

The rules, which `check_writable` applies before a command does any work and the writers apply
again when they write:

- an existing path that is not a regular file (a folder, FIFO, socket or device) is refused;
- a symbolic link is refused, not followed (give the target's own path): a link would let a
  report overwrite whatever file it points at;
- content goes to a temporary file beside the target, `.<name>.<pid>.<random>.tmp`, renamed
  over it in one step, so readers, and a kill at any moment, see the old content or the new,
  never a mix. A replaced file keeps its permission bits; a new one gets the umask's, as
  `open` would give it;
- temporary files of the same output whose writing process no longer runs (it was killed) are
  removed by the next write of that output. The pid check assumes writers on one host.

A folder (`write_folder`) is built the same way beside its target and swapped in with one
rename; an existing folder is replaced only if it is one the same writer made (its marker file
is in it), so a mistyped `--to ~` cannot swap a home folder away.
"""

import ctypes
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pandas as pd

from model_factory import object_store
from model_factory.errors import InputError

TEMP_SUFFIX = ".tmp"


def check_writable(path: str | Path) -> Path:
    """`path` as a Path if a file may be written there, else an InputError naming why."""
    path = Path(path)
    _refuse_link(path)
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: exists and is not a regular file ({_kind(path)}); refusing")
    _check_parent(path)
    return path


def check_folder_writable(path: str | Path, marker: str) -> Path | str:
    """`path` as a Path if `write_folder(path, ..., marker)` may write it, else an InputError.
    An object-store URI (`s3://`, `gs://`) is checked by model_factory.object_store."""
    if object_store.is_uri(path):
        return object_store.check_folder_writable(str(path), marker)
    path = Path(path)
    _refuse_link(path)
    if path.exists():
        if not path.is_dir():
            raise InputError(f"{path}: exists and is not a folder ({_kind(path)}); refusing")
        if any(path.iterdir()) and not (path / marker).is_file():
            raise InputError(
                f"{path}: a folder with other content (no {marker}); give a new or empty folder"
            )
    _check_parent(path)
    return path


@contextmanager
def replacing(path: str | Path, mode: str = "w", **open_args) -> Iterator[IO]:
    """An open temporary file that replaces `path` when the block ends without an error."""
    path = check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    permissions = _permissions(path, default=0o666)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=_temp_prefix(path), suffix=TEMP_SUFFIX
    )
    try:
        os.fchmod(handle, permissions)
        with os.fdopen(handle, mode, **open_args) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        check_writable(path)  # the target may have changed kind while we wrote
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    with replacing(path, "w", encoding="utf-8") as out:
        out.write(text)


def write_bytes(path: str | Path, data: bytes) -> None:
    with replacing(path, "wb") as out:
        out.write(data)


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv_args) -> None:
    with replacing(path, "w", newline="") as out:
        frame.to_csv(out, index=False, **to_csv_args)


def write_folder(path: str | Path, fill: Callable[[Path], None], marker: str) -> None:
    """Call `fill` on a new temporary folder beside `path`, then put it in `path`'s place in one
    step; `fill` must write `marker`, the file that makes the folder replaceable next time.
    An object-store URI is uploaded by model_factory.object_store (no one-step swap there)."""
    if object_store.is_uri(path):
        return object_store.write_folder(str(path), fill, marker)
    path = check_folder_writable(path, marker)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    permissions = _permissions(path, default=0o777)
    temporary = Path(
        tempfile.mkdtemp(dir=path.parent, prefix=_temp_prefix(path), suffix=TEMP_SUFFIX)
    )
    try:
        temporary.chmod(permissions)
        fill(temporary)
        if not (temporary / marker).is_file():
            raise RuntimeError(f"the folder written for {path} lacks its marker {marker}")
        check_folder_writable(path, marker)
        if path.exists() and _exchange(temporary, path):
            shutil.rmtree(temporary)  # now the old content
        else:
            _replace_folder(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def remove_stale_temporaries(path: Path) -> None:
    """Remove `.<name>.<pid>.*.tmp` files and folders beside `path` whose pid is not running."""
    prefix = f".{path.name}."
    if not path.parent.is_dir():
        return
    for entry in path.parent.iterdir():
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not process_running(int(pid)):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def process_running(pid: int) -> bool:
    """Whether a process of this machine has that pid (killed writers and runs are told apart
    from live ones by it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise InputError(
            f"{path}: is a symbolic link; outputs do not follow links, give the target's path "
            f"({path.resolve()})"
        )


def _check_parent(path: Path) -> None:
    """The nearest existing ancestor must be a folder we may write in."""
    ancestor = path.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{path}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"{path}: no permission to write in {ancestor}")


def _kind(path: Path) -> str:
    mode = path.stat().st_mode
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


def _permissions(path: Path, default: int) -> int:
    """The existing target's permission bits, else `default` less the umask."""
    if path.exists():
        return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return default & ~umask


def _exchange(new: Path, old: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the platform
    or file system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_cwd, rename_exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(new), at_cwd, os.fsencode(old), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(code, os.strerror(code), str(old))


def _replace_folder(new: Path, path: Path) -> None:
    """Without an atomic swap: the old folder moves aside (a temporary name, removed after or by
    the next write), then the new one takes its name."""
    if path.exists():
        aside = Path(
            tempfile.mkdtemp(dir=path.parent, prefix=_temp_prefix(path), suffix=TEMP_SUFFIX)
        )
        os.rename(path, aside / path.name)
        os.rename(new, path)
        shutil.rmtree(aside)
    else:
        os.rename(new, path)
