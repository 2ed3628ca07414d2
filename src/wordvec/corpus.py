"""Corpus reading, vocabulary and id encoding (text -> `Vocabulary` -> `EncodedCorpus`).

Text is streamed in large byte chunks through the Numba kernels of `wordvec.tokenize`: one sentence
per line (b"\\n"), words separated exactly as Python's `str.split()` separates them (every Unicode
whitespace character; NUL is part of a word), so what is read is what the word2vec writers can
write back. Only the distinct words are ever decoded to Python strings (once, which is also where
invalid UTF-8 is caught), so a corpus of hundreds of millions of words needs about 4 bytes per word
plus the vocabulary.

Every failure to read (a missing, unreadable or vanished file, an unlistable directory, a symbolic
link loop, a corrupt or truncated .gz/.bz2/.xz stream, invalid UTF-8, a "word" longer than
`MAX_WORD_BYTES`, i.e. not text) is a one-line `CorpusError` naming the path.
"""

from __future__ import annotations

import bisect
import bz2
import gzip
import io
import lzma
import os
import stat
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import EllipsisType
from typing import IO, Iterable, Iterator, Sequence, Union

import numpy as np

from wordvec import datasets
from wordvec import tokenize as tk
from wordvec.errors import CorpusError

ORDERS = ("frequency", "first_seen", "gensim")
ERRORS = ("strict", "replace")
CHUNK_BYTES = 1 << 24  # 16 MiB per read
PROBE_BYTES = 1 << 20  # words per byte of the first MiB size the id array
MAX_WORD_BYTES = tk.MAX_WORD_BYTES  # longer "words" mean the input is not text (e.g. /dev/zero)

Source = Union[str, os.PathLike, Iterable[Sequence[str]]]
PathArg = Union[str, os.PathLike]

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}


# --------------------------------------------------------------------------- sources


@dataclass
class _Input:
    """One stream of the corpus: a file (possibly compressed) or an in-memory iterable."""

    label: str
    path: Path | None = None
    sentences: Iterable[Sequence[str]] | None = None
    #: a byte range of an uncompressed file: the lines that start in [start, end) (a cluster
    #: worker's shard; see `line_start`); end None means to the end of the file
    start: int = 0
    end: int | None = None

    @property
    def compressed(self) -> bool:
        return self.path is not None and self.path.suffix.lower() in _OPENERS

    def size_hint(self) -> int:
        """Expected bytes of text (only sizes the id array; a vanished file counts 0 here and
        fails, naming itself, when it is opened)."""
        if self.path is None:
            return 1 << 20
        try:
            size = self.path.stat().st_size
        except (OSError, ValueError):
            return 0
        if self.compressed:
            return size * 4
        return max(0, min(size, self.end if self.end is not None else size) - self.start)

    def open(self) -> IO[bytes]:
        if self.path is None:
            return _SentenceStream(self.sentences)
        opener = _OPENERS.get(self.path.suffix.lower())
        if opener and (self.start or self.end is not None):
            raise ValueError("a compressed file cannot be read by byte ranges")
        try:
            if opener:
                return opener(self.path, "rb")
            handle = open(self.path, "rb", buffering=0)
            if self.start == 0 and self.end is None:
                return handle
            return _LineRange(handle, self.start, self.end)
        except (OSError, ValueError) as exc:
            raise CorpusError(f"cannot read corpus {self.label}: {_reason(exc)}") from None


def line_start(handle: IO[bytes], pos: int) -> int:
    """The first line start at or after byte `pos` (0, or just after a b"\n"; the file's size
    if none follows). Byte ranges cut at these points split a file into whole lines: range
    [a, b) holds the lines whose first byte lies in [a, b), so consecutive ranges neither lose
    nor repeat a line."""
    if pos <= 0:
        return 0
    handle.seek(pos - 1)
    at = pos - 1
    while True:
        block = handle.read(1 << 16)
        if not block:
            return at
        i = block.find(b"\n")
        if i >= 0:
            return at + i + 1
        at += len(block)


