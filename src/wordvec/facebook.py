"""Facebook fastText's `.bin` model files (versions 11 and 12): read memory-mapped, and written.

The layout (little-endian, as fastText's `FastText::saveModel` writes it): magic 793712314 and
version (int32); the arguments (dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket,
minn, maxn, lrUpdateRate as int32, then t as float64); the dictionary (size, nwords, nlabels as
int32, ntokens and pruneidx_size as int64, then per entry its bytes, a NUL, count int64 and type
int8, then pruneidx_size int32 pairs); a byte saying whether the input matrix is quantized; the
input matrix (rows and columns int64, then float32 rows: nwords word rows, then `bucket` n-gram
rows); the same for the output matrix.

Reading never trusts a count in the file for allocation: every size is checked against the file's
own length first, and the input matrix is memory-mapped, so opening a 7 GB model costs the word
list, not 7 GB (gensim needs about three times the model's size: gensim #2724). A word's vector
reads only its own rows; `vectors` for the whole vocabulary is composed on first use.
"""

from __future__ import annotations

import mmap
import os
import struct
from typing import Any

import numpy as np

from wordvec.errors import VectorFileError
from wordvec.fileio import atomic_write

MAGIC = 793712314
VERSIONS = (11, 12)
WRITE_VERSION = 12
MAGIC_BYTES = struct.pack("<i", MAGIC)
_ARGS = struct.Struct("<12id")  # dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate, t
_DICT = struct.Struct("<iiiqq")  # size nwords nlabels ntokens pruneidx_size
_MATRIX = struct.Struct("<qq")
_ARG_NAMES = ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket", "minn", "maxn",
              "lrUpdateRate", "t")
LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
MODELS = {1: "cbow", 2: "skipgram", 3: "supervised"}
_MAX_WORD = 1 << 20  # no dictionary word is longer (wordvec's tokenizer refuses longer words too)
_BLOCK_ROWS = 1 << 14  # rows written per block


def is_fasttext_bin(head: bytes) -> bool:
    """True if `head` (a file's first bytes) starts with fastText's magic number (the reader then
    names an unsupported version)."""
    return len(head) >= 4 and head[:4] == MAGIC_BYTES


