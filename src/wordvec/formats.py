"""Vector file formats: word2vec text, word2vec binary (the C tool's) and the native .npz.

Readers return plain pieces (`VectorData`) so this module does not depend on `KeyedVectors`.
Every reader is defensive: malformed or truncated input raises `VectorFileError` naming the line
(text) or byte offset (binary); a header never drives an allocation larger than the data actually
read; NaN/Inf values and duplicate words are refused. Nothing is ever pickled.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import mmap
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Sequence

import numpy as np

from wordvec.errors import VectorFileError
from wordvec.fileio import atomic_write

FORMATS = ("text", "binary", "native")
NATIVE_FORMAT_NAME = "wordvec.keyedvectors"
NATIVE_FORMAT_VERSION = 1

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_CHUNK = 1 << 20
_MAX_WORD_BYTES = 1 << 16  # a binary-format word longer than this means a corrupt file
_TEXT_ROW_CHARS = frozenset(b"0123456789+-.eE_ \t\r\ninfatyINFATY")
# largest uncompressed/compressed ratio accepted for a deflated .npz member (deflate tops at ~1032)
_MAX_DEFLATE_RATIO = 1100


@dataclass
class VectorData:
    """What a reader found: float32 (V, D) rows, their words, and optional counts/metadata."""

    vectors: np.ndarray
    words: list[str]
    counts: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# format selection


def format_from_extension(path: str | os.PathLike) -> str:
    """`.txt`/`.vec` -> text, `.bin` -> binary, anything else -> native (a `.gz` suffix is skipped)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".txt", ".vec"):
        return "text"
    if ext == ".bin":
        return "binary"
    return "native"


def _one_line(exc: BaseException) -> str:
    """A library's error text squeezed onto one line (messages must stay one line)."""
    return " ".join(str(exc).split())[:200]


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise VectorFileError(f"unknown vector file format {fmt!r} (expected one of {', '.join(FORMATS)})")
    return fmt


def _open_binary(path: str | os.PathLike) -> IO[bytes]:
    """Open for reading, transparently gunzipping; missing files become VectorFileError."""
    handle = _open_plain(path)
    if handle.peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    return handle


def _read_head(path: str | os.PathLike, size: int = 1 << 16) -> bytes:
    with _open_binary(path) as handle:
        try:
            return handle.read(size)
        except (OSError, EOFError, zlib.error) as exc:  # corrupt gzip stream
            raise VectorFileError(f"{path}: cannot read ({_one_line(exc)})") from None


def sniff_format(path: str | os.PathLike) -> str | None:
    """Guess the format from the first bytes: 'native', 'text', 'binary', or None if ambiguous."""
    with _open_plain(path) as raw:
        magic = raw.read(4)
    if magic in _ZIP_MAGICS:
        return "native"
    head = _read_head(path)
    if not head:
        raise VectorFileError(f"{path}: empty file")
    newline = head.find(b"\n")
    if newline < 0:
        return "text" if _looks_textual(head) else None
    header = _parse_header(head[:newline])
    if header is None:  # no "V D" header: only headerless text (GloVe style) is possible
        return "text"
    rest = head[newline + 1:]
    space = rest.find(b" ")
    if space < 0:
        return None
    _, dim = header
    line_end = rest.find(b"\n", space)
    if line_end < 0:  # a very long first row: judge by the characters available
        payload = rest[space + 1: space + 1 + 4 * dim]
        return ("text" if _looks_textual(payload) else "binary") if payload else None
    payload = rest[space + 1: line_end]
    if _looks_textual(payload) and len(payload.split()) == dim:
        return "text"
    return "binary"