class _LineRange(io.RawIOBase):
    """The whole lines of an open file that start in [start, end) (see `line_start`)."""

    def __init__(self, handle: IO[bytes], start: int, end: int | None):
        self._handle = handle
        size = os.fstat(handle.fileno()).st_size
        self._pos = line_start(handle, start)
        self._end = max(self._pos, size if end is None or end >= size else line_start(handle, end))
        handle.seek(self._pos)

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        view = memoryview(out).cast("B")
        n = min(len(view), self._end - self._pos)
        if n <= 0:
            return 0
        got = self._handle.readinto(view[:n]) or 0
        self._pos += got
        return got

    def close(self) -> None:
        self._handle.close()
        super().close()


def _reason(exc: BaseException) -> str:
    """One line saying why an OS or decompression call failed."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split()) or type(exc).__name__


class _SentenceStream(io.RawIOBase):
    """Bytes of an iterable of token lists: tokens joined by spaces, one sentence per line."""

    def __init__(self, sentences: Iterable[Sequence[str]]):
        self._lines = iter(sentences)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        view = memoryview(out).cast("B")
        while len(self._pending) < len(view):
            batch = []
            size = 0
            for sentence in self._lines:
                if isinstance(sentence, (str, bytes)):
                    raise CorpusError("sentences must be sequences of words, not strings")
                try:
                    text = " ".join(sentence)
                except TypeError:
                    raise CorpusError("sentences must be sequences of str") from None
                if len(text.split()) != len(sentence):  # the tokenizer would read other words
                    bad = next((w for w in sentence if not w or len(w.split()) != 1), "")
                    raise CorpusError(f"the word {bad!r:.60} is empty or holds whitespace; words are read as "
                                      "whitespace-separated text")
                line = text.encode("utf-8", "surrogatepass") + b"\n"
                batch.append(line)
                size += len(line)
                if size >= len(view):
                    break
            if not batch:
                break
            self._pending += b"".join(batch)
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def resolve_inputs(source: Source, *, exclude: Iterable[PathArg] | PathArg = ()) -> list[_Input]:
    """The streams a source stands for: a file, a directory (sorted, recursive), a dataset name
    (`ptb`, `ptb:valid`, ...), or an iterable of token lists.

    A directory is walked in sorted order (by path components); hidden names (leading ".") are
    skipped, as are symbolic links to directories (never followed, so no link loop can recurse),
    FIFOs, sockets and devices inside it (reading them could block forever). `exclude` names files
    or whole directories that are never read as corpus, compared by resolved path (the CLI passes
    its outputs and checkpoint directory, so a previous run's files inside the corpus folder are
    not read back). Excluding the corpus itself is a usage mistake: `ValueError`.
    Anything that cannot be listed or read: `CorpusError` naming the path.
    """
    excluded = _resolve_excludes(exclude)
    if isinstance(source, (str, os.PathLike)):
        raw = os.fspath(source)
        if isinstance(raw, bytes):
            raise CorpusError("corpus path must be text, not bytes")
        if "\0" in raw:
            raise CorpusError(f"corpus path {raw!r} contains a NUL character")
        path = Path(os.path.expanduser(raw))
        info = _stat(path)
        if info is None and isinstance(source, str) and datasets.is_dataset_name(source):
            name, split = datasets.parse_dataset_name(source)
            path = datasets.dataset_path(name, split)
            info = _stat(path)
        if info is None:
            if os.path.islink(path):
                raise CorpusError(f"corpus {path} is a broken symbolic link")
            raise CorpusError(f"corpus not found: {path}")
        real = os.path.realpath(path)
        for ex in excluded:
            if ex == real:
                raise ValueError(f"{ex} is the corpus itself; it cannot also be excluded")
            if _inside(real, ex):
                raise ValueError(f"{ex} holds the corpus {path} itself; it cannot be excluded")
        if stat.S_ISDIR(info.st_mode):
            skipped = [0]
            files = list(_walk(path, excluded, skipped))
            if not files:
                extra = f" ({skipped[0]} excluded)" if skipped[0] else ""
                raise CorpusError(f"corpus directory {path} holds no files{extra}")
            return [_Input(str(p), p) for p in files]
        return [_Input(str(path), path)]
    if isinstance(source, (bytes, bytearray, memoryview)):
        raise CorpusError("corpus source must be a path, a dataset name or an iterable of sentences")
    try:
        iter(source)
    except TypeError:
        raise CorpusError(f"cannot read a corpus from {type(source).__name__}") from None
    return [_Input("<sentences>", sentences=source)]


def _resolve_excludes(exclude: Iterable[PathArg] | PathArg) -> list[str]:
    """Resolved (symlink-free, absolute) forms of the paths to exclude."""
    if exclude is None:
        return []
    if isinstance(exclude, (str, os.PathLike)):
        exclude = [exclude]
    try:
        items = list(exclude)
    except TypeError:
        raise TypeError(f"exclude must be an iterable of paths, got {type(exclude).__name__}") from None
    out = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)) or isinstance(os.fspath(item), bytes):
            raise TypeError(f"exclude must hold str or os.PathLike paths, got {item!r}")
        if "\0" in os.fspath(item):
            raise ValueError(f"excluded path {os.fspath(item)!r} contains a NUL character")
        out.append(os.path.realpath(os.path.expanduser(os.fspath(item))))
    return out


def _inside(path: str, directory: str) -> bool:
    """Whether resolved `path` lies under resolved `directory` (or is it)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _stat(path: Path) -> os.stat_result | None:
    """`os.stat` following links; None when nothing is there; other failures: CorpusError."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise CorpusError(f"cannot read corpus {path}: {_reason(exc)}") from None
    except ValueError as exc:
        raise CorpusError(f"cannot read corpus {path}: {exc}") from None


def _walk(directory: Path, excluded: list[str], skipped: list[int]) -> Iterator[Path]:
    """Regular files under `directory`, depth first with names sorted (= sorted by components)."""
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise CorpusError(f"cannot list corpus directory {directory}: {_reason(exc)}") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = directory / entry.name
        if excluded:
            real = os.path.realpath(path)
            if any(_inside(real, ex) for ex in excluded):
                skipped[0] += 1
                continue
        try:
            is_link = entry.is_symlink()
        except OSError:
            is_link = False
        try:
            info = os.stat(path)  # follows links
        except FileNotFoundError:
            if is_link and os.path.lexists(path):
                raise CorpusError(f"corpus file {path} is a broken symbolic link") from None
            continue  # vanished while listing: not part of the corpus
        except OSError as exc:
            raise CorpusError(f"cannot read corpus file {path}: {_reason(exc)}") from None
        if stat.S_ISDIR(info.st_mode):
            if not is_link:
                yield from _walk(path, excluded, skipped)
        elif stat.S_ISREG(info.st_mode):
            yield path


def _describe(source: Source, inputs: list[_Input]) -> str:
    if len(inputs) == 1:
        return inputs[0].label
    return f"{os.fspath(source)} ({len(inputs)} files)"


# --------------------------------------------------------------------------- scanning


class _Scan:
    """Hash table, bytes pool, counts and (optionally) provisional ids of one pass over a corpus."""

    def __init__(self, emit: bool, eos_token: str | None, size_hint: int):
        self.emit = emit
        if eos_token is not None and not isinstance(eos_token, str):
            raise ValueError(f"eos_token must be a str or None, got {type(eos_token).__name__}")
        if eos_token and (any(ch.isspace() for ch in eos_token)
                          or len(eos_token.encode("utf-8", "surrogatepass")) > MAX_WORD_BYTES):
            raise ValueError(f"eos_token must be one word (no whitespace), got {eos_token!r:.60}")
        eos = (eos_token or "").encode("utf-8", "surrogatepass")
        self.eos = np.array(bytearray(eos), dtype=np.uint8)
        self.table = np.full(1 << 16, -1, dtype=np.int32)
        n = 1 << 14
        self.ent_hash = np.empty(n, np.uint64)
        self.ent_start = np.empty(n, np.int64)
        self.ent_len = np.empty(n, np.int32)
        self.ent_count = np.empty(n, np.int64)
        self.ent_byte = np.empty(n, np.int64)
        self.pool = np.empty(1 << 18, np.uint8)
        # Sized for the first chunk; `_presize` then extrapolates to the whole corpus.
        self.size_hint = size_hint
        self.presized = not emit
        self.ids = np.empty(PROBE_BYTES // 2 + 1024 if emit else 0, np.int32)
        self.offsets = np.zeros(1024 if emit else 1, np.int64)
        self.state = np.zeros(tk.STATE_SIZE, np.int64)
        self.state[tk.ST_OFFSETS] = 1  # offsets[0] = 0
        self.file_first_entry: list[int] = []
        self.labels: list[str] = []
        self.buf: np.ndarray | None = None  # read buffer, shared by the files of a directory
        # drain(ids, offsets), when set, is handed the closed sentences after every chunk, which
        # then leave the buffers: memory stays bounded by a chunk, whatever the corpus size
        self.drain = None

    # -- growth
    def _grow(self, status: int, need: int) -> None:
        st = self.state
        if status == tk.GROW_IDS:
            self.ids = _grown(self.ids, len(self.ids) + len(self.ids) // 2 + 1024)
        elif status == tk.GROW_OFFSETS:
            self.offsets = _grown(self.offsets, 2 * len(self.offsets))
        elif status == tk.GROW_ENTRIES:
            n = int(st[tk.ST_ENTRIES])
            if n >= len(self.ent_hash):
                for name in ("ent_hash", "ent_start", "ent_len", "ent_count", "ent_byte"):
                    setattr(self, name, _grown(getattr(self, name), 2 * n))
            if 2 * (n + 1) > len(self.table):
                self.table = np.full(2 * len(self.table), -1, dtype=np.int32)
                tk.rehash(self.table, self.ent_hash, n)
        elif status == tk.GROW_POOL:
            self.pool = _grown(self.pool, max(2 * len(self.pool), int(st[tk.ST_POOL]) + need))

    def _run(self, buf: np.ndarray, start: int, end: int, final: bool, base: int,
             label: str) -> int:
        pos = start
        while True:
            pos, status, need = tk.scan_bytes(
                buf, pos, end, final, base, tk.BYTE_CLASS, tk.SPACE_TRIE, tk.SPACE_ACCEPT,
                MAX_WORD_BYTES, self.eos,
                self.table, self.ent_hash, self.ent_start, self.ent_len, self.ent_count,
                self.ent_byte, self.pool, self.ids, self.offsets, self.state, self.emit)
            if status == tk.DONE:
                return pos
            if status == tk.WORD_TOO_LONG:
                raise CorpusError(
                    f"cannot read corpus {label}: a word of more than {MAX_WORD_BYTES:,} bytes "
                    f"(no whitespace) at byte {base + pos}; is it a text file?")
            self._grow(status, need)

    def feed(self, item: _Input) -> None:
        """Scan one stream chunk by chunk; a word cut by a chunk boundary is carried over."""
        self.file_first_entry.append(int(self.state[tk.ST_ENTRIES]))
        self.labels.append(item.label)
        if self.buf is None:
            self.buf = np.empty(CHUNK_BYTES, dtype=np.uint8)
        buf = self.buf
        carry = 0
        base = 0
        at_start = item.start == 0  # a byte order mark can only open a file
        with item.open() as stream:
            while True:
                if carry > len(buf) // 2:  # a giant word: make room to read past it
                    buf = self.buf = _grown(buf, 2 * len(buf))
                try:
                    nread = stream.readinto(memoryview(buf)[carry:])
                except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
                    raise CorpusError(f"cannot read corpus {item.label}: {_reason(exc)}") from None
                n = carry + (nread or 0)
                final = not nread
                pos = 0
                if at_start and (n >= 3 or final):
                    at_start = False
                    if buf[:3].tobytes() == b"\xef\xbb\xbf":
                        pos = 3  # a UTF-8 byte order mark is not part of the first word
                if not self.presized and n > PROBE_BYTES:
                    pos = self._run(buf, pos, PROBE_BYTES, False, base, item.label)
                    self._presize(pos)
                pos = self._run(buf, pos, n, final, base, item.label)
                if not self.presized and not final and pos > 0:  # first chunk under a probe
                    self._presize(pos)
                if self.drain is not None:
                    self._drain()
                if final:
                    break
                carry = n - pos
                if carry and pos:
                    buf[:carry] = buf[pos:n].copy()
                base += pos
        self._close_sentence()
        if self.drain is not None:
            self._drain()

    def _drain(self) -> None:
        """Hand the closed sentences to `drain` and keep only the open one's ids."""
        st = self.state
        n_off = int(st[tk.ST_OFFSETS])
        if n_off <= 1:
            return
        start = int(st[tk.ST_SENT_START])
        self.drain(self.ids[: int(self.offsets[n_off - 1])], self.offsets[:n_off])
        rest = int(st[tk.ST_IDS]) - start
        self.ids[:rest] = self.ids[start: start + rest].copy()
        st[tk.ST_IDS], st[tk.ST_SENT_START], st[tk.ST_OFFSETS] = rest, 0, 1
        self.offsets[0] = 0

    def entry_bytes(self, first: int, last: int) -> list[bytes]:
        """The bytes of the distinct words first..last-1 (in first-seen order)."""
        pool = self.pool
        return [pool[s: s + n].tobytes() for s, n in zip(self.ent_start[first:last].tolist(),
                                                           self.ent_len[first:last].tolist())]

    @property
    def n_entries(self) -> int:
        return int(self.state[tk.ST_ENTRIES])

    def _presize(self, probed: int) -> None:
        """Grow `ids` once to the expected total (words per byte in the first `probed` bytes x
        bytes in the corpus), so that large corpora avoid repeated grow-and-copy."""
        self.presized = True
        n = int(self.state[tk.ST_IDS])
        expected = int(n / max(probed, 1) * self.size_hint * 1.02) + 1024
        if expected > len(self.ids):
            self.ids = _grown(self.ids, expected)

    def _close_sentence(self) -> None:
        st = self.state
        if self.emit and len(self.eos) == 0 and st[tk.ST_IDS] > st[tk.ST_SENT_START]:
            if st[tk.ST_OFFSETS] >= len(self.offsets):
                self.offsets = _grown(self.offsets, 2 * len(self.offsets))
            self.offsets[st[tk.ST_OFFSETS]] = st[tk.ST_IDS]
            st[tk.ST_OFFSETS] += 1
            st[tk.ST_SENT_START] = st[tk.ST_IDS]

    # -- results
    @property
    def n_tokens(self) -> int:
        return int(self.state[tk.ST_TOKENS])

    def words(self, lowercase: bool, errors: str) -> tuple[list[str], np.ndarray, np.ndarray | None]:
        """Distinct words (decoded once), their counts, and the provisional-id remap when
        lowercasing or replacement made some of them collide (None when they are all distinct)."""
        n = int(self.state[tk.ST_ENTRIES])
        raw = self.pool[: int(self.state[tk.ST_POOL])].tobytes()
        try:
            text = raw.decode("utf-8", errors)
        except UnicodeDecodeError as exc:
            e = int(np.searchsorted(self.ent_start[:n], exc.start, side="right")) - 1
            f = bisect.bisect_right(self.file_first_entry, e) - 1
            offset = int(self.ent_byte[e]) + exc.start - int(self.ent_start[e])
            word = raw[self.ent_start[e]: self.ent_start[e] + self.ent_len[e]]
            raise CorpusError(
                f"invalid UTF-8 in {self.labels[f]} at byte {offset} (word {word[:40]!r}); "
                "to read invalid bytes as U+FFFD instead, use replacement (--encoding-errors "
                "replace on the command line, errors='replace' in Python)") from None
        if lowercase:
            text = text.lower()
        words = text.split(" ")[:-1]
        counts = self.ent_count[:n].copy()
        if (lowercase or errors != "strict") and len(set(words)) < len(words):
            index: dict[str, int] = {}
            remap = np.fromiter((index.setdefault(w, len(index)) for w in words), np.int32, n)
            merged = np.zeros(len(index), np.int64)
            np.add.at(merged, remap, counts)
            return list(index), merged, remap
        return words, counts, None


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, dtype=a.dtype)
    out[: len(a)] = a
    return out


