"""Vector file formats: word2vec text, word2vec binary (the C tool's) and the native .npz.

Readers return plain pieces (`VectorData`) so this module does not depend on `KeyedVectors`.
Every reader is defensive: malformed or truncated input raises `VectorFileError` naming the line
(text) or byte offset (binary); memory grows only with the data actually read, and each read is
bounded by what the header and the format allow (a text line by the header's vector size, a binary
record by `MAX_WORD_BYTES` + 4 * D, a compressed stream by the header's words x record size, a
native member by the file's own size); NaN/Inf values and duplicate words are refused; only regular
files are read (never a device, FIFO or directory). Nothing is ever pickled.

One rule decides a path's format (`format_for_path`) and one rule decides which words a format can
hold (`check_savable`); the writers apply both, so every file written is one the readers accept.
"""

from __future__ import annotations

import bz2
import contextlib
import functools
import gzip
import io
import json
import lzma
import math
import mmap
import os
import re
import stat
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Sequence

import numpy as np

from wordvec import facebook
from wordvec.config import VECTOR_FORMATS
from wordvec.errors import VectorFileError
from wordvec.fileio import atomic_write, write_npz

FORMATS = VECTOR_FORMATS  # fasttext: Facebook's .bin model (wordvec.facebook)
COMPRESSIONS = ("gz", "bz2", "xz")
NATIVE_FORMAT_NAME = "wordvec.keyedvectors"
NATIVE_FORMAT_VERSION = 1

MAX_WORD_BYTES = (1 << 16) - 1
"""Longest word (UTF-8 bytes) in the word2vec formats: a longer one means a corrupt file."""
MAX_VECTOR_SIZE = 1 << 20
"""Largest vector size D the word2vec formats read or write (bounds a text line and a binary record)."""
_MAX_WORD_BYTES = MAX_WORD_BYTES  # the name the binary scanner's tests use

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_CHUNK = 1 << 20
_VALUE_BYTES = 64  # most bytes one text value may take with its separator ("%lf" of FLT_MAX is 47)
_LINE_SLACK = 256  # trailing spaces, "\r\n"
_LONG_LINE = 1 << 20  # text rows longer than this are parsed in pieces (bounded memory per value)
_TRAILING_SLACK = 1 << 16  # extra newlines/whitespace a compressed binary stream may hold
_SNIFF_BYTES = (1 << 17) + 4096
_MAX_JSON_DEPTH = 64
_MAX_EXTRA_BLANK_LINES = 1024  # blank lines a text file may hold beyond one per row
_WHITESPACE = re.compile(r"\s")  # exactly str.isspace / str.split's whitespace
_STREAM_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)
_SUFFIX_COMPRESSION = {".gz": "gz", ".bz2": "bz2", ".xz": "xz"}
_AUTO = "auto"


@dataclass
class VectorData:
    """What a reader found: float32 (V, D) rows, their words, and optional counts/metadata."""

    vectors: np.ndarray
    words: list[str]
    counts: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: a subword model's n-gram part: ngram_vectors (U, D) float32, ngram_buckets (U,) int64 sorted
    #: (None: all buckets, in order), minn, maxn, bucket, and optionally word_rows (V, D)
    subwords: dict[str, Any] | None = None


# ----------------------------------------------------------------------------------------------
# format selection: one rule for save, load and the CLI


def _check_path(path: Any) -> None:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")


def format_for_path(path: str | os.PathLike) -> tuple[str, str | None]:
    """(format, compression) that a path's name asks for; the one rule save, load and the CLI use.

    A final `.gz`/`.bz2`/`.xz` is the compression ("gz", "bz2", "xz", else None); the extension
    before it picks the format: `.txt`/`.vec` -> "text", `.bin` -> "binary", anything else ->
    "native". So `x.txt.gz` is gzip-compressed word2vec text and `x.bin.xz` xz-compressed binary.
    A compressed native name (`x.npz.gz`, `x.gz`) is returned as ("native", "gz"); writers refuse
    it (`check_savable`), since native files must stay seekable zip archives.
    """
    _check_path(path)
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = _SUFFIX_COMPRESSION.get(suffixes[-1]) if suffixes else None
    if compression is not None:
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".txt", ".vec"):
        return "text", compression
    if ext == ".bin":
        return "binary", compression
    return "native", compression


def format_from_extension(path: str | os.PathLike) -> str:
    """The format part of `format_for_path`: `.txt`/`.vec` -> text, `.bin` -> binary, else native."""
    return format_for_path(path)[0]


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise VectorFileError(f"unknown vector file format {fmt!r} (expected one of {', '.join(FORMATS)})")
    return fmt


def _check_compression(compression: str | None) -> str | None:
    if compression is not None and compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {', '.join(COMPRESSIONS)} or None, got {compression!r}")
    return compression


def output_format(path: str | os.PathLike, fmt: str | None = None) -> tuple[str, str | None]:
    """(format, compression) a save to `path` uses: `fmt` if given, else the name's; compression
    always from the name. Raises VectorFileError for an unknown format or a compressed native file."""
    name_fmt, compression = format_for_path(path)
    fmt = _check_format(fmt) if fmt is not None else name_fmt
    if fmt == "fasttext" and compression is not None:
        raise VectorFileError(f"{path}: fastText .bin models are written uncompressed (fastText reads no other)")
    if fmt == "native" and compression is not None:
        raise VectorFileError(
            f"{path}: cannot write a {compression}-compressed native file (native files are uncompressed "
            f".npz archives); name it .npz, or .txt.{compression} / .bin.{compression} for compressed "
            "word2vec text / binary"
        )
    return fmt, compression


def _show(word: str) -> str:
    """A word for a one-line message: repr, cut to 40 characters."""
    return repr(word) if len(word) <= 40 else repr(word[:40]) + f"... ({len(word)} characters)"


def _one_line(exc: BaseException) -> str:
    """A library's error text squeezed onto one line (messages must stay one line)."""
    return " ".join(str(exc).split())[:200]