def _open_plain(path: str | os.PathLike) -> io.BufferedReader:
    """Open for binary reading; a missing or unreadable path becomes VectorFileError."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise VectorFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise VectorFileError(f"{path}: is a directory, not a vector file") from None
    except OSError as exc:
        raise VectorFileError(f"{path}: cannot open ({exc.strerror})") from None


def _looks_textual(data: bytes) -> bool:
    return all(byte in _TEXT_ROW_CHARS for byte in data)


def _parse_header(line: bytes) -> tuple[int, int] | None:
    """Return (V, D) if `line` is a word2vec header "V D", else None."""
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def resolve_format(path: str | os.PathLike, fmt: str | None) -> str:
    """The format to read `path` with: `fmt` if given, else the content's, else the extension's."""
    if fmt is not None:
        return _check_format(fmt)
    return sniff_format(path) or format_from_extension(path)


def load_vectors(path: str | os.PathLike, fmt: str | None = None, limit: int | None = None) -> VectorData:
    """Read any supported format (sniffed when `fmt` is None), keeping at most `limit` words."""
    fmt = resolve_format(path, fmt)
    if fmt == "native":
        return read_native(path, limit=limit)
    if fmt == "binary":
        return read_word2vec_binary(path, limit=limit)
    return read_word2vec_text(path, limit=limit)


def _check_limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0:
        raise ValueError(f"limit must be a non-negative integer or None, got {limit!r}")
    return int(limit)


# ----------------------------------------------------------------------------------------------
# word2vec text


def read_word2vec_text(path: str | os.PathLike, limit: int | None = None) -> VectorData:
    """Read "V D" then "word v1 ... vD" lines; a file without the header line (GloVe) also works."""
    limit = _check_limit(limit)
    rows: list[np.ndarray] = []
    words: list[str] = []
    seen: dict[str, int] = {}
    expected_words: int | None = None
    dim: int | None = None
    with _open_binary(path) as handle:
        line_no = 0
        try:
            for raw in handle:
                line_no += 1
                if line_no == 1:
                    header = _parse_header(raw)
                    if header is not None:
                        expected_words, dim = header
                        if dim < 1:
                            raise VectorFileError(f"{path}: line 1: vector size must be at least 1, got {dim}")
                        continue
                    if not raw.strip():
                        raise VectorFileError(f"{path}: line 1: expected a header 'V D' or a vector row")
                if limit is not None and len(words) >= limit:
                    break
                if not raw.strip():  # blank lines carry nothing
                    continue
                if expected_words is not None and len(words) >= expected_words:
                    raise VectorFileError(
                        f"{path}: line {line_no}: more rows than the {expected_words} the header announces"
                    )
                word, values = _parse_text_row(raw, dim, path, line_no)
                if dim is None:
                    dim = len(values)
                if word in seen:
                    raise VectorFileError(
                        f"{path}: line {line_no}: duplicate word {word!r} (first on line {seen[word]})"
                    )
                seen[word] = line_no
                words.append(word)
                rows.append(values)
        except (OSError, EOFError, zlib.error) as exc:  # corrupt gzip stream
            raise VectorFileError(f"{path}: line {line_no + 1}: cannot read ({_one_line(exc)})") from None
    if line_no == 0:
        raise VectorFileError(f"{path}: empty file")
    wanted = expected_words if limit is None else (None if expected_words is None else min(limit, expected_words))
    if wanted is not None and len(words) < wanted:
        raise VectorFileError(
            f"{path}: line {line_no + 1}: file ends after {len(words)} of the {expected_words} words "
            "its header announces (truncated?)"
        )
    if dim is None:
        raise VectorFileError(f"{path}: line 1: no vectors and no header")
    vectors = np.vstack(rows) if rows else np.zeros((0, dim), dtype=np.float32)
    return VectorData(vectors.astype(np.float32, copy=False), words)


def _parse_text_row(raw: bytes, dim: int | None, path, line_no: int) -> tuple[str, np.ndarray]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VectorFileError(f"{path}: line {line_no}: invalid UTF-8 at byte {exc.start} of the line") from None
    text = text.rstrip()
    word, sep, rest = text.partition(" ")
    if not sep or not word:
        raise VectorFileError(f"{path}: line {line_no}: expected 'word v1 ... vD'")
    tokens = rest.split()
    if dim is not None and len(tokens) != dim:
        raise VectorFileError(f"{path}: line {line_no}: word {word!r} has {len(tokens)} values, expected {dim}")
    if not tokens:
        raise VectorFileError(f"{path}: line {line_no}: word {word!r} has no values")
    try:
        values = np.array(tokens, dtype=np.float32)
    except (ValueError, OverflowError):
        for column, token in enumerate(tokens, start=1):
            try:
                float(token)
            except ValueError:
                raise VectorFileError(
                    f"{path}: line {line_no}: value {column} of word {word!r} is not a number: {token[:40]!r}"
                ) from None
        raise VectorFileError(f"{path}: line {line_no}: word {word!r} has unreadable values") from None
    _check_finite_row(values, word, f"{path}: line {line_no}")
    return word, values


def _check_finite_row(values: np.ndarray, word: str, where: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise VectorFileError(
            f"{where}: word {word!r} has a non-finite value ({values[bad[0]]}) at position {int(bad[0]) + 1}"
        )


def write_word2vec_text(path: str | os.PathLike, vectors: np.ndarray, words: Sequence[str]) -> None:
    """Write the word2vec text format; '%.9g' keeps every float32 bit on reading back."""
    vectors = _checked_for_writing(vectors, words)
    row_format = " ".join(["%.9g"] * vectors.shape[1])
    with atomic_write(path, "wb") as out:
        out.write(f"{vectors.shape[0]} {vectors.shape[1]}\n".encode("ascii"))
        lines = []
        for word, row in zip(words, vectors.tolist()):
            lines.append(f"{word} {row_format % tuple(row)}\n")
            if len(lines) >= 4096:
                out.write("".join(lines).encode("utf-8"))
                lines.clear()
        out.write("".join(lines).encode("utf-8"))


def _checked_for_writing(vectors: np.ndarray, words: Sequence[str]) -> np.ndarray:
    for word in words:
        if not word or any(ch.isspace() for ch in word):
            raise VectorFileError(
                f"cannot write word {word!r} in word2vec format: words must be non-empty without whitespace "
                "(use the native format)"
            )
    _check_all_finite(vectors, words, "cannot write")
    return np.asarray(vectors, dtype=np.float32)


def _check_all_finite(vectors: np.ndarray, words: Sequence[str], what: str) -> None:
    finite = np.isfinite(vectors)
    if not finite.all():
        row, col = (int(i[0]) for i in np.nonzero(~finite))
        raise VectorFileError(
            f"{what}: word {words[row]!r} has a non-finite value ({vectors[row, col]}) at position {col + 1}"
        )


# ----------------------------------------------------------------------------------------------
# word2vec binary


# Status codes of `_scan_records`: where the walk stopped and why.
_SCAN_OK, _SCAN_ENDS, _SCAN_NO_SPACE, _SCAN_EMPTY_WORD, _SCAN_TRUNCATED, _SCAN_TRAILING = range(6)
_UNREADABLE = 6  # not the kernel's: a .gz stream broke off before the data the reader needed


def _scan_records(data, pos, wanted, row_bytes, max_word, check_trailing):
    """Find the records of a word2vec binary file in `data` (uint8) from byte `pos` on (Numba kernel).

    A record is optional newlines, a word of 1 to `max_word` bytes, a space, `row_bytes` of values,
    then at most one newline. Returns (spans, count, status, at): the word of complete record i is
    data[spans[i, 0]:spans[i, 1]] and its values follow the space at spans[i, 1]; `status` says why
    the walk stopped (`_SCAN_*`) and `at` is the byte offset to report; a truncated record's word is
    in spans[count]. With `check_trailing`, only ASCII whitespace may follow the last record.
    `spans` grows by doubling, so its size follows the records found, never the header's promise.
    """
    size = data.shape[0]
    spans = np.empty((min(wanted, 4096) + 1, 2), np.int64)
    count = 0
    while count < wanted:
        if pos == size:
            return spans, count, _SCAN_ENDS, pos
        space = pos
        stop = min(pos + max_word, size)
        while space < stop and data[space] != 32:
            space += 1
        if space == stop:
            return spans, count, _SCAN_NO_SPACE, pos
        while data[pos] == 10:  # newlines before a word (the C tool's, or extra ones) are skipped
            pos += 1
        if pos == space:
            return spans, count, _SCAN_EMPTY_WORD, pos
        if count + 1 == spans.shape[0]:  # full: double it (the last row is kept for a truncated record)
            grown = np.empty((2 * spans.shape[0], 2), np.int64)
            grown[: spans.shape[0]] = spans
            spans = grown
        spans[count, 0] = pos
        spans[count, 1] = space
        pos = space + 1 + row_bytes
        if pos > size:
            return spans, count, _SCAN_TRUNCATED, space + 1
        count += 1
        if pos < size and data[pos] == 10:
            pos += 1
    while check_trailing and pos < size:
        if data[pos] != 32 and not 9 <= data[pos] <= 13:
            return spans, count, _SCAN_TRAILING, pos
        pos += 1
    return spans, count, _SCAN_OK, pos


def _gather_records(data, spans, count, row_bytes):
    """The values of the first `count` records as uint8 (count, row_bytes) rows, and their words
    joined into one uint8 array, each followed by its space (Numba kernel)."""
    rows = np.empty((count, row_bytes), np.uint8)
    total = 0
    for i in range(count):
        total += spans[i, 1] + 1 - spans[i, 0]
    joined = np.empty(total, np.uint8)
    at = 0
    for i in range(count):
        start, space = spans[i, 0], spans[i, 1]
        joined[at: at + space + 1 - start] = data[start: space + 1]
        at += space + 1 - start
        rows[i] = data[space + 1: space + 1 + row_bytes]
    return rows, joined


@functools.cache
def _kernel(function):
    """`function` compiled by Numba (cached on disk); imported on first use to keep imports light."""
    import numba

    return numba.njit(cache=True, nogil=True)(function)


class _Content:
    """A file's bytes as read-only uint8 `data`. A plain file is memory-mapped whole (no memory of
    its own); a .gz one is decompressed on demand, `more()` at a time, so memory follows the data
    actually needed (a `limit` reads only the start) and actually there (never a header's claim)."""

    def __init__(self, handle: io.BufferedReader, path):
        self.error, self.chunks = None, []
        try:
            gzipped = handle.peek(2)[:2] == _GZIP_MAGIC
            if not gzipped:
                try:
                    content = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                except (ValueError, OSError):  # an empty file, or one that cannot be mapped
                    content = handle.read()
        except OSError as exc:
            raise VectorFileError(f"{path}: cannot read ({_one_line(exc)})") from None
        self.stream = gzip.GzipFile(fileobj=handle, mode="rb") if gzipped else None
        self.data = np.frombuffer(content, dtype=np.uint8) if not gzipped else np.zeros(0, np.uint8)
        self.more()

    def more(self, everything: bool = False) -> bool:
        """Decompress as much again as is held (at least `_CHUNK`), or all; False if nothing is left.
        A corrupt stream ends the data where it breaks and leaves the reason in `error`."""
        if self.stream is None:
            return False
        wanted = None if everything else max(_CHUNK, self.data.size)
        got = 0
        try:
            while wanted is None or got < wanted:
                chunk = self.stream.read(_CHUNK)
                if not chunk:
                    self.stream = None
                    break
                self.chunks.append(chunk)
                got += len(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            self.stream, self.error = None, _one_line(exc)
        self.chunks = [b"".join(self.chunks)]
        self.data = np.frombuffer(self.chunks[0], dtype=np.uint8)  # read-only, like the mmap
        return True


def read_word2vec_binary(path: str | os.PathLike, limit: int | None = None) -> VectorData:
    """Read the C tool's binary format ("V D\\n", then word, space, D little-endian float32, "\\n").

    The trailing newline after each vector is optional (gensim omits it). A Numba kernel finds the
    record boundaries, then the rows are gathered in one go and the words decoded together; only
    when something is wrong does `_raise_binary_error` walk the records to name the first problem.
    """
    limit = _check_limit(limit)
    with _open_plain(path) as handle:
        content = _Content(handle, path)
        newline = np.flatnonzero(content.data[:256] == 10)
        if newline.size == 0:
            if content.error:
                raise VectorFileError(f"{path}: byte offset {content.data.size}: cannot read ({content.error})")
            if content.data.size == 0:
                raise VectorFileError(f"{path}: empty file")
            raise VectorFileError(f"{path}: byte offset 0: missing header line 'V D'")
        header_end = int(newline[0]) + 1
        header = _parse_header(content.data[:header_end].tobytes())
        if header is None:
            raise VectorFileError(f"{path}: byte offset 0: malformed header (expected 'V D')")
        n_words, dim = header
        if dim < 1:
            raise VectorFileError(f"{path}: byte offset 0: vector size must be at least 1, got {dim}")
        wanted = n_words if limit is None else min(n_words, limit)
        check_trailing = limit is None or limit >= n_words  # then the whole file is read
        if check_trailing:
            content.more(everything=True)
        while True:
            spans, count, status, at = _kernel(_scan_records)(
                content.data, header_end, wanted, 4 * dim, _MAX_WORD_BYTES, check_trailing
            )
            if (status == _SCAN_OK and not check_trailing) or not content.more():
                break
    data = content.data
    if content.error and (status != _SCAN_OK or check_trailing):
        status, at = _UNREADABLE, data.size  # what went wrong after the break is the stream's fault
    rows, joined = _kernel(_gather_records)(data, spans, count, 4 * dim)
    vectors = rows.view("<f4").astype(np.float32, copy=False)
    try:
        words = joined.tobytes().decode("utf-8").split(" ")[:-1]
    except UnicodeDecodeError:
        words = None
    if status != _SCAN_OK or words is None or len(set(words)) != count or not np.isfinite(vectors).all():
        _raise_binary_error(path, data, spans, count, vectors, status, at, n_words, content.error)
    return VectorData(vectors, words)


def _raise_binary_error(path, data, spans, count, vectors, status, at, n_words, read_error) -> None:
    """Name the first problem in file order, checking each record as a sequential reader would."""
    seen: dict[str, int] = {}
    for i in range(count + (status == _SCAN_TRUNCATED)):
        start, end = int(spans[i, 0]), int(spans[i, 1])
        try:
            word = data[start:end].tobytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VectorFileError(f"{path}: byte offset {start + exc.start}: invalid UTF-8 in word") from None
        if i == count:
            raise VectorFileError(
                f"{path}: byte offset {at}: truncated vector for word {word!r} "
                f"(needs {vectors.shape[1] * 4} bytes, {data.size - at} left)"
            )
        _check_finite_row(vectors[i], word, f"{path}: byte offset {end + 1}")
        if word in seen:
            raise VectorFileError(
                f"{path}: byte offset {start}: duplicate word {word!r} (first at offset {seen[word]})"
            )
        seen[word] = start
    problem = {
        _SCAN_ENDS: f"file ends after {count} of the {n_words} words its header announces (truncated?)",
        _SCAN_NO_SPACE: "no word followed by a space",
        _SCAN_EMPTY_WORD: "empty word",
        _SCAN_TRAILING: f"unexpected data after the {n_words} words of the header",
        _UNREADABLE: f"cannot read ({read_error})",
    }[status]
    raise VectorFileError(f"{path}: byte offset {at}: {problem}")


def write_word2vec_binary(path: str | os.PathLike, vectors: np.ndarray, words: Sequence[str]) -> None:
    """Write the C tool's binary format, with a newline after each vector like the C tool."""
    vectors = _checked_for_writing(vectors, words)
    little = vectors.astype("<f4", copy=False)
    with atomic_write(path, "wb") as out:
        out.write(f"{vectors.shape[0]} {vectors.shape[1]}\n".encode("ascii"))
        parts: list[bytes] = []
        for i, word in enumerate(words):
            parts.append(word.encode("utf-8") + b" " + little[i].tobytes() + b"\n")
            if len(parts) >= 4096:
                out.write(b"".join(parts))
                parts.clear()
        out.write(b"".join(parts))


# ----------------------------------------------------------------------------------------------
# native .npz


def write_native(
    path: str | os.PathLike,
    vectors: np.ndarray,
    words: Sequence[str],
    counts: np.ndarray | None,
    metadata: dict[str, Any],
    version: str,
) -> None:
    """Write an uncompressed .npz: vectors, words (UTF-8 JSON bytes), counts, JSON header/metadata."""
    _check_all_finite(vectors, words, "cannot write")
    header = {
        "format": NATIVE_FORMAT_NAME,
        "format_version": NATIVE_FORMAT_VERSION,
        "wordvec_version": version,
        "has_counts": counts is not None,
        "metadata": metadata,
    }
    try:
        header_bytes = json.dumps(header, ensure_ascii=False, allow_nan=False, default=_json_default).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise VectorFileError(f"cannot write metadata: not JSON-safe ({_one_line(exc)})") from None
    arrays = {
        "vectors": np.ascontiguousarray(vectors, dtype=np.float32),
        "words": _json_bytes(list(words)),
        "header": np.frombuffer(header_bytes, dtype=np.uint8),
    }
    if counts is not None:
        arrays["counts"] = np.asarray(counts, dtype=np.int64)
    with atomic_write(path, "wb") as out:
        np.savez(out, **arrays)


def _json_default(obj: Any) -> Any:
    """Let NumPy scalars and arrays in metadata through as plain JSON numbers and lists."""
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def _json_bytes(obj: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def read_native(path: str | os.PathLike, limit: int | None = None) -> VectorData:
    """Read a file written by `write_native`, checking every array's header against its real size."""
    limit = _check_limit(limit)
    file_size = _file_size(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            for name in ("vectors.npy", "words.npy", "header.npy"):
                if name not in members:
                    raise VectorFileError(f"{path}: not a wordvec native file (no {name[:-4]!r} array)")
            arrays = {
                name[:-4]: _read_npy_member(archive, info, path, file_size)
                for name, info in members.items()
                if name in ("vectors.npy", "words.npy", "header.npy", "counts.npy")
            }
    except VectorFileError:
        raise
    except FileNotFoundError:
        raise VectorFileError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as exc:
        raise VectorFileError(f"{path}: not a readable wordvec native (.npz) file ({_one_line(exc)})") from None
    header = _decode_json_array(arrays["header"], path, "header")
    if not isinstance(header, dict) or header.get("format") != NATIVE_FORMAT_NAME:
        raise VectorFileError(f"{path}: not a wordvec native file (bad header)")
    if header.get("format_version") != NATIVE_FORMAT_VERSION:
        raise VectorFileError(f"{path}: unsupported native format version {header.get('format_version')!r}")
    metadata = header.get("metadata", {})
    if not isinstance(metadata, dict):
        raise VectorFileError(f"{path}: metadata must be a JSON object")
    words = _decode_json_array(arrays["words"], path, "words")
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise VectorFileError(f"{path}: 'words' must be a JSON list of strings")
    vectors = arrays["vectors"]
    if vectors.ndim != 2 or vectors.dtype.kind != "f":
        raise VectorFileError(f"{path}: 'vectors' must be a 2-D float array, got {vectors.dtype} {vectors.shape}")
    if vectors.shape[0] != len(words):
        raise VectorFileError(f"{path}: {vectors.shape[0]} vectors but {len(words)} words")
    if len(set(words)) != len(words):
        dup = _first_duplicate(words)
        raise VectorFileError(f"{path}: duplicate word {dup!r}")
    vectors = vectors.astype(np.float32, copy=False)
    _check_all_finite(vectors, words, f"{path}")
    counts = arrays.get("counts")
    if counts is not None:
        if counts.ndim != 1 or counts.dtype.kind not in "iu" or counts.shape[0] != len(words):
            raise VectorFileError(f"{path}: 'counts' must be {len(words)} integers")
        counts = counts.astype(np.int64)
    if limit is not None:
        words = words[:limit]
        vectors = vectors[:limit]
        counts = None if counts is None else counts[:limit]
    return VectorData(np.ascontiguousarray(vectors), words, counts, metadata)


def _file_size(path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        raise VectorFileError(f"{path}: no such file") from None


def _first_duplicate(words: Iterable[str]) -> str:
    seen: set[str] = set()
    for word in words:
        if word in seen:
            return word
        seen.add(word)
    return ""


def _decode_json_array(array: np.ndarray, path, name: str) -> Any:
    if array.dtype != np.uint8 or array.ndim != 1:
        raise VectorFileError(f"{path}: {name!r} must be UTF-8 JSON bytes")
    try:
        return json.loads(array.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VectorFileError(f"{path}: {name!r} is not valid UTF-8 JSON ({_one_line(exc)})") from None


def _read_npy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path, file_size: int) -> np.ndarray:
    """Read one .npy member without trusting its header for allocation (no pickles, no object arrays)."""
    if info.compress_type == zipfile.ZIP_STORED:
        if info.file_size > file_size:
            raise VectorFileError(f"{path}: member {info.filename} claims more bytes than the file holds")
    elif info.file_size > _MAX_DEFLATE_RATIO * max(info.compress_size, 1) + 4096:
        raise VectorFileError(f"{path}: member {info.filename} has an implausible compression ratio")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise VectorFileError(f"{path}: member {info.filename}: unsupported .npy version {version}")
        if dtype.hasobject or dtype.kind not in "fiub" or dtype.fields is not None or dtype.subdtype is not None:
            raise VectorFileError(f"{path}: member {info.filename}: unsupported dtype {dtype}")
        count = 1
        for extent in shape:
            count *= int(extent)
        nbytes = count * dtype.itemsize
        header_len = member.tell()
        if nbytes != info.file_size - header_len:
            raise VectorFileError(
                f"{path}: member {info.filename}: header says {nbytes} bytes of data, member holds "
                f"{info.file_size - header_len}"
            )
        data = member.read(nbytes)
        if len(data) != nbytes:
            raise VectorFileError(f"{path}: member {info.filename} is truncated")
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C")
