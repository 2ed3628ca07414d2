"""Shards: a corpus cut into contiguous parts of about equal bytes, one per cluster worker.

A directory's files (in the order `corpus.resolve_inputs` reads them) and the bytes of each file
are laid end to end and cut at equal byte marks; a cut inside an uncompressed file becomes a byte
range, read as the whole lines that start in it (`corpus.line_start`), so the shards together
hold every line exactly once, in order. A compressed file cannot be cut: it goes whole to the
shard where it begins. The driver only lists the files and their sizes; each worker opens its
own pieces, so no corpus text passes through the driver.

Each worker counts its words in one pass and keeps the provisional ids (`count_shard`); the
driver merges the counts in shard order (`merge_counts`), which gives exactly the vocabulary of
reading the whole corpus on one machine: the same counts, and ties broken by the same first
occurrences, because the shards are the corpus in order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from wordvec import corpus as corpus_mod
from wordvec.errors import CorpusError

#: a piece of a shard, as plain data (sent to workers, saved in checkpoints): a file and a byte
#: range of it, end None meaning to its end
Piece = dict


def plan_shards(source, parts: int, *, exclude=()) -> list[list[Piece]]:
    """`parts` lists of pieces covering the corpus at `source` (a file, a directory or a dataset
    name) in reading order, of about equal bytes. A shard can be empty when the corpus has fewer
    lines than parts; the caller refuses that once the words are counted."""
    if not isinstance(parts, int) or isinstance(parts, bool) or parts < 1:
        raise ValueError(f"parts must be an int >= 1, got {parts!r}")
    if not isinstance(source, (str, os.PathLike)):
        raise ValueError("cluster training reads its corpus from files every worker can open: give a "
                         "path, a directory or a dataset name, not sentences in memory")
    inputs = corpus_mod.resolve_inputs(source, exclude=exclude)
    sizes = []
    for item in inputs:
        try:
            sizes.append(item.path.stat().st_size)
        except OSError as exc:
            raise CorpusError(f"cannot read corpus {item.label}: {corpus_mod._reason(exc)}") from None
    total = sum(sizes)
    marks = [(k * total) // parts for k in range(parts + 1)]
    shards: list[list[Piece]] = [[] for _ in range(parts)]
    begin = 0  # the file's first byte in the laid-out corpus
    for item, size in zip(inputs, sizes):
        path = str(item.path.resolve())
        if size == 0:
            pass
        elif item.compressed:
            shards[_shard_of(marks, begin)].append({"path": path, "start": 0, "end": None})
        else:
            for k in range(parts):
                lo, hi = max(begin, marks[k]), min(begin + size, marks[k + 1])
                if lo < hi:
                    start, end = lo - begin, hi - begin
                    shards[k].append({"path": path, "start": start, "end": None if end == size else end})
        begin += size
    return shards


def _shard_of(marks: list[int], at: int) -> int:
    """The shard whose byte marks hold position `at`."""
    return max(0, min(len(marks) - 2, int(np.searchsorted(marks, at, side="right")) - 1))


def check_shards(shards) -> list[list[Piece]]:
    """Shards read from a checkpoint, checked to be lists of well-formed pieces."""
    if not isinstance(shards, list) or not shards:
        raise ValueError("shards must be a non-empty list")
    for pieces in shards:
        if not isinstance(pieces, list):
            raise ValueError("each shard must be a list of pieces")
        for piece in pieces:
            if not (isinstance(piece, dict) and set(piece) == {"path", "start", "end"}
                    and isinstance(piece["path"], str) and piece["path"]
                    and isinstance(piece["start"], int) and not isinstance(piece["start"], bool)
                    and piece["start"] >= 0
                    and (piece["end"] is None or (isinstance(piece["end"], int)
                                                  and not isinstance(piece["end"], bool)
                                                  and piece["end"] > piece["start"]))):
                raise ValueError(f"malformed shard piece {piece!r:.80}")
    return shards


def shard_inputs(pieces: Sequence[Piece]) -> list:
    """The `corpus._Input` streams of a shard's pieces."""
    out = []
    for piece in pieces:
        path = Path(piece["path"])
        whole = piece["start"] == 0 and piece["end"] is None
        label = str(path) if whole else f"{path} (bytes {piece['start']}-{piece['end'] or 'end'})"
        out.append(corpus_mod._Input(label, path, start=piece["start"], end=piece["end"]))
    return out


def count_shard(pieces: Sequence[Piece], *, lowercase: bool, errors: str):
    """Read a shard once: (scan holding its provisional ids, distinct words in first-seen order,
    their counts, the remap of colliding words or None); see `corpus._Scan.words`."""
    if errors not in corpus_mod.ERRORS:
        raise ValueError(f"errors must be one of {', '.join(corpus_mod.ERRORS)}, got {errors!r}")
    inputs = shard_inputs(pieces)
    scan = corpus_mod._Scan(True, None, sum(item.size_hint() for item in inputs))
    for item in inputs:
        scan.feed(item)
    words, counts, remap = scan.words(lowercase, errors)
    return scan, words, counts, remap


def encode_shard(scan, words: list[str], remap, vocab, label: str):
    """The counted shard as an EncodedCorpus in the merged vocabulary (its scan is used up)."""
    get = vocab.key_to_index.get
    new_id = np.fromiter((get(w, -1) for w in words), np.int32, len(words))
    if remap is not None:
        new_id = new_id[remap]
    return corpus_mod._finish(scan, new_id, vocab, label)


def merge_counts(per_shard: Iterable[tuple[Sequence[str], np.ndarray]]) -> tuple[list[str], np.ndarray]:
    """Distinct words of all shards in first-seen order of the whole corpus, and their counts.

    Memory is one entry per distinct word of the corpus (what one machine needs too); the
    shards' tables are merged one at a time."""
    index: dict[str, int] = {}
    counts: list[int] = []
    for words, shard_counts in per_shard:
        for word, n in zip(words, np.asarray(shard_counts, dtype=np.int64).tolist()):
            i = index.get(word)
            if i is None:
                index[word] = len(counts)
                counts.append(n)
            else:
                counts[i] += n
    return list(index), np.array(counts, dtype=np.int64)


def merged_vocabulary(per_shard, *, min_count: int, max_size: int | None, lowercase: bool, label: str):
    """The Vocabulary that reading the whole corpus on one machine would build."""
    words, counts = merge_counts(per_shard)
    if not words:
        raise CorpusError(f"corpus {label} is empty (no words)")
    vocab, _ = corpus_mod._select(words, counts, min_count, max_size, "frequency", label,
                                  lowercase=lowercase, eos_token=None)
    return vocab
