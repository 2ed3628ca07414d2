"""Vector file formats: word2vec text, word2vec binary (the C tool's) and the native .npz.

Readers return plain pieces (`VectorData`) so this module does not depend on `KeyedVectors`.
Every reader is defensive: malformed or truncated input raises `VectorFileError` naming the line
(text) or byte offset (binary); a header never drives an allocation larger than the data actually
read; NaN/Inf values and duplicate words are refused. Nothing is ever pickled.
"""

from __future__ import annotations

import gzip
import io
import json
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


class _ByteReader:
    """Sequential reader over a byte stream that tracks absolute offsets and grows only as it reads."""

    def __init__(self, handle: IO[bytes], path):
        self.handle = handle
        self.path = path
        self.buffer = bytearray()
        self.pos = 0  # index into buffer
        self.base = 0  # absolute offset of buffer[0]
        self.eof = False

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def available(self) -> int:
        return len(self.buffer) - self.pos

    def fill(self, needed: int) -> bool:
        """Make `needed` bytes available if the stream has them; False at end of data."""
        while self.available() < needed and not self.eof:
            try:
                chunk = self.handle.read(_CHUNK)
            except (OSError, EOFError, zlib.error) as exc:
                raise VectorFileError(
                    f"{self.path}: byte offset {self.offset}: cannot read ({_one_line(exc)})"
                ) from None
            if not chunk:
                self.eof = True
                break
            if self.pos:
                del self.buffer[: self.pos]
                self.base += self.pos
                self.pos = 0
            self.buffer += chunk
        return self.available() >= needed

    def find(self, byte: bytes, max_len: int) -> int:
        """Index (relative to the current position) of `byte` within `max_len` bytes, or -1."""
        searched = 0
        while True:
            idx = self.buffer.find(byte, self.pos + searched, self.pos + max_len)
            if idx >= 0:
                return idx - self.pos
            searched = self.available()
            if searched >= max_len or not self.fill(self.available() + 1):
                return -1

    def take(self, n: int) -> bytes:
        data = bytes(self.buffer[self.pos: self.pos + n])  # a copy: the buffer must stay resizable
        self.pos += n
        return data


def read_word2vec_binary(path: str | os.PathLike, limit: int | None = None) -> VectorData:
    """Read the C tool's binary format ("V D\\n", then word, space, D little-endian float32, "\\n").

    The trailing newline after each vector is optional (gensim omits it).
    """
    limit = _check_limit(limit)
    with _open_binary(path) as handle:
        reader = _ByteReader(handle, path)
        newline = reader.find(b"\n", 256)
        if newline < 0:
            if reader.available() == 0:
                raise VectorFileError(f"{path}: empty file")
            raise VectorFileError(f"{path}: byte offset 0: missing header line 'V D'")
        header = _parse_header(reader.take(newline + 1))
        if header is None:
            raise VectorFileError(f"{path}: byte offset 0: malformed header (expected 'V D')")
        n_words, dim = header
        if dim < 1:
            raise VectorFileError(f"{path}: byte offset 0: vector size must be at least 1, got {dim}")
        wanted = n_words if limit is None else min(n_words, limit)
        row_bytes = 4 * dim
        # never trust the header for memory: allocate only once a row has really arrived, then
        # grow by doubling, so the matrix never exceeds twice the data actually read
        vectors = np.zeros((0, dim), dtype=np.float32)
        words: list[str] = []
        seen: dict[str, int] = {}
        while len(words) < wanted:
            start = reader.offset
            space = reader.find(b" ", _MAX_WORD_BYTES)
            if space < 0:
                if reader.available() == 0:
                    raise VectorFileError(
                        f"{path}: byte offset {start}: file ends after {len(words)} of the {n_words} words "
                        "its header announces (truncated?)"
                    )
                raise VectorFileError(f"{path}: byte offset {start}: no word followed by a space")
            raw_word = reader.take(space)
            reader.take(1)
            stripped = raw_word.lstrip(b"\n")
            word_offset = start + len(raw_word) - len(stripped)
            if not stripped:
                raise VectorFileError(f"{path}: byte offset {word_offset}: empty word")
            try:
                word = stripped.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise VectorFileError(
                    f"{path}: byte offset {word_offset + exc.start}: invalid UTF-8 in word"
                ) from None
            if not reader.fill(row_bytes):
                raise VectorFileError(
                    f"{path}: byte offset {reader.offset}: truncated vector for word {word!r} "
                    f"(needs {row_bytes} bytes, {reader.available()} left)"
                )
            values_offset = reader.offset
            row = np.frombuffer(reader.take(row_bytes), dtype="<f4")
            if not np.isfinite(row).all():
                _check_finite_row(row, word, f"{path}: byte offset {values_offset}")
            if word in seen:
                raise VectorFileError(
                    f"{path}: byte offset {word_offset}: duplicate word {word!r} (first at offset {seen[word]})"
                )
            seen[word] = word_offset
            if len(words) == vectors.shape[0]:
                rows = max(2 * vectors.shape[0], (1 << 22) // row_bytes, 1)
                grown = np.empty((min(wanted, rows), dim), dtype=np.float32)
                grown[: len(words)] = vectors
                vectors = grown
            vectors[len(words)] = row
            words.append(word)
            if reader.fill(1) and reader.buffer[reader.pos] == 0x0A:
                reader.take(1)
        if limit is None or limit >= n_words:
            while reader.fill(1):
                trailing = reader.take(reader.available())
                if trailing.strip():
                    at = reader.offset - len(trailing) + (len(trailing) - len(trailing.lstrip()))
                    raise VectorFileError(
                        f"{path}: byte offset {at}: unexpected data after the {n_words} words of the header"
                    )
    return VectorData(vectors[: len(words)].copy() if vectors.shape[0] != len(words) else vectors, words)


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