def _scan(source: Source, emit: bool, lowercase: bool, eos_token: str | None, errors: str,
          exclude: Iterable[PathArg] | PathArg = ()):
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {', '.join(ERRORS)}, got {errors!r}")
    inputs = resolve_inputs(source, exclude=exclude)
    scan = _Scan(emit, eos_token, sum(i.size_hint() for i in inputs))
    for item in inputs:
        scan.feed(item)
    label = _describe(source, inputs)
    if scan.n_tokens == 0:
        raise CorpusError(f"corpus {label} is empty (no words)")
    words, counts, remap = scan.words(lowercase, errors)
    return scan, label, words, counts, remap


# --------------------------------------------------------------------------- vocabulary


class Vocabulary:
    """Words with their counts; ids are positions in `index_to_key`.

    Built with `Vocabulary.build`; ordered by frequency with ties by first occurrence (the
    default), by first occurrence (`order="first_seen"`, the book's ids), or exactly as gensim 4.4
    (`order="gensim"`: frequency, ties to the word first seen later). It remembers `lowercase` and
    `eos_token` so that `encode` reads new text the same way.
    """

    def __init__(self, index_to_key: Sequence[str], counts: Sequence[int] | np.ndarray, *,
                 lowercase: bool = False, eos_token: str | None = None,
                 order: str = "frequency", min_count: int = 1, max_size: int | None = None):
        self.index_to_key: list[str] = list(index_to_key)
        self.counts = np.asarray(counts, dtype=np.int64).reshape(-1)
        if len(self.counts) != len(self.index_to_key):
            raise CorpusError(f"vocabulary has {len(self.index_to_key)} words but "
                              f"{len(self.counts)} counts")
        self.key_to_index: dict[str, int] = dict(zip(self.index_to_key, range(len(self.index_to_key))))
        if len(self.key_to_index) != len(self.index_to_key):
            raise CorpusError("vocabulary words must be distinct")
        self.lowercase = lowercase
        self.eos_token = eos_token
        self.order = order
        self.min_count = min_count
        self.max_size = max_size

    # aliases in the book's terms
    @property
    def id_to_word(self) -> list[str]:
        return self.index_to_key

    @property
    def word_to_id(self) -> dict[str, int]:
        return self.key_to_index

    @property
    def total_words(self) -> int:
        """Occurrences of kept words in the text the vocabulary was built from."""
        return int(self.counts.sum())

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __iter__(self) -> Iterator[str]:
        return iter(self.index_to_key)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words, {self.total_words} occurrences, order={self.order!r})"

    @classmethod
    def build(cls, source: Source, min_count: int = 1, max_size: int | None = None,
              lowercase: bool = False, eos_token: str | None = None,
              order: str = "frequency", errors: str = "strict",
              exclude: Iterable[PathArg] | PathArg = ()) -> "Vocabulary":
        """Count the words of `source` (path, directory, dataset name or token lists).

        `exclude`: files or directories under a corpus directory never to read (see
        `resolve_inputs`)."""
        _check_options(min_count, max_size, order)
        scan, label, words, counts, _ = _scan(source, False, lowercase, eos_token, errors, exclude)
        vocab, _ = _select(words, counts, min_count, max_size, order, label,
                           lowercase=lowercase, eos_token=eos_token)
        return vocab

    def encode(self, source: Source, *, lowercase: bool | None = None,
               eos_token: str | None | EllipsisType = ..., errors: str = "strict",
               exclude: Iterable[PathArg] | PathArg = ()) -> "EncodedCorpus":
        """Ids of the words of `source`; unknown words are dropped, then empty sentences.

        Text is read with the vocabulary's own `lowercase`/`eos_token` unless given here;
        `exclude` as in `resolve_inputs` (a resumed run passes its checkpoint directory).
        """
        lowercase = self.lowercase if lowercase is None else lowercase
        eos_token = self.eos_token if eos_token is ... else eos_token
        scan, label, words, _, remap = _scan(source, True, lowercase, eos_token, errors, exclude)
        get = self.key_to_index.get
        new_id = np.fromiter((get(w, -1) for w in words), np.int32, len(words))
        if remap is not None:
            new_id = new_id[remap]
        encoded = _finish(scan, new_id, self, label)
        if len(encoded) == 0:
            raise CorpusError(f"no word of {label} is in the vocabulary ({len(self)} words)")
        return encoded

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Probability of keeping each occurrence under frequency subsampling (word2vec C tool):
        (sqrt(f/(s*T)) + 1) * (s*T)/f, clipped to 1; all ones when `sample` <= 0."""
        if sample <= 0 or len(self) == 0:
            return np.ones(len(self), dtype=np.float32)
        threshold = sample * self.total_words
        f = np.maximum(self.counts, 1).astype(np.float64)
        keep = (np.sqrt(f / threshold) + 1.0) * threshold / f
        return np.minimum(keep, 1.0).astype(np.float32)

    def to_dict(self) -> dict:
        """JSON-safe form: words, counts and the reading options."""
        return {
            "words": list(self.index_to_key),
            "counts": [int(c) for c in self.counts],
            "lowercase": bool(self.lowercase),
            "eos_token": self.eos_token,
            "order": self.order,
            "min_count": int(self.min_count),
            "max_size": None if self.max_size is None else int(self.max_size),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Vocabulary":
        try:
            return cls(data["words"], data["counts"], lowercase=bool(data.get("lowercase", False)),
                       eos_token=data.get("eos_token"), order=data.get("order", "frequency"),
                       min_count=int(data.get("min_count", 1)), max_size=data.get("max_size"))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, CorpusError):
                raise
            raise CorpusError(f"malformed vocabulary data: {exc}") from None


def _check_options(min_count: int, max_size: int | None, order: str) -> None:
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    if max_size is not None and max_size < 1:
        raise ValueError(f"max_size must be >= 1, got {max_size}")


def _select(words: list[str], counts: np.ndarray, min_count: int, max_size: int | None,
            order: str, label: str, **options) -> tuple[Vocabulary, np.ndarray]:
    """Filter and order first-seen `words`; return the vocabulary and old->new ids (-1 = dropped)."""
    keep = np.flatnonzero(counts >= min_count)
    if len(keep) == 0:
        raise CorpusError(f"no word occurs at least {min_count} times in {label} "
                          f"({len(words)} distinct words); lower --min-count")
    if order == "gensim":  # gensim 4.4: ties go to the word first seen *later*
        by_freq = keep[np.lexsort((-keep, -counts[keep]))]
    else:
        by_freq = keep[np.argsort(-counts[keep], kind="stable")]
    if max_size is not None:
        by_freq = by_freq[:max_size]
    chosen = np.sort(by_freq) if order == "first_seen" else by_freq
    new_id = np.full(len(words), -1, dtype=np.int32)
    new_id[chosen] = np.arange(len(chosen), dtype=np.int32)
    vocab = Vocabulary([words[i] for i in chosen], counts[chosen], order=order,
                       min_count=min_count, max_size=max_size, **options)
    return vocab, new_id


# --------------------------------------------------------------------------- encoded corpus


@dataclass(eq=False)
class EncodedCorpus:
    """A corpus as ids: sentence i is `ids[offsets[i]:offsets[i+1]]` (CSR layout)."""

    ids: np.ndarray
    offsets: np.ndarray
    vocab: Vocabulary
    source: str = field(default="")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_sentences(self) -> int:
        return len(self.offsets) - 1

    def sentence(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i]: self.offsets[i + 1]]

    def sentences(self) -> Iterator[np.ndarray]:
        for i in range(self.n_sentences):
            yield self.sentence(i)

    def remapped(self, vocab: Vocabulary, new_id: np.ndarray) -> "EncodedCorpus":
        """This corpus in another vocabulary: id i becomes `new_id[i]` (-1: dropped, and so are the
        sentences left empty). A new corpus; this one is unchanged."""
        new_id = np.asarray(new_id, dtype=np.int32)
        if new_id.shape != (len(self.vocab),):
            raise ValueError(f"new_id must map each of the {len(self.vocab)} words")
        if len(new_id) and new_id.max() >= len(vocab):
            raise ValueError("new_id names ids outside the new vocabulary")
        ids, offsets = self.ids.copy(), np.asarray(self.offsets, dtype=np.int64).copy()
        kept, n_off = tk.remap_inplace(ids, len(ids), offsets, len(offsets), new_id)
        return EncodedCorpus(ids[: int(kept)].copy(), offsets[: int(n_off)].copy(), vocab, self.source)

    def words(self, i: int) -> list[str]:
        """Sentence i as words (for inspection)."""
        keys = self.vocab.index_to_key
        return [keys[t] for t in self.sentence(i)]

    def __repr__(self) -> str:
        return (f"EncodedCorpus({len(self)} ids, {self.n_sentences} sentences, "
                f"{len(self.vocab)} words, source={self.source!r})")


def _finish(scan: _Scan, new_id: np.ndarray, vocab: Vocabulary, label: str) -> EncodedCorpus:
    """Remap the scan's provisional ids in place and trim the arrays to their final sizes."""
    scan._close_sentence()
    n_ids = int(scan.state[tk.ST_IDS])
    n_off = int(scan.state[tk.ST_OFFSETS])
    if len(scan.eos):  # the book's mode: one flat sequence
        scan.offsets[1] = n_ids
        n_off = 2
    kept, n_off = tk.remap_inplace(scan.ids, n_ids, scan.offsets, n_off, new_id)
    ids, offsets = scan.ids, scan.offsets
    scan.ids = scan.offsets = None
    ids.resize(int(kept), refcheck=False)
    offsets.resize(int(n_off), refcheck=False)
    return EncodedCorpus(ids, offsets, vocab, label)


