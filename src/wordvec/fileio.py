"""File helpers: atomic writes (temp file in the same folder, then rename) and output checks.

`atomic_write(path)` is how every wordvec output is written:
- a regular file (or a new one) is written to `.NAME.PID.RANDOM.tmp` beside it, flushed, fsynced
  and renamed over `path`, so an existing file is never left half-written; on any error or signal
  the temp file is removed;
- temp files of the same target left by a process that no longer runs (kill -9, power loss) are
  removed by the next write to that target;
- a symbolic link is followed: the file it points to is replaced, the link stays;
- an existing character device or FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written
  directly: renaming over it would replace the device node itself;
- a directory, socket or block device is refused;
- errors name the caller's path, never the hidden temp file.
`check_output(path, what)` runs the same checks up front, so a CLI can refuse an unwritable output
before reading a corpus or training for hours.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import struct
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Callable, Iterator

import numpy as np

from wordvec.errors import WordvecError


class OutputError(WordvecError, OSError):
    """An output path cannot be written (a directory, missing folder, read-only place, ...)."""


def _target(path: Path) -> Path:
    """The path really written: symbolic links followed (a dangling link: its target)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _direct(path: Path, shown: str) -> bool:
    """True for an existing node written in place (character device, FIFO); raises OutputError,
    naming `shown`, for nodes that can be neither replaced nor written (directory, socket, block
    device)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror}") from None
    if stat.S_ISREG(mode):
        return False
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return True
    kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
    raise OutputError(f"cannot write {shown}: it is {kind}")


def check_output(path: str | os.PathLike, what: str = "output") -> None:
    """Raise OutputError (one line, naming `path`) unless `path` can be written by `atomic_write`:
    its folder exists and is writable (tried with a real temp file), and it is not a directory."""
    shown = os.fspath(path)
    if not shown:
        raise OutputError(f"{what}: empty path")
    target = _target(Path(shown))
    if _direct(target, f"{what} {shown}"):
        if not os.access(target, os.W_OK):
            raise OutputError(f"cannot write {what} {shown}: permission denied")
        return
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {what} {shown}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {what} {shown}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(tmp)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's live process
        return True
    return True


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Remove `.NAME.PID.*.tmp` files beside `path` whose writing process is gone; returns them."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    removed = []
    try:
        candidates = list(folder.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        pid_text = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid() or _pid_alive(pid):
            continue  # still being written (by us in another thread, or by a live process)
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def glob_escape(name: str) -> str:
    """`name` with glob metacharacters bracketed, to match it literally."""
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Yield a file object whose contents replace `path` only if the block completes.

    An existing file at `path` is never left half-written: on any error (or KeyboardInterrupt,
    or an exception raised by a signal handler) the temp file is removed and the old file stays as
    it was. See the module docstring for links, devices and FIFOs.
    """
    shown = os.fspath(path)
    target = _target(Path(shown))
    if _direct(target, shown):
        with open(target, mode) as handle:
            yield handle
        return
    directory = target.parent if str(target.parent) else Path(".")
    remove_stale_temps(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        os.chmod(tmp, _mode_for(target))
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, WordvecError) and _names(exc, tmp):
            if exc.errno == errno.ENOSPC:
                raise OutputError(f"cannot write {shown}: no space left on device "
                                  "(the previous file, if any, is unchanged)") from None
            raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
        raise


def _names(exc: OSError, tmp: str) -> bool:
    """True when an OSError is about the temp file (or names no file): it is reported with the
    caller's path instead."""
    return exc.filename in (None, tmp) or exc.filename2 == tmp


