"""Writing output files safely: whole or not at all, and one line when the disk says no.

Reports, figures, site pages and exports are written to a temporary file in
the target's folder and renamed over the target, so a full disk, a crash or a
kill never leaves a truncated ``report.html`` where a good one was.  Every
``OSError`` on the way becomes one :class:`~bench.errors.BenchError` line naming
the path and the cause in words (a folder in the way, a read-only place, a full
disk, no permission).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterator, Optional

from bench.errors import BenchError

__all__ = [
    "atomic_path",
    "describe_os_error",
    "io_error",
    "make_folder",
    "write_bytes_atomic",
    "write_text_atomic",
]

_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "a read-only place (read-only file system)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "a file is in the way where a folder should be",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "a file is in the way where a folder should be",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EIO: "an input/output error of the disk",
}


def describe_os_error(exc: OSError) -> str:
    """The cause of an ``OSError`` in a few words (no errno numbers, no traceback)."""
    return _CAUSES.get(exc.errno or 0) or (exc.strerror or str(exc)).rstrip(".").lower()


def io_error(path: str | Path, exc: OSError, doing: str = "cannot write") -> BenchError:
    """One line for a failed file operation: ``PATH: cannot write (the disk is full)``."""
    shown = exc.filename if exc.filename and doing != "cannot write" else path
    return BenchError(f"{shown}: {doing} ({describe_os_error(exc)})")


def make_folder(path: str | Path, what: str = "--out") -> Path:
    """Create an output folder (and its parents); one line if a file or the disk is in the way."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BenchError(f"{what} {path}: is a file, not a folder; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a parent is a file
        raise BenchError(f"{what} {path}: a file is in the way where a folder should be") from None
    except OSError as exc:
        raise BenchError(f"{what} {path}: cannot create the folder ({describe_os_error(exc)})") from None
    return path


def _is_special(path: Path) -> bool:
    """A device or pipe (``/dev/full``, ``/dev/stdout``): written in place, never replaced."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed over ``target``.

    For writers that want a file name (matplotlib's ``savefig``, pandas' ``to_parquet``).
    On any error the temporary file is removed and ``target`` is left as it was;
    an ``OSError`` becomes one :class:`BenchError` line.  A device or pipe target
    (``/dev/stdout``) is written in place.  A symbolic link at ``target`` is replaced by
    the file, so a write never lands outside the folder it names.
    """
    target = Path(target)
    if target.is_dir():
        raise BenchError(f"{target}: is a folder, not a file")
    if _is_special(target):
        try:
            yield target
        except OSError as exc:
            raise io_error(target, exc) from None
        return
    folder = target.parent
    if not folder.is_dir():
        make_folder(folder, "folder")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        os.close(handle)
    except OSError as exc:
        raise io_error(target, exc) from None
    temp_path = Path(temporary)
    try:
        yield temp_path
        _keep_mode(target, temp_path)
        os.replace(temp_path, target)
    except OSError as exc:
        _discard(temp_path)
        raise io_error(target, exc) from None
    except BaseException:
        _discard(temp_path)
        raise


def write_bytes_atomic(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` whole (temporary file, fsync, rename) or not at all."""
    target = Path(target)
    with atomic_path(target) as temporary:
        if temporary == target:  # a device or pipe
            with open(target, "wb") as stream:
                stream.write(data)
        else:
            with open(temporary, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
    return target


def write_text_atomic(target: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` whole or not at all (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(target, text.encode(encoding))


def _keep_mode(target: Path, temporary: Path) -> None:
    """A replaced file keeps its permissions; a new one gets the usual ones (umask)."""
    try:
        mode: Optional[int] = stat.S_IMODE(target.lstat().st_mode) if target.is_file() else None
    except OSError:
        mode = None
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def cached_figures(index_path: Path, digest: str, out_dir: Path) -> Optional[list[dict[str, Any]]]:
    """The figures an earlier render listed in ``index_path``, if they were drawn from the
    same inputs (``digest``) and every file they name is still in ``out_dir``; else None."""
    import json

    try:
        index = json.loads(Path(index_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or index.get("digest") != digest:
        return None
    listed = index.get("figures") or []
    files = [f[key] for f in listed for key in ("file", "print_file") if f.get(key)]
    if not all((Path(out_dir) / name).is_file() for name in files):
        return None
    return listed