def _char_name(ch: str) -> str:
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return f"U+{ord(ch):04X}, a lone surrogate"
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'control character')}"


def check_savable(words: Iterable[str], path_or_format: str | os.PathLike) -> None:
    """Raise VectorFileError naming the first word the format chosen for `path_or_format` cannot hold.

    `path_or_format` is a format name ("text", "binary", "native") or an output path (its format
    and compression by `format_for_path`; a compressed native name is refused here too). Call it
    before expensive work (the CLI calls it after reading the corpus, before training); `save`
    calls the same function, so what it accepts is exactly what the writers write and the readers
    read back. Every format needs distinct words that are valid Unicode text (encodable as UTF-8);
    word2vec text and binary also need non-empty words of at most `MAX_WORD_BYTES` UTF-8 bytes with
    no whitespace as `str.split` sees it (any Unicode whitespace: those formats separate by it).
    """
    if isinstance(path_or_format, str) and path_or_format in FORMATS:
        fmt = path_or_format
    else:
        fmt, _ = output_format(path_or_format)
    _check_words(words, fmt)


def _check_words(words: Iterable[str], fmt: str) -> None:
    if isinstance(words, (str, bytes)):
        raise TypeError("words must be an iterable of strings, not a single string")
    word2vec = fmt != "native"
    seen: set[str] = set()
    for number, word in enumerate(words, start=1):
        if not isinstance(word, str):
            raise TypeError(f"word {number} is a {type(word).__name__}, not a str")
        where = f"cannot save word {number} {_show(word)} in the {fmt} format"
        try:
            size = len(word.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise VectorFileError(
                f"{where}: not valid Unicode text ({_char_name(word[exc.start])} at character {exc.start + 1})"
            ) from None
        if word in seen:
            raise VectorFileError(f"{where}: duplicate word")
        seen.add(word)
        if not word2vec:
            continue
        if not word:
            raise VectorFileError(f"{where}: word2vec files cannot hold an empty word (use the native format)")
        space = _WHITESPACE.search(word)
        if space is not None:
            raise VectorFileError(
                f"{where}: it contains whitespace ({_char_name(space.group())} at character {space.start() + 1}), "
                "which separates words in word2vec files (use the native format)"
            )
        if size > MAX_WORD_BYTES:
            raise VectorFileError(
                f"{where}: it is {size} bytes in UTF-8; word2vec files hold words of at most "
                f"{MAX_WORD_BYTES} bytes (use the native format)"
            )
        if fmt == "fasttext" and "\0" in word:
            raise VectorFileError(f"{where}: fastText models end each word with a NUL byte (use the native format)")


# ----------------------------------------------------------------------------------------------
# opening: regular files only, compression from the content


def _compression_of(head: bytes) -> str | None:
    if head[:2] == b"\x1f\x8b":
        return "gz"
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    return None


def _open_regular(path: str | os.PathLike) -> io.BufferedReader:
    """Open a regular file for binary reading (a symlink is followed, then its target checked).

    Device nodes, FIFOs, sockets and directories are refused without blocking: the file is opened
    non-blocking and checked with fstat before any read. Errors become one-line VectorFileErrors.
    """
    _check_path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise VectorFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise VectorFileError(f"{path}: is a directory, not a vector file") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _one_line(exc)
        raise VectorFileError(f"{path}: cannot open ({reason})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
                    if stat.S_ISSOCK(mode) else "not a regular file")
            raise VectorFileError(f"{path}: is {kind}, not a regular vector file")
        if getattr(os, "O_NONBLOCK", 0) and hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@dataclass
class _Source:
    raw: io.BufferedReader
    stream: IO[bytes]  # decompressed view (the raw file itself when not compressed)
    compression: str | None


@contextlib.contextmanager
def _reading(path: str | os.PathLike) -> Iterator[_Source]:
    """A regular file opened for reading, decompressed (gz, bz2, xz by their magic bytes) on the fly."""
    raw = _open_regular(path)
    try:
        try:
            compression = _compression_of(raw.peek(10)[:10])
        except OSError as exc:
            raise VectorFileError(f"{path}: cannot read ({_one_line(exc)})") from None
        if compression == "gz":
            stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        elif compression == "bz2":
            stream = bz2.BZ2File(raw, "rb")  # type: ignore[assignment]
        elif compression == "xz":
            stream = lzma.LZMAFile(raw, "rb")  # type: ignore[assignment]
        else:
            stream = raw
        try:
            yield _Source(raw, stream, compression)
        finally:
            if stream is not raw:
                with contextlib.suppress(*_STREAM_ERRORS):
                    stream.close()
    finally:
        raw.close()


def _read_some(stream: IO[bytes], size: int, path) -> bytes:
    parts, got = [], 0
    try:
        while got < size:
            chunk = stream.read(size - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except _STREAM_ERRORS as exc:  # corrupt compressed stream
        if not parts:
            raise VectorFileError(f"{path}: cannot read ({_one_line(exc)})") from None
    return b"".join(parts)


def sniff_format(path: str | os.PathLike) -> str | None:
    """Guess the format from the first bytes: 'native', 'text', 'binary', or None if ambiguous.

    Compressed files are judged by their decompressed start. When the first row reads both as a
    text row and as a binary record (its 4*D bytes are all digits and spaces, followed by a
    newline), the answer is None and the caller falls back to the file's extension.
    """
    with _reading(path) as source:
        head = _read_some(source.stream, _SNIFF_BYTES, path)
    if head[:4] in _ZIP_MAGICS:
        return "native"
    if facebook.is_fasttext_bin(head):
        return "fasttext"
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
    if dim < 1 or dim > MAX_VECTOR_SIZE:
        return None
    line_end = rest.find(b"\n", space)
    if line_end < 0:  # a very long first row: judge by the characters available
        payload = rest[space + 1: space + 1 + 4 * dim]
        return ("text" if _looks_textual(payload) else "binary") if payload else None
    payload = rest[space + 1: line_end]
    if _looks_textual(payload) and len(payload.split()) == dim:
        after = space + 1 + 4 * dim
        if after >= len(rest) or rest[after: after + 1] == b"\n":
            return None  # a binary record would fit exactly too
        return "text"
    return "binary"


_TEXT_ROW_CHARS = frozenset(b"0123456789+-.eE_ \t\r\ninfatyINFATY")


def _looks_textual(data: bytes) -> bool:
    return all(byte in _TEXT_ROW_CHARS for byte in data)


def _parse_header(line: bytes) -> tuple[int, int] | None:
    """Return (V, D) if `line` is a word2vec header "V D", else None."""
    if len(line) > 64:  # never split a long line just to find it is no header
        return None
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def _check_dim(dim: int, where: str) -> None:
    if dim < 1:
        raise VectorFileError(f"{where}: vector size must be at least 1, got {dim}")
    if dim > MAX_VECTOR_SIZE:
        raise VectorFileError(f"{where}: vector size {dim} exceeds the word2vec limit of {MAX_VECTOR_SIZE}")


def resolve_format(path: str | os.PathLike, fmt: str | None) -> str:
    """The format to read `path` with: `fmt` if given, else the content's, else the extension's."""
    if fmt is not None:
        return _check_format(fmt)
    return sniff_format(path) or format_from_extension(path)


def load_vectors(path: str | os.PathLike, fmt: str | None = None, limit: int | None = None,
                 mmap: str | None = None) -> VectorData:
    """Read any supported format (sniffed when `fmt` is None), keeping at most `limit` words.

    Plain, .gz, .bz2 and .xz files are read alike (compression is recognised by the content).
    `mmap="r"` maps the vectors of a native file (and the matrix of a Facebook .bin, which is
    always mapped) instead of reading them; the word2vec formats are parsed, so it does not apply.
    """
    _check_path(path)
    limit = _check_limit(limit)
    fmt = resolve_format(path, fmt)
    if mmap is not None and fmt in ("text", "binary"):
        raise ValueError(f"mmap='r' applies to native (.npz) files, not to word2vec {fmt} files")
    if fmt == "native":
        return read_native(path, limit=limit, mmap=mmap)
    if fmt == "fasttext":
        return facebook.read_model(path, limit=limit)
    if fmt == "binary":
        return read_word2vec_binary(path, limit=limit)
    return read_word2vec_text(path, limit=limit)


def save_vectors(
    path: str | os.PathLike,
    vectors: np.ndarray,
    words: Sequence[str],
    counts: np.ndarray | None = None,
    metadata: dict[str, Any] | None = None,
    fmt: str | None = None,
    version: str = "",
    subwords: dict[str, Any] | None = None,
) -> None:
    """Write `path` in `fmt` (default: `format_for_path`), compressed as its name says.

    The words are checked with `check_savable` first; the write is atomic (the old file stays
    whole on any error). Counts, metadata and a subword model's n-gram rows (`VectorData.subwords`)
    are kept by the native format only; text and binary hold the vocabulary's vectors.
    """
    fmt, compression = output_format(path, fmt)
    if fmt == "text":  # each writer checks the words (check_savable's rule) and the vectors
        write_word2vec_text(path, vectors, words, compression=compression)
    elif fmt == "binary":
        write_word2vec_binary(path, vectors, words, compression=compression)
    elif fmt == "fasttext":
        facebook.write_model(path, words, counts, metadata or {}, vectors, subwords)
    else:
        write_native(path, vectors, words, counts, metadata or {}, version, subwords=subwords)


def _check_limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0:
        raise ValueError(f"limit must be a non-negative integer or None, got {limit!r}")
    return int(limit)


@contextlib.contextmanager
def _writing(path: str | os.PathLike, compression: str | None) -> Iterator[IO[bytes]]:
    """An atomic output stream, compressed as asked ("gz", "bz2", "xz" or None)."""
    with atomic_write(path, "wb") as raw:
        if compression is None:
            yield raw
        elif compression == "gz":
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out:
                yield out  # type: ignore[misc]
        elif compression == "bz2":
            with bz2.BZ2File(raw, "wb") as out:
                yield out  # type: ignore[misc]
        else:
            with lzma.LZMAFile(raw, "wb") as out:
                yield out  # type: ignore[misc]


def _write_compression(path, compression: str | None) -> str | None:
    if compression == _AUTO:
        return format_for_path(path)[1]
    return _check_compression(compression)


def _checked_vectors(vectors: np.ndarray, words: Sequence[str], fmt: str) -> np.ndarray:
    """`vectors` as float32 (V, D) matching `words`, finite, and of a size `fmt` can hold; the
    words checked first by `check_savable`'s rule for `fmt`."""
    _check_words(words, fmt)
    array = np.asarray(vectors)
    if array.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array, got shape {array.shape}")
    if array.shape[0] != len(words):
        raise ValueError(f"{array.shape[0]} vectors but {len(words)} words")
    with np.errstate(over="ignore", invalid="ignore"):
        array = np.asarray(array, dtype=np.float32)
    _check_all_finite(array, words, "cannot write")
    if fmt != "native":
        dim = array.shape[1]
        if dim < 1:
            raise VectorFileError("cannot write vectors of size 0 in word2vec format (use the native format)")
        if dim > MAX_VECTOR_SIZE:
            raise VectorFileError(
                f"cannot write vectors of size {dim} in word2vec format (at most {MAX_VECTOR_SIZE}; use the native format)"
            )
    return array


# ----------------------------------------------------------------------------------------------
# word2vec text


def _line_cap(dim: int | None) -> int:
    """Most bytes a row of `dim` values (MAX_VECTOR_SIZE if unknown) can take, newline included."""
    return MAX_WORD_BYTES + 1 + _VALUE_BYTES * (dim if dim is not None else MAX_VECTOR_SIZE) + _LINE_SLACK


def read_word2vec_text(path: str | os.PathLike, limit: int | None = None) -> VectorData:
    """Read "V D" then "word v1 ... vD" lines; a file without the header line (GloVe) also works.

    Lines are read with a cap derived from D (`_line_cap`), so one endless line never fills
    memory; long rows are converted piecewise. Plain, .gz, .bz2 and .xz files are read alike.
    """
    limit = _check_limit(limit)
    rows: list[np.ndarray] = []
    words: list[str] = []
    seen: dict[str, int] = {}
    expected_words: int | None = None
    dim: int | None = None
    cap = _line_cap(None)
    line_no = blank = 0
    with _reading(path) as source:
        handle = source.stream
        try:
            while True:
                if limit is not None and len(words) >= limit and line_no > 0:
                    break
                raw = handle.readline(cap + 1)
                if not raw:
                    break
                line_no += 1
                if len(raw) > cap:
                    size = f"{dim} values" if dim is not None else f"the largest vector size ({MAX_VECTOR_SIZE})"
                    raise VectorFileError(
                        f"{path}: line {line_no}: longer than a row of {size} can be ({cap} bytes)"
                    )
                if line_no == 1:
                    header = _parse_header(raw)
                    if header is not None:
                        expected_words, dim = header
                        _check_dim(dim, f"{path}: line 1")
                        cap = _line_cap(dim)
                        continue
                    if not raw.strip():
                        raise VectorFileError(f"{path}: line 1: expected a header 'V D' or a vector row")
                if limit is not None and len(words) >= limit:
                    break
                if not raw.strip():  # blank lines carry nothing, but an endless run of them is no file
                    blank += 1
                    if blank > len(words) + _MAX_EXTRA_BLANK_LINES:
                        raise VectorFileError(
                            f"{path}: line {line_no}: {blank} blank lines for {len(words)} rows (not a vector file?)"
                        )
                    continue
                if expected_words is not None and len(words) >= expected_words:
                    raise VectorFileError(
                        f"{path}: line {line_no}: more rows than the {expected_words} the header announces"
                    )
                word, values = _parse_text_row(raw, dim, path, line_no)
                if dim is None:
                    dim = len(values)
                    cap = _line_cap(dim)
                if word in seen:
                    raise VectorFileError(
                        f"{path}: line {line_no}: duplicate word {_show(word)} (first on line {seen[word]})"
                    )
                seen[word] = line_no
                words.append(word)
                rows.append(values)
        except _STREAM_ERRORS as exc:  # corrupt compressed stream
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
    where = f"{path}: line {line_no}"
    most = dim if dim is not None else MAX_VECTOR_SIZE
    if len(rest) <= _LONG_LINE:
        tokens = rest.split()
        if dim is not None and len(tokens) != dim:
            raise VectorFileError(f"{where}: word {_show(word)} has {len(tokens)} values, expected {dim}")
        if len(tokens) > most:
            raise VectorFileError(f"{where}: word {_show(word)} has more than {most} values")
        values = _to_float32(tokens, word, where, 0)
    else:  # a long row: convert it a piece at a time, never more than `most` values
        pieces, count, pos = [], 0, 0
        while pos < len(rest):
            end = pos + _LONG_LINE
            if end < len(rest):
                cut = _WHITESPACE.search(rest, end)
                end = cut.start() if cut else len(rest)
            else:
                end = len(rest)
            tokens = rest[pos:end].split()
            if count + len(tokens) > most:
                expected = f", expected {dim}" if dim is not None else ""
                raise VectorFileError(f"{where}: word {_show(word)} has more than {most} values{expected}")
            pieces.append(_to_float32(tokens, word, where, count))
            count += len(tokens)
            pos = end
        if dim is not None and count != dim:
            raise VectorFileError(f"{where}: word {_show(word)} has {count} values, expected {dim}")
        values = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    if values.size == 0:
        raise VectorFileError(f"{where}: word {_show(word)} has no values")
    _check_finite_row(values, word, where)
    return word, values


def _to_float32(tokens: list[str], word: str, where: str, before: int) -> np.ndarray:
    """float32 values of `tokens` (value numbers in messages count from `before` + 1)."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return np.array(tokens, dtype=np.float32)
    except (ValueError, OverflowError):
        for column, token in enumerate(tokens, start=before + 1):
            try:
                float(token)
            except ValueError:
                raise VectorFileError(
                    f"{where}: value {column} of word {_show(word)} is not a number: {token[:40]!r}"
                ) from None
        raise VectorFileError(f"{where}: word {_show(word)} has unreadable values") from None


def _check_finite_row(values: np.ndarray, word: str, where: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise VectorFileError(
            f"{where}: word {_show(word)} has a non-finite value ({values[bad[0]]}) at position {int(bad[0]) + 1}"
        )


def write_word2vec_text(
    path: str | os.PathLike, vectors: np.ndarray, words: Sequence[str], compression: str | None = _AUTO
) -> None:
    """Write the word2vec text format; '%.9g' keeps every float32 bit on reading back.

    `compression` "gz"/"bz2"/"xz"/None; the default ("auto") follows the name (`format_for_path`).
    The words must pass `check_savable` for "text"; the write is atomic.
    """
    compression = _write_compression(path, compression)
    words = list(words)
    vectors = _checked_vectors(vectors, words, "text")
    row_format = " ".join(["%.9g"] * vectors.shape[1])
    with _writing(path, compression) as out:
        out.write(f"{vectors.shape[0]} {vectors.shape[1]}\n".encode("ascii"))
        lines = []
        for word, row in zip(words, vectors.tolist()):
            lines.append(f"{word} {row_format % tuple(row)}\n")
            if len(lines) >= 4096:
                out.write("".join(lines).encode("utf-8"))
                lines.clear()
        out.write("".join(lines).encode("utf-8"))


def _check_all_finite(vectors: np.ndarray, words: Sequence[str], what: str) -> None:
    """VectorFileError naming the first word with a NaN/Inf value; checked in blocks of rows, so a
    big (or memory-mapped) matrix never needs a mask of its own size."""
    step = max(1, (1 << 24) // max(1, vectors.shape[1]))
    for start in range(0, len(vectors), step):
        finite = np.isfinite(vectors[start:start + step])
        if not finite.all():
            row, col = (int(i[0]) for i in np.nonzero(~finite))
            row += start
            raise VectorFileError(
                f"{what}: word {_show(words[row])} has a non-finite value ({vectors[row, col]}) at position {col + 1}"
            )


# ----------------------------------------------------------------------------------------------
# word2vec binary


# Status codes of `_scan_records`: where the walk stopped and why.
_SCAN_OK, _SCAN_ENDS, _SCAN_NO_SPACE, _SCAN_EMPTY_WORD, _SCAN_TRUNCATED, _SCAN_TRAILING, _SCAN_CUT = range(7)
_UNREADABLE = 7  # not the kernel's: a compressed stream broke off before the data the reader needed
_OVERFLOW = 8  # not the kernel's: a compressed stream holds more than the header allows


def _scan_records(data, pos, wanted, row_bytes, max_word, check_trailing):
    """Find the records of a word2vec binary file in `data` (uint8) from byte `pos` on (Numba kernel).

    A record is optional newlines, a word of 1 to `max_word` bytes, a space, `row_bytes` of values,
    then at most one newline. Returns (spans, count, status, at): the word of complete record i is
    data[spans[i, 0]:spans[i, 1]] and its values follow the space at spans[i, 1]; `status` says why
    the walk stopped (`_SCAN_*`) and `at` is the byte offset to report; a truncated record's word is
    in spans[count]. `_SCAN_CUT` means the data ended inside a word (more data may follow in a
    stream; at the end of a file it means no word followed by a space). With `check_trailing`, only
    ASCII whitespace may follow the last record.
    `spans` grows by doubling, so its size follows the records found, never the header's promise.
    """
    size = data.shape[0]
    spans = np.empty((min(wanted, 4096) + 1, 2), np.int64)
    count = 0
    while count < wanted:
        if pos == size:
            return spans, count, _SCAN_ENDS, pos
        start = pos
        while pos < size and data[pos] == 10:  # newlines before a word (the C tool's, or extra ones)
            pos += 1
        space = pos
        stop = min(pos + max_word + 1, size)
        while space < stop and data[space] != 32:
            space += 1
        if space == stop:
            if stop == size:
                return spans, count, _SCAN_CUT, start
            return spans, count, _SCAN_NO_SPACE, start
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
    """`function` compiled by Numba, imported on first use to keep imports light; cached on disk by
    `wordvec._jit` (stamped with this file's sources, recompiled if the cache file is damaged)."""
    from wordvec import _jit

    return _jit.njit(cache=True, nogil=True)(function)


class _Content:
    """A file's bytes as read-only uint8 `data`. A plain file is memory-mapped whole (no memory of
    its own); a compressed one is decompressed on demand, `more()` at a time, never beyond the
    `allowed` bytes its header permits, so memory follows the data actually needed (a `limit` reads
    only the start) and actually there (never a header's claim), and a bomb stops at the bound."""

    def __init__(self, source: _Source, path):
        self.error: str | None = None
        self.overflow = False
        self.buffer = b""
        if source.compression is None:
            try:
                try:
                    content: Any = mmap.mmap(source.raw.fileno(), 0, access=mmap.ACCESS_READ)
                except (ValueError, OSError):  # an empty file, or one that cannot be mapped
                    content = source.raw.read()
            except OSError as exc:
                raise VectorFileError(f"{path}: cannot read ({_one_line(exc)})") from None
            self.stream = None
            self.data = np.frombuffer(content, dtype=np.uint8)
        else:
            self.stream = source.stream
            self.data = np.zeros(0, np.uint8)
            self.more(_CHUNK)

    def more(self, allowed: int) -> bool:
        """Decompress as much again as is held (at least `_CHUNK`), up to `allowed` + 1 bytes in all;
        False if nothing new came. A corrupt stream ends the data where it breaks and leaves the
        reason in `error`; holding more than `allowed` bytes sets `overflow` and stops reading."""
        if self.stream is None:
            return False
        held = self.data.size
        target = min(held + max(_CHUNK, held), allowed + 1)
        parts, got = [self.buffer], held
        try:
            while got < target:
                chunk = self.stream.read(min(_CHUNK, target - got))
                if not chunk:
                    self.stream = None
                    break
                parts.append(chunk)
                got += len(chunk)
        except _STREAM_ERRORS as exc:
            self.stream, self.error = None, _one_line(exc)
        if got > allowed:
            self.overflow, self.stream = True, None
        self.buffer = b"".join(parts)
        self.data = np.frombuffer(self.buffer, dtype=np.uint8)  # read-only, like the mmap
        return got > held


def _needs_more(status: int, check_trailing: bool) -> bool:
    """Whether a scan stopped only because the data held so far ended (more may decide it)."""
    return status in (_SCAN_ENDS, _SCAN_TRUNCATED, _SCAN_CUT) or (status == _SCAN_OK and check_trailing)


def read_word2vec_binary(path: str | os.PathLike, limit: int | None = None) -> VectorData:
    """Read the C tool's binary format ("V D\\n", then word, space, D little-endian float32, "\\n").

    The trailing newline after each vector is optional (gensim omits it). A Numba kernel finds the
    record boundaries, then the rows are gathered in one go and the words decoded together; only
    when something is wrong does `_raise_binary_error` walk the records to name the first problem.
    Plain files are memory-mapped; .gz/.bz2/.xz streams are decompressed incrementally, never
    beyond what the header's V words of D values (plus a little whitespace) can take.
    """
    limit = _check_limit(limit)
    with _reading(path) as source:
        content = _Content(source, path)
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
        _check_dim(dim, f"{path}: byte offset 0")
        wanted = n_words if limit is None else min(n_words, limit)
        check_trailing = limit is None or limit >= n_words  # then the whole file is read
        row_bytes = 4 * dim
        allowed = header_end + wanted * (MAX_WORD_BYTES + 2 + row_bytes) + _TRAILING_SLACK
        while True:
            spans, count, status, at = _kernel(_scan_records)(
                content.data, header_end, wanted, row_bytes, MAX_WORD_BYTES, check_trailing
            )
            if not _needs_more(status, check_trailing) or not content.more(allowed):
                break
    data = content.data
    if _needs_more(status, check_trailing):
        if content.overflow:
            status, at = _OVERFLOW, allowed
        elif content.error:
            status, at = _UNREADABLE, data.size  # what went wrong after the break is the stream's fault
    rows, joined = _kernel(_gather_records)(data, spans, count, row_bytes)
    vectors = rows.view("<f4").astype(np.float32, copy=False)
    try:
        words = joined.tobytes().decode("utf-8").split(" ")[:-1]
    except UnicodeDecodeError:
        words = None
    if status != _SCAN_OK or words is None or len(set(words)) != count or not np.isfinite(vectors).all():
        _raise_binary_error(path, data, spans, count, vectors, status, at, n_words, dim, content.error)
    return VectorData(vectors, words)


def _raise_binary_error(path, data, spans, count, vectors, status, at, n_words, dim, read_error) -> None:
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
                f"{path}: byte offset {at}: truncated vector for word {_show(word)} "
                f"(needs {vectors.shape[1] * 4} bytes, {data.size - at} left)"
            )
        _check_finite_row(vectors[i], word, f"{path}: byte offset {end + 1}")
        if word in seen:
            raise VectorFileError(
                f"{path}: byte offset {start}: duplicate word {_show(word)} (first at offset {seen[word]})"
            )
        seen[word] = start
    problem = {
        _SCAN_ENDS: f"file ends after {count} of the {n_words} words its header announces (truncated?)",
        _SCAN_NO_SPACE: f"no word followed by a space (words hold at most {MAX_WORD_BYTES} bytes)",
        _SCAN_CUT: "no word followed by a space",
        _SCAN_EMPTY_WORD: "empty word",
        _SCAN_TRAILING: f"unexpected data after the {n_words} words of the header",
        _UNREADABLE: f"cannot read ({read_error})",
        _OVERFLOW: f"more data than the header's {n_words} words of {dim} values can take (a corrupt or hostile file)",
    }[status]
    raise VectorFileError(f"{path}: byte offset {at}: {problem}")


def write_word2vec_binary(
    path: str | os.PathLike, vectors: np.ndarray, words: Sequence[str], compression: str | None = _AUTO
) -> None:
    """Write the C tool's binary format, with a newline after each vector like the C tool.

    `compression` "gz"/"bz2"/"xz"/None; the default ("auto") follows the name (`format_for_path`).
    The words must pass `check_savable` for "binary"; the write is atomic.
    """
    compression = _write_compression(path, compression)
    words = list(words)
    vectors = _checked_vectors(vectors, words, "binary")
    little = vectors.astype("<f4", copy=False)
    with _writing(path, compression) as out:
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

_NUMBER = (int, float)
_STRING_KEYS = ("engine", "corpus", "svd", "wordvec_version")
_NUMBER_KEYS = ("training_pairs", "train_seconds", "words_per_sec", "nnz_counts", "nnz_ppmi")


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool) and math.isfinite(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool)) or _is_number(value)