def load_corpus(source: Source, min_count: int = 5, max_size: int | None = None,
                lowercase: bool = False, eos_token: str | None = None,
                order: str = "frequency", errors: str = "strict",
                exclude: Iterable[PathArg] | PathArg = ()) -> EncodedCorpus:
    """Read, count and encode `source` in a single pass (path, directory, dataset name or
    iterable of token lists).

    `exclude`: files or whole directories under a corpus directory that are never read as
    corpus (outputs, histories, checkpoints of earlier runs), compared by resolved path;
    excluding the corpus itself raises `ValueError`. See `resolve_inputs` for what is read.
    """
    _check_options(min_count, max_size, order)
    scan, label, words, counts, remap = _scan(source, True, lowercase, eos_token, errors, exclude)
    vocab, new_id = _select(words, counts, min_count, max_size, order, label,
                            lowercase=lowercase, eos_token=eos_token)
    if remap is not None:
        new_id = new_id[remap]
    return _finish(scan, new_id, vocab, label)


def book_corpus(name_or_path: Source = "ptb", eos_token: str = "<eos>", *, errors: str = "strict",
                exclude: Iterable[PathArg] | PathArg = ()) -> EncodedCorpus:
    """The book's preprocessing: each line end is `<eos>`, ids by first appearance, min_count 1,
    one flat sequence. For `ptb:valid`/`ptb:test` the ids come from the train split's vocabulary,
    as in the book's `ptb.load_data`. `errors` and `exclude` as in `load_corpus`."""
    if isinstance(name_or_path, str) and datasets.is_dataset_name(name_or_path) \
            and _stat(Path(os.path.expanduser(name_or_path))) is None:
        name, split = datasets.parse_dataset_name(name_or_path)
        if split != "train":
            vocab = Vocabulary.build(f"{name}:train", min_count=1, eos_token=eos_token,
                                     order="first_seen", errors=errors, exclude=exclude)
            return vocab.encode(name_or_path, errors=errors, exclude=exclude)
    return load_corpus(name_or_path, min_count=1, eos_token=eos_token, order="first_seen",
                       errors=errors, exclude=exclude)