def read_model(path: str | os.PathLike, limit: int | None = None):
    """Read a fastText `.bin` into `formats.VectorData` (subword part included, matrix mapped)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < 8 + _ARGS.size + _DICT.size:
                raise VectorFileError(f"{path}: too short for a fastText .bin model ({size} bytes)")
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise VectorFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return _parse(data, size, path, limit)
    finally:
        data.close()  # the matrix views below hold their own np.memmap of the file


def _parse(data: mmap.mmap, size: int, path, limit):
    from wordvec.formats import VectorData  # formats imports this module

    magic, version = struct.unpack_from("<ii", data, 0)
    if magic != MAGIC:
        raise VectorFileError(f"{path}: not a fastText .bin model (bad magic number)")
    if version not in VERSIONS:
        raise VectorFileError(f"{path}: fastText .bin version {version} is not supported (only 11 and 12)")
    args = dict(zip(_ARG_NAMES, _ARGS.unpack_from(data, 8)))
    pos = 8 + _ARGS.size
    n_entries, nwords, nlabels, ntokens, prune_size = _DICT.unpack_from(data, pos)
    pos += _DICT.size
    dim, bucket, minn, maxn = args["dim"], args["bucket"], args["minn"], args["maxn"]
    if version == 11 and args["model"] == 3:
        maxn = 0  # fastText: supervised models of version 11 have no character n-grams
    if not (0 <= nwords and 0 <= nlabels and n_entries == nwords + nlabels):
        raise VectorFileError(f"{path}: dictionary sizes disagree ({n_entries} entries, {nwords} words, "
                              f"{nlabels} labels)")
    if n_entries > (size - pos) // 10:  # an entry takes at least 10 bytes
        raise VectorFileError(f"{path}: the dictionary claims {n_entries} entries, more than the file holds")
    if not 1 <= dim <= 1 << 20 or bucket < 0:
        raise VectorFileError(f"{path}: bad dimension {dim} or bucket count {bucket}")
    words: list[str] = []
    counts = np.empty(nwords, np.int64)
    for i in range(n_entries):
        end = data.find(b"\0", pos, min(pos + _MAX_WORD + 1, size))
        if end < 0 or end + 10 > size:
            raise VectorFileError(f"{path}: dictionary entry {i} is truncated")
        raw = data[pos:end]
        count, kind = struct.unpack_from("<qb", data, end + 1)
        pos = end + 10
        if kind == 0:
            if len(words) == nwords:
                raise VectorFileError(f"{path}: more words in the dictionary than its header says")
            # fastText's words are bytes: one that is not UTF-8 keeps them (surrogateescape), so its
            # n-grams hash as in fastText
            words.append(raw.decode("utf-8", "surrogateescape"))
            counts[len(words) - 1] = count
        elif kind != 1:
            raise VectorFileError(f"{path}: dictionary entry {i} has unknown type {kind}")
    if len(words) != nwords:
        raise VectorFileError(f"{path}: the dictionary holds {len(words)} words, its header says {nwords}")
    if len(set(words)) != nwords:
        from wordvec.formats import _first_duplicate, _show

        raise VectorFileError(f"{path}: duplicate word {_show(_first_duplicate(words))} in the dictionary")
    if prune_size >= 0:
        raise VectorFileError(f"{path}: a quantized or pruned model (.ftz); only full .bin models are supported")
    if pos + 1 > size:
        raise VectorFileError(f"{path}: truncated before the input matrix")
    if data[pos] != 0:
        raise VectorFileError(f"{path}: the input matrix is quantized; only full .bin models are supported")
    pos += 1
    if pos + _MATRIX.size > size:
        raise VectorFileError(f"{path}: truncated before the input matrix")
    rows, cols = _MATRIX.unpack_from(data, pos)
    pos += _MATRIX.size
    subwords = maxn > 0 and bucket > 0
    has_rows = subwords  # the matrix holds the bucket rows even where no n-gram is taken
    if subwords and minn > maxn:
        subwords = False  # fastText takes no n-gram when minn > maxn
    minn = max(minn, 1)  # n starts at 1 in fastText's loop: minn 0 is minn 1
    expected_rows = nwords + (bucket if has_rows or args["model"] == 3 else 0)
    if cols != dim or rows < expected_rows or rows < nwords:
        raise VectorFileError(f"{path}: input matrix is {rows} x {cols}, expected {expected_rows} x {dim}")
    if rows * cols * 4 > size - pos:
        raise VectorFileError(f"{path}: the input matrix ({rows} x {cols}) is larger than the file")
    matrix = np.memmap(path, dtype="<f4", mode="r", offset=pos, shape=(rows, cols))
    metadata: dict[str, Any] = {
        "engine": "fasttext",
        "fasttext": {"version": version, "ntokens": int(ntokens), "nlabels": int(nlabels),
                     **{k: (float(v) if k == "t" else int(v)) for k, v in args.items()},
                     "loss_name": LOSSES.get(args["loss"], "?"), "model_name": MODELS.get(args["model"], "?")},
    }
    if limit is not None:
        words, counts = words[:limit], counts[:limit]
    n = len(words)
    if not subwords:
        vectors = np.array(matrix[:n], dtype=np.float32)
        if not np.isfinite(vectors).all():
            raise VectorFileError(f"{path}: the word vectors hold NaN/Inf")
        return VectorData(vectors, words, counts, metadata)
    from wordvec.subwords import check_spec

    try:
        check_spec(minn, maxn, bucket)
    except ValueError as exc:
        raise VectorFileError(f"{path}: {exc}") from None
    part = {"ngram_vectors": matrix[nwords:nwords + bucket], "ngram_buckets": None, "minn": minn, "maxn": maxn,
            "bucket": bucket, "word_rows": matrix[:n]}
    return VectorData(None, words, counts, metadata, part)


def write_model(path: str | os.PathLike, words, counts, metadata: dict, vectors: np.ndarray,
                subwords: dict | None) -> None:
    """Write a fastText `.bin` (version 12): `vectors` are the words' rows of a plain model; a
    subword model gives `subwords` (minn, maxn, bucket, ngram_vectors, ngram_buckets or None for
    all buckets in order, and word_rows, the words' own input rows).

    fastText's `load_model` and gensim's `load_facebook_model` read it and give the same word
    vectors (for a subword model, also for unseen words). The n-gram rows no training word used are
    zero, as wordvec trains them. wordvec's vectors do not keep the output layer, so the output
    matrix is written as zeros: the file answers queries but is no starting point for further
    training. A plain model is written with no n-grams (maxn 0, bucket 0).
    """
    from wordvec.formats import check_savable

    words = list(words)
    check_savable(words, "fasttext")
    V = len(words)
    if V == 0:
        raise VectorFileError("cannot write a fastText model with no words")
    config = metadata.get("config", {}) if isinstance(metadata.get("config"), dict) else {}
    counts = np.ones(V, np.int64) if counts is None else np.asarray(counts, np.int64)
    if subwords is not None:
        minn, maxn, bucket = int(subwords["minn"]), int(subwords["maxn"]), int(subwords["bucket"])
        word_rows = subwords["word_rows"]
    else:
        minn = maxn = bucket = 0
        word_rows = vectors
    dim = int(word_rows.shape[1])
    if word_rows.shape != (V, dim) or not np.isfinite(word_rows).all():
        raise VectorFileError(f"cannot write a fastText model: need {V} finite rows of {dim} values")
    model = 1 if config.get("model") == "cbow" else 2
    loss = {"hs": 1, "ns": 2, "softmax": 3}.get(config.get("loss"), 2)

    def whole(name: str, default: int) -> int:
        value = config.get(name, default)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else default

    sample = config.get("sample")
    args = (dim, whole("window", 5), whole("epochs", 5), whole("min_count", 1), whole("negative", 5), 1, loss,
            model, bucket, minn, maxn, 100, float(sample) if isinstance(sample, float) and sample > 0 else 1e-4)
    with atomic_write(path, "wb") as out:
        out.write(struct.pack("<ii", MAGIC, WRITE_VERSION))
        out.write(_ARGS.pack(*args))
        out.write(_DICT.pack(V, V, 0, int(np.sum(counts)), -1))
        for word, count in zip(words, counts):
            out.write(word.encode("utf-8") + b"\0" + struct.pack("<qb", int(count), 0))
        out.write(b"\0")  # input not quantized
        out.write(_MATRIX.pack(V + bucket, dim))
        _write_rows(out, word_rows, V)
        if subwords is not None:
            _write_ngram_rows(out, subwords["ngram_vectors"], subwords["ngram_buckets"], bucket, dim)
        out.write(b"\0")  # output not quantized
        out.write(_MATRIX.pack(V, dim))
        _write_zeros(out, V, dim)


def _write_rows(out, matrix: np.ndarray, n: int) -> None:
    for start in range(0, n, _BLOCK_ROWS):
        block = np.ascontiguousarray(matrix[start:start + _BLOCK_ROWS], dtype="<f4")
        if not np.isfinite(block).all():
            raise VectorFileError("cannot write a fastText model: its rows hold NaN/Inf")
        out.write(block.tobytes())


def _write_zeros(out, n: int, dim: int) -> None:
    block = np.zeros((_BLOCK_ROWS, dim), "<f4").tobytes()
    for start in range(0, n, _BLOCK_ROWS):
        rows = min(_BLOCK_ROWS, n - start)
        out.write(block if rows == _BLOCK_ROWS else block[: rows * dim * 4])


def _write_ngram_rows(out, vectors: np.ndarray, buckets: np.ndarray | None, bucket: int, dim: int) -> None:
    """All `bucket` n-gram rows in bucket order: the model's rows where it has them, else zero."""
    if buckets is None:
        _write_rows(out, vectors, bucket)
        return
    for start in range(0, bucket, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, bucket)
        block = np.zeros((stop - start, dim), "<f4")
        lo, hi = np.searchsorted(buckets, [start, stop])
        block[buckets[lo:hi] - start] = vectors[lo:hi]
        if not np.isfinite(block).all():
            raise VectorFileError("cannot write a fastText model: the n-gram rows hold NaN/Inf")
        out.write(block.tobytes())


def load_facebook_vectors(path: str | os.PathLike, limit: int | None = None):
    """A fastText `.bin` model's vectors (gensim's `load_facebook_vectors`): SubwordVectors,
    memory-mapped, answering for unseen words exactly as fastText's `get_word_vector`."""
    from wordvec.formats import _check_limit
    from wordvec.vectors import KeyedVectors

    return KeyedVectors._from_data(read_model(path, limit=_check_limit(limit)))