def _mode_for(path: Path) -> int:
    """Permissions for the new file: those of the file it replaces, else the default under umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# ---- .npz archives (zips of .npy members) read without pickles, sizes checked first ----

MAX_NPY_HEADER = 4096  # bytes of .npy header accepted
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # a zip local file header (30 bytes)

NPZ_ALIGN = 64
"""Where `write_npz` puts each array's first byte: a multiple of this in the file, so a member
mapped with `mmap` is as aligned as one in memory (NumPy's BLAS calls refuse unaligned arrays and
fall back to loops about 6x slower)."""
_ALIGN_EXTRA_ID = 0xD935  # the zip extra field Android's zipalign pads with: uint16 alignment, zeros
_ZIP64_LOCAL_EXTRA = 20  # what zipfile adds to a local header written with force_zip64


def write_npz(handle: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """`numpy.savez(handle, **arrays)` (stored, never pickled), with each array's data aligned to
    `NPZ_ALIGN` bytes in the file: the local header's extra field is padded (as zipalign does), and
    the .npy header NumPy writes is a multiple of 64 bytes long. Any zip or npz reader reads it."""
    start = handle.tell()
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            array = np.asanyarray(array)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            offset = handle.tell() - start
            unpadded = offset + _LOCAL_HEADER.size + len(info.filename.encode("utf-8")) + 6 + _ZIP64_LOCAL_EXTRA
            padding = 2 + (-unpadded) % NPZ_ALIGN
            info.extra = struct.pack("<HHH", _ALIGN_EXTRA_ID, padding, NPZ_ALIGN) + bytes(padding - 2)
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def npz_members(archive: zipfile.ZipFile, path, names: tuple[str, ...], bad: Callable[[str, str], Exception]
                ) -> dict[str, zipfile.ZipInfo]:
    """{name: member} of an archive that holds exactly the .npy members `names`, each stored
    (uncompressed, unencrypted) and inside the file; anything else raises `bad(path, why)`."""
    size = os.path.getsize(path)
    found: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else None
        if name not in names:
            raise bad(path, f"unexpected member {info.filename!r:.60}")
        if name in found:
            raise bad(path, f"member {info.filename!r:.60} appears twice")
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size or info.flag_bits & 0x1:
            raise bad(path, f"member {info.filename!r:.60} is compressed or encrypted (wordvec stores members)")
        if info.header_offset + info.compress_size > size:
            raise bad(path, f"member {info.filename!r:.60} runs past the end of the file")
        found[name] = info
    missing = [n for n in names if n not in found]
    if missing:
        raise bad(path, f"no {missing[0]!r} member")
    return found


def member_data_offset(path, info: zipfile.ZipInfo) -> int:
    """Where a stored member's bytes begin in the file (after its local header)."""
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        fields = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
    if fields[0] != b"PK\x03\x04":
        raise ValueError(f"member {info.filename!r:.60} has no local header")
    return info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10]


def read_npy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path, dtype, shapes: list,
                    bad: Callable[[str, str], Exception], *, mmap: bool = False,
                    max_bytes: int | None = None) -> np.ndarray:
    """One stored .npy member, its header checked against `dtype` and `shapes` (None: any; None in
    a shape: any extent) before any data is read; exactly the bytes header and zip directory agree on.
    `mmap=True` maps the data read-only from the file instead of reading it."""
    name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
    with archive.open(info) as handle:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, found = np.lib.format.read_array_header_1_0(handle, max_header_size=MAX_NPY_HEADER)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, found = np.lib.format.read_array_header_2_0(handle, max_header_size=MAX_NPY_HEADER)
        else:
            raise bad(path, f"{name}: unsupported .npy version {version}")
        if found.hasobject or fortran:
            raise bad(path, f"{name}: holds objects or is Fortran-ordered")
        if dtype is not None and found != np.dtype(dtype):
            raise bad(path, f"{name} has dtype {found}, expected {np.dtype(dtype)}")
        if shapes is not None and not any(
                len(s) == len(shape) and all(a is None or a == b for a, b in zip(s, shape)) for s in shapes):
            raise bad(path, f"{name} has shape {shape}, expected {' or '.join(map(str, shapes))}")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        nbytes = count * found.itemsize
        if max_bytes is not None and nbytes > max_bytes:
            raise bad(path, f"{name} is larger than {max_bytes} bytes")
        header = handle.tell()
        if header + nbytes != info.file_size:
            raise bad(path, f"{name}: {info.file_size} bytes stored for a {shape} {found} array")
        if mmap and nbytes:
            return np.memmap(path, dtype=found, mode="r", offset=member_data_offset(path, info) + header,
                             shape=shape)
        array = np.empty(shape, dtype=found)
        view = memoryview(array.reshape(-1).view(np.uint8)) if nbytes else memoryview(b"")
        got = 0
        while got < nbytes:
            n = handle.readinto(view[got:])
            if not n:
                raise bad(path, f"{name}: truncated")
            got += n
        if handle.read(1):
            raise bad(path, f"{name}: trailing data")
    return array