def _json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether `value` (parsed JSON) nests deeper than `limit` containers (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _metadata_problem(metadata: Any) -> str | None:
    """What is wrong with native metadata (parsed JSON), or None. One rule for writer and reader.

    The metadata is a JSON object nested at most `_MAX_JSON_DEPTH` deep; the keys wordvec itself
    reads must have the types it expects: "config" an object of scalars (string, finite number,
    boolean, null); "loss_history" an object whose values are lists of finite numbers, numbers or
    null; "engine"/"corpus"/"svd"/"wordvec_version" strings; "training_pairs", "train_seconds",
    "words_per_sec", "nnz_counts", "nnz_ppmi" finite numbers or null; "timings" an object of
    numbers; "singular_values" a list of numbers. Other keys may hold any JSON value.
    """
    if not isinstance(metadata, dict):
        return "metadata must be a JSON object"
    if _json_depth_exceeds(metadata, _MAX_JSON_DEPTH):
        return f"metadata is nested more than {_MAX_JSON_DEPTH} levels deep"
    if "config" in metadata:
        config = metadata["config"]
        if not isinstance(config, dict):
            return f"metadata 'config' must be a JSON object, not {type(config).__name__}"
        for key, value in config.items():
            if not _is_scalar(value):
                return f"metadata 'config' entry {key!r} must be a string, number, boolean or null"
    if "loss_history" in metadata:
        history = metadata["loss_history"]
        if not isinstance(history, dict):
            return f"metadata 'loss_history' must be a JSON object, not {type(history).__name__}"
        for key, value in history.items():
            ok = value is None or _is_number(value) or (
                isinstance(value, list) and all(v is None or _is_number(v) for v in value))
            if not ok:  # null: an epoch with nothing measured (no training pairs)
                return f"metadata 'loss_history' entry {key!r} must be a list of numbers (or nulls)"
    for key in _STRING_KEYS:
        if key in metadata and not isinstance(metadata[key], str):
            return f"metadata {key!r} must be a string"
    for key in _NUMBER_KEYS:
        if key in metadata and not (metadata[key] is None or _is_number(metadata[key])):
            return f"metadata {key!r} must be a number or null"
    if "timings" in metadata and not (isinstance(metadata["timings"], dict)
                                      and all(_is_number(v) for v in metadata["timings"].values())):
        return "metadata 'timings' must be a JSON object of numbers"
    if "singular_values" in metadata and not (isinstance(metadata["singular_values"], list)
                                              and all(_is_number(v) for v in metadata["singular_values"])):
        return "metadata 'singular_values' must be a list of numbers"
    return None


def _header_problem(header: Any) -> str | None:
    """What is wrong with a native file's parsed header, or None (see `_metadata_problem`)."""
    if not isinstance(header, dict) or header.get("format") != NATIVE_FORMAT_NAME:
        return "not a wordvec native file (bad header)"
    version = header.get("format_version")
    if isinstance(version, bool) or version != NATIVE_FORMAT_VERSION:
        return f"unsupported native format version {_show(str(version)) if isinstance(version, str) else version!r}"
    if not isinstance(header.get("wordvec_version", ""), str):
        return "header 'wordvec_version' must be a string"
    if not isinstance(header.get("has_counts", False), bool):
        return "header 'has_counts' must be true or false"
    if "subwords" in header:
        problem = _subword_spec_problem(header["subwords"])
        if problem is not None:
            return f"header {problem}"
    return _metadata_problem(header.get("metadata", {}))


def write_native(
    path: str | os.PathLike,
    vectors: np.ndarray,
    words: Sequence[str],
    counts: np.ndarray | None,
    metadata: dict[str, Any],
    version: str,
    subwords: dict[str, Any] | None = None,
) -> None:
    """Write an uncompressed .npz: vectors, words (UTF-8 JSON bytes), counts, JSON header/metadata,
    and for a subword model its n-gram rows and their buckets (the header's "subwords" gives
    minn, maxn and bucket).

    Any shape (also 0 words or dim 0) is written; words must pass `check_savable` for "native",
    and the header is checked with the very rule `read_native` applies, so it always reads back.
    """
    if format_for_path(path)[1] is not None:
        output_format(path, "native")  # raises: a compressed native file
    words = list(words)
    vectors = _checked_vectors(vectors, words, "native")
    if counts is not None:
        counts = np.asarray(counts)
        if counts.shape != (len(words),) or counts.dtype.kind not in "iu":
            raise ValueError(f"counts must be {len(words)} integers, got {counts.dtype} {counts.shape}")
        if counts.dtype.kind == "u" and counts.size and int(counts.max()) > np.iinfo(np.int64).max:
            raise VectorFileError("cannot write counts above 2**63 - 1")
        counts = counts.astype(np.int64)
    header = {
        "format": NATIVE_FORMAT_NAME,
        "format_version": NATIVE_FORMAT_VERSION,
        "wordvec_version": version,
        "has_counts": counts is not None,
        "metadata": metadata,
    }
    if subwords is not None:
        ngram_vectors, ngram_buckets = _checked_subwords(subwords, vectors.shape[1], "cannot write subwords")
        header["subwords"] = {k: int(subwords[k]) for k in ("minn", "maxn", "bucket")}
    try:
        header_bytes = json.dumps(header, ensure_ascii=False, allow_nan=False, default=_json_default).encode("utf-8")
    except RecursionError:
        raise VectorFileError("cannot write metadata: nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise VectorFileError(f"cannot write metadata: not JSON-safe ({_one_line(exc)})") from None
    problem = _header_problem(_parse_json(header_bytes, "header", "cannot write metadata"))
    if problem is not None:
        raise VectorFileError(f"cannot write metadata: {problem}")
    arrays = {
        "vectors": np.ascontiguousarray(vectors, dtype=np.float32),
        "words": _json_bytes(words),
        "header": np.frombuffer(header_bytes, dtype=np.uint8),
    }
    if counts is not None:
        arrays["counts"] = counts
    if subwords is not None:
        arrays["ngram_vectors"] = ngram_vectors
        arrays["ngram_buckets"] = ngram_buckets
    with atomic_write(path, "wb") as out:
        write_npz(out, arrays)


def _checked_subwords(subwords: dict[str, Any], dim: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    """A subword part's (ngram_vectors float32 (U, dim), ngram_buckets int64 (U,)) after checking
    it (`_subword_spec_problem` for minn/maxn/bucket; sorted unique buckets below `bucket`, finite
    rows), or VectorFileError."""
    problem = _subword_spec_problem(subwords)
    if problem is not None:
        raise VectorFileError(f"{where}: {problem}")
    vectors, buckets = subwords.get("ngram_vectors"), subwords.get("ngram_buckets")
    if not isinstance(vectors, np.ndarray) or vectors.ndim != 2 or vectors.dtype.kind != "f" \
            or vectors.shape[1] != dim:
        raise VectorFileError(f"{where}: 'ngram_vectors' must be a 2-D float array with {dim} columns")
    if not isinstance(buckets, np.ndarray) or buckets.ndim != 1 or buckets.dtype.kind not in "iu" \
            or buckets.shape[0] != vectors.shape[0]:
        raise VectorFileError(f"{where}: 'ngram_buckets' must hold one integer per n-gram row")
    buckets = buckets.astype(np.int64)
    from wordvec.subwords import buckets_in_order  # (subwords compiles kernels: imported when needed)

    if not buckets_in_order(buckets, subwords["bucket"]):
        raise VectorFileError(f"{where}: 'ngram_buckets' must be sorted, unique and below bucket")
    with np.errstate(over="ignore", invalid="ignore"):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if not np.isfinite(vectors).all():
        raise VectorFileError(f"{where}: 'ngram_vectors' holds NaN/Inf")
    return vectors, buckets


def _subword_spec_problem(spec: Any) -> str | None:
    """What is wrong with a subword setting {minn, maxn, bucket}, or None."""
    from wordvec.subwords import check_spec

    if not isinstance(spec, dict):
        return "'subwords' must be a JSON object"
    try:
        check_spec(spec.get("minn"), spec.get("maxn"), spec.get("bucket"))
    except ValueError as exc:
        return f"subwords: {exc}"
    return None


def _json_default(obj: Any) -> Any:
    """Let NumPy scalars and arrays in metadata through as plain JSON numbers and lists."""
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def _json_bytes(obj: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _parse_json(data: bytes, name: str, where: str) -> Any:
    """Strict JSON (no NaN/Infinity, finite numbers, bounded nesting) or a one-line VectorFileError."""
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise VectorFileError(f"{where}: {name!r} JSON is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError and int-size limits are ValueErrors
        raise VectorFileError(f"{where}: {name!r} is not valid UTF-8 JSON ({_one_line(exc)})") from None


def read_native(path: str | os.PathLike, limit: int | None = None, mmap: str | None = None) -> VectorData:
    """Read a file written by `write_native`, checking every array's header against its real size.

    Members must be stored uncompressed (as `write_native` and `numpy.savez` write them), so memory
    never exceeds the file's own size; the JSON header is validated (`_header_problem`).
    `mmap="r"` maps the vectors read-only from the file instead of reading them (opened at once
    whatever the size, pages shared by every process that maps the file); their values are then
    not scanned for NaN/Inf.
    """
    if mmap not in (None, "r"):
        raise ValueError(f"mmap must be None or 'r', got {mmap!r}")
    limit = _check_limit(limit)
    with _reading(path) as source:
        if source.compression is not None:
            raise VectorFileError(
                f"{path}: a {source.compression}-compressed file that is not word2vec text or binary; "
                "native (.npz) files are read uncompressed: decompress it first"
            )
        try:
            file_size = os.fstat(source.raw.fileno()).st_size
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with zipfile.ZipFile(source.raw) as archive:
                    arrays = _read_members(archive, path, file_size, mapped=mmap == "r")
        except VectorFileError:
            raise
        except RecursionError:
            raise VectorFileError(f"{path}: not a readable wordvec native (.npz) file (nested too deeply)") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
                RuntimeError, TypeError, KeyError, OverflowError, MemoryError, *_STREAM_ERRORS) as exc:
            raise VectorFileError(
                f"{path}: not a readable wordvec native (.npz) file ({_one_line(exc) or type(exc).__name__})"
            ) from None
    header = _decode_json_array(arrays["header"], path, "header")
    problem = _header_problem(header)
    if problem is not None:
        raise VectorFileError(f"{path}: {problem}")
    metadata = header.get("metadata", {})
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
        raise VectorFileError(f"{path}: duplicate word {_show(dup)}")
    with np.errstate(over="ignore", invalid="ignore"):
        vectors = vectors.astype(np.float32, copy=False)
    if not isinstance(vectors, np.memmap):
        _check_all_finite(vectors, words, f"{path}")
    counts = arrays.get("counts")
    if counts is not None:
        if counts.ndim != 1 or counts.dtype.kind not in "iu" or counts.shape[0] != len(words):
            raise VectorFileError(f"{path}: 'counts' must be {len(words)} integers")
        if counts.dtype.kind == "u" and counts.size and int(counts.max()) > np.iinfo(np.int64).max:
            raise VectorFileError(f"{path}: 'counts' holds a value above 2**63 - 1")
        counts = counts.astype(np.int64)
    elif header.get("has_counts") is True:
        raise VectorFileError(f"{path}: the header announces counts but there is no 'counts' array")
    subwords = None
    if "subwords" in header:
        for name in ("ngram_vectors", "ngram_buckets"):
            if name not in arrays:
                raise VectorFileError(f"{path}: the header announces subwords but there is no {name!r} array")
        subwords = dict(header["subwords"], ngram_vectors=arrays["ngram_vectors"], ngram_buckets=arrays["ngram_buckets"])
        ngram_vectors, ngram_buckets = _checked_subwords(subwords, vectors.shape[1], str(path))
        subwords.update(ngram_vectors=ngram_vectors, ngram_buckets=ngram_buckets)
    if limit is not None:
        words = words[:limit]
        vectors = vectors[:limit]
        counts = None if counts is None else counts[:limit]
    return VectorData(vectors if isinstance(vectors, np.memmap) else np.ascontiguousarray(vectors), words, counts,
                      metadata, subwords)


def _read_members(archive: zipfile.ZipFile, path, file_size: int, mapped: bool = False) -> dict[str, np.ndarray]:
    infos = archive.infolist()
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.filename in ("vectors.npy", "words.npy", "header.npy", "counts.npy", "ngram_vectors.npy",
                             "ngram_buckets.npy"):
            if info.filename in members:
                raise VectorFileError(f"{path}: member {info.filename} appears twice")
            members[info.filename] = info
    for name in ("vectors.npy", "words.npy", "header.npy"):
        if name not in members:
            raise VectorFileError(f"{path}: not a wordvec native file (no {name[:-4]!r} array)")
    return {name[:-4]: _read_npy_member(archive, info, path, file_size, mapped=mapped and name == "vectors.npy")
            for name, info in members.items()}


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
    return _parse_json(array.tobytes(), name, str(path))


_COMPRESSION_NAMES = {zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}


def _read_npy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path, file_size: int,
                     mapped: bool = False) -> np.ndarray:
    """Read one .npy member without trusting its header for allocation (no pickles, no object arrays).

    Only stored (uncompressed) members are read, so a member's data can never exceed the file's
    own size: a compressed member (a potential zip bomb) is refused before any decompression.
    """
    if info.compress_type != zipfile.ZIP_STORED:
        method = _COMPRESSION_NAMES.get(info.compress_type, f"method {info.compress_type}")
        raise VectorFileError(
            f"{path}: member {info.filename} is compressed ({method}); wordvec native files store arrays "
            "uncompressed (write them with numpy.savez, not savez_compressed)"
        )
    if info.file_size > file_size or info.compress_size > file_size:
        raise VectorFileError(f"{path}: member {info.filename} claims more bytes than the file holds")
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
        if len(shape) > 2 or any(extent < 0 for extent in shape):
            raise VectorFileError(f"{path}: member {info.filename}: bad shape {shape}")
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
        if mapped and nbytes and not fortran and dtype.kind == "f":
            from wordvec.fileio import member_data_offset

            return np.memmap(path, dtype=dtype, mode="r", offset=member_data_offset(path, info) + header_len,
                             shape=shape)
        data = member.read(nbytes)
        if len(data) != nbytes:
            raise VectorFileError(f"{path}: member {info.filename} is truncated")
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C")
