"""One atomic writer for every file and folder Crossings writes.

Everything the project writes (results folders, calibration folders, reports,
figures, saved variants, checkpoints, the schema) goes through this module:

* the new content is written to a hidden temporary sibling, flushed to disk,
  given the permissions the user's umask asks for (temporary files and folders
  are created private; the output is not), and only then moved into place;
* a file replaces the old one with one ``rename`` (atomic on POSIX);
* a folder replaces the old one by an atomic exchange of the two names
  (Linux ``renameat2(RENAME_EXCHANGE)``), so the old folder stays whole and
  in place until the new one is complete; where the exchange is unavailable
  the old folder is moved aside first and, if the process dies in between,
  moved back by the next write (:func:`recover`);
* a process killed halfway leaves at most a hidden temporary sibling, which
  the next write removes when the process that made it is gone.

No module-level state: the functions are safe to use from several threads
and processes (two writers of the same target never delete each other's
temporary files).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_directory",
    "atomic_file",
    "recover",
    "write_bytes",
    "write_text",
]

_TMP = ".tmp-"
_OLD = ".old-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _umask() -> int:
    """The process umask (read without changing it where the platform allows)."""
    status = Path("/proc/self/status")
    with contextlib.suppress(OSError):
        for line in status.read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # pragma: no cover - not Linux
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def _hidden(target: Path, kind: str) -> str:
    """A hidden sibling-name prefix for ``target`` that records this process id."""
    return f".{target.name}{kind}{os.getpid()}-"


def _owner_alive(name: str, target: Path, kind: str) -> bool:
    """Whether the process that made the hidden sibling ``name`` still runs."""
    rest = name[len(f".{target.name}{kind}") :]
    pid_text = rest.split("-", 1)[0]
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(target: Path) -> None:
    """Tidy the hidden siblings of ``target`` left by a writer that was killed.

    A folder moved aside (``.NAME.old-PID-…``) by a dead process while
    ``target`` is missing is moved back; stale temporary siblings of dead
    processes are removed. Siblings of live processes are left alone.
    """
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        return
    for kind in (_OLD, _TMP):
        for stale in sorted(parent.glob(f".{_glob_escape(target.name)}{kind}*")):
            if _owner_alive(stale.name, target, kind):
                continue
            if kind == _OLD and not target.exists() and not target.is_symlink():
                with contextlib.suppress(OSError):
                    stale.rename(target)
                    continue
            _remove(stale)


def _glob_escape(name: str) -> str:
    """``name`` with the glob metacharacters escaped."""
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync_dir(path: Path) -> None:
    """Flush a folder's entries (after a rename into it)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            if p.is_symlink():
                continue
            with p.open("rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(Path(dirpath))


def _set_modes(root: Path, mask: int) -> None:
    """Permissions from the umask for a freshly written tree (temporaries are private)."""
    root.chmod(0o777 & ~mask)
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            (Path(dirpath) / d).chmod(0o777 & ~mask)
        for f in files:
            p = Path(dirpath) / f
            if not p.is_symlink():
                p.chmod(0o666 & ~mask)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap the names ``a`` and ``b`` (Linux); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # the file system cannot exchange: fall back
    raise OSError(err, os.strerror(err), str(b))


def atomic_directory(out: Path, fill: Callable[[Path], None]) -> Path:
    """Create or replace the folder ``out`` by filling a temporary sibling.

    ``fill`` writes the folder's content into the path it is given. Until it
    returns and the content is on disk, ``out`` (if it existed) is untouched;
    then the two are exchanged atomically and the old content is removed. A
    run killed at any moment leaves either the old folder or the new one.

    Args:
        out: The folder to create or replace.
        fill: Writes the files into the (empty) folder it is given.

    Returns:
        The final folder path.

    Raises:
        NotADirectoryError: If ``out`` exists and is not a folder.
    """
    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    mask = _umask()
    tmp = Path(tempfile.mkdtemp(prefix=_hidden(out, _TMP), dir=parent))
    try:
        fill(tmp)
        _set_modes(tmp, mask)
        _fsync_tree(tmp)
        if out.exists():
            if _exchange(tmp, out):
                _fsync_dir(parent)
                shutil.rmtree(tmp, ignore_errors=True)  # now holds the old content
                return out
            old = Path(tempfile.mkdtemp(prefix=_hidden(out, _OLD), dir=parent))
            old.rmdir()
            out.rename(old)
            tmp.rename(out)
            _fsync_dir(parent)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
            _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


@contextlib.contextmanager
def atomic_file(
    path: Path, mode: str = "w", *, encoding: str | None = "utf-8"
) -> Iterator[IO[Any]]:
    """Write a file through a temporary sibling moved into place on success.

    Example::

        with atomic_file(Path("report.html")) as fh:
            fh.write(html)

    Args:
        path: The file to create or replace.
        mode: ``"w"`` (text) or ``"wb"`` (bytes).
        encoding: Text encoding (ignored for bytes).

    Yields:
        An open file object. If the block raises, nothing is replaced and the
        temporary file is removed.
    """
    path = Path(path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    recover(path)
    fd, name = tempfile.mkstemp(prefix=_hidden(path, _TMP), dir=path.parent)
    tmp = Path(name)
    try:
        binary = "b" in mode
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_text(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path, "w", encoding=encoding) as fh:
        fh.write(text)
    return Path(path)


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path, "wb") as fh:
        fh.write(data)
    return Path(path)
