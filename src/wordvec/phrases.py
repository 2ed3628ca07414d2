"""Collocation detection (`new york` -> `new_york`): gensim 4's `Phrases` and `FrozenPhrases`,
compiled.

The model is gensim's: every pair of adjacent words, with any run of connector words between
them (`bank_of_america`), is a phrase candidate; connector words are never counted on their own;
a candidate is joined when its score is above `threshold`. Scorers:

- `"default"`, word2phrase's (Mikolov et al. 2013): (count(ab) - min_count) / (count(a) count(b))
  x the number of distinct words and candidates;
- `"npmi"` (Bouma 2009): ln(p(ab) / (p(a) p(b))) / -ln(p(ab)), in [-1, 1], zero below min_count;
- any function of gensim's keywords (worda_count, wordb_count, bigram_count, len_vocab, min_count,
  corpus_word_count).

Sentences are applied left to right as gensim does, so the same settings give the same phrases
(tests compare on PTB). Unlike gensim's pure-Python loops, text is read by wordvec's compiled
tokenizer and both counting and applying run in Numba kernels, chunk by chunk (16 MiB at a
time), so memory is bounded by the chunk and the table; `max_vocab_size` prunes the table as
gensim does (entries below a rising count are dropped whenever it grows past the limit; gensim
checks after every sentence, wordvec after every chunk). Saved models are JSON + `.npy`, never
pickles.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from wordvec._jit import njit
from wordvec.errors import CorpusError, WordvecError

#: gensim's English connector words (gensim.models.phrases.ENGLISH_CONNECTOR_WORDS)
ENGLISH_CONNECTOR_WORDS = frozenset(
    "a an the for of with without at from to in on by and or".split())
PHRASES_FORMAT = "wordvec-phrases"
PHRASES_FORMAT_VERSION = 1
MAX_SENTENCE = 10_000  # LineSentence's max_sentence_length: longer lines of a file are cut
_BATCH_SENTENCES = 20_000  # sentences of a token-list corpus applied per kernel call


# ---------------------------------------------------------------------------- scorers


def original_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    """word2phrase's score: (count(ab) - min_count) / (count(a) count(b)) * len_vocab."""
    denom = worda_count * wordb_count
    if denom == 0:
        return -math.inf
    return (bigram_count - min_count) / float(denom) * len_vocab


def npmi_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    """Normalized pointwise mutual information, in [-1, 1]; -inf below min_count."""
    if bigram_count < min_count:
        return -math.inf
    n = float(corpus_word_count)
    pa, pb, pab = worda_count / n, wordb_count / n, bigram_count / n
    try:
        return math.log(pab / (pa * pb)) / -math.log(pab)
    except (ValueError, ZeroDivisionError):
        return -math.inf


def _scores(scoring, a, b, ab, len_vocab: int, min_count: int, corpus_word_count: int) -> np.ndarray:
    """Scores of many candidates (count arrays), the scorer's arithmetic in float64."""
    a, b, ab = (np.asarray(x, dtype=np.int64) for x in (a, b, ab))
    with np.errstate(divide="ignore", invalid="ignore"):
        if scoring == "default":
            denom = (a * b).astype(np.float64)
            out = (ab - min_count) / denom * len_vocab
            out[denom == 0] = -np.inf
            return out
        if scoring == "npmi":
            n = float(corpus_word_count)
            pab = ab / n
            out = np.log(pab / ((a / n) * (b / n))) / -np.log(pab)
            out[(ab < min_count) | ~np.isfinite(out)] = -np.inf
            return out
    return np.array([float(scoring(worda_count=int(x), wordb_count=int(y), bigram_count=int(z), len_vocab=len_vocab,
                                   min_count=min_count, corpus_word_count=corpus_word_count))
                     for x, y, z in zip(a.tolist(), b.tolist(), ab.tolist())], dtype=np.float64)


# ---------------------------------------------------------------------------- kernels

_FNV = np.uint64(0xCBF29CE484222325)
_MUL = np.uint64(0x100000001B3)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(inline="always", cache=True)
def _span_key(model_ids, scan_ids, a, b):
    """64-bit key of the token sequence scan_ids[a:b] in model ids (-1 when one is unknown...
    returned as key 0 with ok=False)."""
    h = _FNV
    for k in range(a, b):
        m = model_ids[scan_ids[k]]
        if m < 0:
            return np.uint64(0), False
        h = (h ^ np.uint64(m)) * _MUL
        h = (h ^ (h >> np.uint64(29))) * _M1
    h = (h ^ (h >> np.uint64(31))) * _M2
    return h ^ (h >> np.uint64(33)), True


@njit(cache=True)
def learn_chunk(scan_ids, offsets, model_ids, is_conn, unigram, keys, starts, lengths, max_len):
    """Count one chunk: unigram[m] += 1 for each non-connector word; every candidate (a word, the
    connectors after it, the next word) gets its key, start and length. Sentences are cut every
    `max_len` tokens (0: never). Returns the number of candidates."""
    n = 0
    for s in range(offsets.shape[0] - 1):
        start = -1
        first = offsets[s]
        for p in range(offsets[s], offsets[s + 1]):
            if max_len > 0 and (p - first) % max_len == 0:
                start = -1  # a new piece of a long line: no phrase across the cut
            w = scan_ids[p]
            if not is_conn[w]:
                unigram[model_ids[w]] += 1
                if start >= 0:
                    key, ok = _span_key(model_ids, scan_ids, start, p + 1)
                    keys[n] = key
                    starts[n] = start
                    lengths[n] = p + 1 - start
                    n += 1
                start = p
    return n


@njit(cache=True)
def same_spans(scan_ids, model_ids, starts, lengths, order, group_first, ref_tokens, ref_offsets, ref_index):
    """True when every candidate in sorted `order` equals its group's reference sequence
    (ref_tokens[ref_offsets[g]:ref_offsets[g + 1]] for group ref_index[group]); a False means two
    sequences share a key (a hash collision)."""
    g = -1
    for i in range(order.shape[0]):
        if group_first[i]:
            g += 1
        r = ref_index[g]
        if r < 0:
            continue
        j = order[i]
        a, n = starts[j], lengths[j]
        if ref_offsets[r + 1] - ref_offsets[r] != n:
            return False
        for k in range(n):
            if model_ids[scan_ids[a + k]] != ref_tokens[ref_offsets[r] + k]:
                return False
    return True


@njit(inline="always", cache=True)
def _find(model_ids, scan_ids, a, b, acc_keys, acc_offsets, acc_tokens):
    key, ok = _span_key(model_ids, scan_ids, a, b)
    if not ok:
        return -1
    i = np.searchsorted(acc_keys, key)
    while i < acc_keys.shape[0] and acc_keys[i] == key:
        if acc_offsets[i + 1] - acc_offsets[i] == b - a:
            same = True
            for k in range(b - a):
                if acc_tokens[acc_offsets[i] + k] != model_ids[scan_ids[a + k]]:
                    same = False
                    break
            if same:
                return i
        i += 1
    return -1


@njit(cache=True)
def apply_chunk(scan_ids, offsets, model_ids, is_conn, acc_keys, acc_offsets, acc_tokens, out_start, out_phrase,
                out_offsets, max_len):
    """gensim's `analyze_sentence` over a chunk: output token k covers scan positions
    out_start[k]..out_start[k + 1] (a phrase when out_phrase[k] >= 0, its accepted index);
    out_offsets[s] is sentence s's first output token. Returns the output token count."""
    n = 0
    out_offsets[0] = 0
    n_sent = 0
    for s in range(offsets.shape[0] - 1):
        lo, hi = offsets[s], offsets[s + 1]
        piece = lo
        while piece < hi:
            end = min(hi, piece + max_len) if max_len > 0 else hi
            start = -1
            for p in range(piece, end):
                w = scan_ids[p]
                if not is_conn[w]:
                    if start >= 0:
                        found = _find(model_ids, scan_ids, start, p + 1, acc_keys, acc_offsets, acc_tokens)
                        if found >= 0:
                            out_start[n] = start
                            out_phrase[n] = found
                            n += 1
                            start = -1
                        else:
                            for q in range(start, p):
                                out_start[n] = q
                                out_phrase[n] = -1
                                n += 1
                            start = p
                    else:
                        start = p
                elif start < 0:
                    out_start[n] = p
                    out_phrase[n] = -1
                    n += 1
            if start >= 0:
                for q in range(start, end):
                    out_start[n] = q
                    out_phrase[n] = -1
                    n += 1
            n_sent += 1
            out_offsets[n_sent] = n
            piece = end
    out_start[n] = offsets[offsets.shape[0] - 1]
    return n, n_sent


@njit(cache=True)
def write_chunk(scan_ids, out_start, n_out, out_offsets, n_sent, pool, ent_start, ent_len, delimiter, out):
    """The output text of `apply_chunk`: tokens joined by `delimiter` inside a phrase, spaces
    between tokens, a line per sentence. Returns the bytes written to `out`."""
    w = 0
    k = 0
    for s in range(n_sent):
        for t in range(out_offsets[s], out_offsets[s + 1]):
            if t > out_offsets[s]:
                out[w] = 32
                w += 1
            for p in range(out_start[t], out_start[t + 1]):
                if p > out_start[t]:
                    for d in range(delimiter.shape[0]):
                        out[w] = delimiter[d]
                        w += 1
                e = scan_ids[p]
                a = ent_start[e]
                for q in range(ent_len[e]):
                    out[w] = pool[a + q]
                    w += 1
        out[w] = 10
        w += 1
        k += 1
    return w


# ---------------------------------------------------------------------------- reading corpora


class _Reader:
    """Streams a corpus through the tokenizer, chunk by chunk, mapping its words to model ids."""

    def __init__(self, source, connector_words: frozenset, key_to_index: dict | None, words: list | None):
        from wordvec.corpus import _Scan, resolve_inputs

        self.inputs = resolve_inputs(source)
        self.scan = _Scan(True, None, 0)
        self.scan.presized = True
        self.connector_words = connector_words
        self.key_to_index = key_to_index  # None: words unknown to the model get -1 (applying)
        self.words = words
        self.model_ids = np.empty(1024, np.int32)
        self.is_conn = np.empty(1024, np.bool_)
        self.known = 0  # scan entries mapped so far
        self.cut = MAX_SENTENCE if all(i.path is not None for i in self.inputs) else 0

    def _map_new_words(self) -> None:
        n = self.scan.n_entries
        if n <= self.known:
            return
        if n > len(self.model_ids):
            size = max(n, 2 * len(self.model_ids))
            self.model_ids = np.resize(self.model_ids, size)
            self.is_conn = np.resize(self.is_conn, size)
        for e, raw in enumerate(self.scan.entry_bytes(self.known, n), start=self.known):
            try:
                word = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise CorpusError(f"invalid UTF-8 in the corpus (word {raw[:40]!r})") from None
            self.is_conn[e] = word in self.connector_words
            index = self.key_to_index.get(word, -1) if self.key_to_index is not None else -1
            if index < 0 and self.words is not None:  # learning: every word gets an id
                index = len(self.words)
                self.key_to_index[word] = index
                self.words.append(word)
            self.model_ids[e] = index
        self.known = n

    def run(self, consume: Callable[[np.ndarray, np.ndarray], None]) -> None:
        def drain(ids: np.ndarray, offsets: np.ndarray) -> None:
            self._map_new_words()
            consume(ids, offsets)

        self.scan.drain = drain
        for item in self.inputs:
            self.scan.feed(item)


# ---------------------------------------------------------------------------- the models


def _check_delimiter(delimiter: Any) -> bytes:
    if isinstance(delimiter, bytes):
        delimiter = delimiter.decode("utf-8")
    if not isinstance(delimiter, str) or not delimiter or any(c.isspace() for c in delimiter):
        raise ValueError(f"delimiter must be a non-empty string without whitespace, got {delimiter!r}")
    return delimiter


def _is_single(obj) -> tuple[bool, Any]:
    """(True, sentence) for one sentence (a list of str), (False, corpus) for an iterable of them."""
    if isinstance(obj, str):
        raise TypeError("give a sentence as a list of words, not a string")
    if isinstance(obj, (list, tuple)):
        if not obj or isinstance(obj[0], str):
            return True, list(obj)
        return False, obj
    iterator = iter(obj)
    try:
        first = next(iterator)
    except StopIteration:
        return True, []
    import itertools

    if isinstance(first, str):
        return True, [first, *iterator]
    return False, itertools.chain([first], iterator)


class _PhraseApplier:
    """What Phrases and FrozenPhrases share: applying accepted phrases to sentences and corpora."""

    delimiter: str
    connector_words: frozenset
    threshold: float

    # subclasses provide: _accepted() -> (keys, offsets, tokens, scores, strings), _words, _key_to_index

    def __getitem__(self, sentence):
        """One sentence (a list of words) -> its tokens with phrases joined; a corpus -> an
        iterable over its transformed sentences (computed in batches, compiled)."""
        single, sentence = _is_single(sentence)
        if single:
            return self._apply_one(sentence)
        return _TransformedCorpus(self, sentence)

    def analyze_sentence(self, sentence: Sequence[str]) -> Iterator[tuple[str, float | None]]:
        """(token, score) for each output token of one sentence, score None for single words."""
        phrases = self._phrase_scores()
        start, between = None, []
        join = self.delimiter.join
        for word in sentence:
            if word not in self.connector_words:
                if start is not None:
                    phrase = join([start, *between, word])
                    score = phrases.get(phrase)
                    if score is not None:
                        yield phrase, score
                        start, between = None, []
                        continue
                    yield start, None
                    for w in between:
                        yield w, None
                start, between = word, []
            elif start is not None:
                between.append(word)
            else:
                yield word, None
        if start is not None:
            yield start, None
            for w in between:
                yield w, None

    def _apply_one(self, sentence: Sequence[str]) -> list[str]:
        return [token for token, _ in self.analyze_sentence(sentence)]

    def _phrase_scores(self) -> dict[str, float]:
        return self._accepted()[4]

    def _apply_batch(self, sentences: list) -> list[list[str]]:
        """Many sentences at once through the tokenizer and `apply_chunk`; a batch the tokenizer
        would read differently (words holding whitespace, empty words, invalid text) takes the
        plain path, which gives the same answer slowly."""
        sentences = [s if isinstance(s, list) else list(s) for s in sentences]
        try:
            return self._compiled_batch(sentences)
        except (_Misaligned, CorpusError):
            return [self._apply_one(s) for s in sentences]

    def _compiled_batch(self, sentences: list[list[str]]) -> list[list[str]]:
        keep = [i for i, s in enumerate(sentences) if s]
        out: list[list[str]] = [[] for _ in sentences]
        if not keep:
            return out
        results: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        reader = _Reader([sentences[i] for i in keep], self.connector_words, self._key_to_index, None)
        keys, offsets, tokens, _, _ = self._accepted()

        def consume(ids: np.ndarray, sent_offsets: np.ndarray) -> None:
            results.append(self._run_apply(reader, ids, sent_offsets, keys, offsets, tokens, 0))

        reader.run(consume)
        scanned = [n_sent for _, _, _, n_sent in results]
        if sum(scanned) != len(keep):
            raise _Misaligned
        join = self.delimiter.join
        s = 0
        for out_start, out_phrase, out_offsets, n_sent in results:
            starts = out_start.tolist()
            for j in range(n_sent):
                words = sentences[keep[s]]
                a0 = starts[out_offsets[j]]  # position of the sentence's first token
                if starts[out_offsets[j + 1]] - a0 != len(words):
                    raise _Misaligned
                row = []
                for t in range(out_offsets[j], out_offsets[j + 1]):
                    a, b = starts[t] - a0, starts[t + 1] - a0
                    row.append(words[a] if b - a == 1 else join(words[a:b]))
                out[keep[s]] = row
                s += 1
        return out

    @staticmethod
    def _run_apply(reader, ids, sent_offsets, keys, offsets, tokens, cut):
        n = len(ids)
        out_start = np.empty(n + 1, np.int64)
        out_phrase = np.empty(n + 1, np.int64)
        pieces = len(sent_offsets) - 1 + (n // cut if cut else 0)
        out_offsets = np.empty(pieces + 2, np.int64)
        count, n_sent = apply_chunk(ids, sent_offsets, reader.model_ids, reader.is_conn, keys, offsets, tokens,
                                    out_start, out_phrase, out_offsets, cut)
        out_start[count] = sent_offsets[-1]
        return out_start[: count + 1].copy(), out_phrase[:count].copy(), out_offsets[: n_sent + 1].copy(), n_sent

    def apply(self, corpus, out: str | os.PathLike) -> tuple[int, int]:
        """Write `corpus` (a file, a directory, or token lists) with its phrases joined to `out`
        (one sentence a line; atomically). Returns (sentences, phrases joined)."""
        from wordvec.fileio import atomic_write

        source = _source(corpus)
        keys, offsets, tokens, _, _ = self._accepted()
        delimiter = np.frombuffer(self.delimiter.encode("utf-8"), np.uint8)
        totals = [0, 0]
        with atomic_write(out, "wb") as handle:
            reader = _Reader(source, self.connector_words, self._key_to_index, None)
            scan = reader.scan

            def consume(ids: np.ndarray, sent_offsets: np.ndarray) -> None:
                out_start, out_phrase, out_offsets, n_sent = self._run_apply(
                    reader, ids, sent_offsets, keys, offsets, tokens, reader.cut)
                widths = scan.ent_len[ids].astype(np.int64).sum() if len(ids) else 0
                buffer = np.empty(int(widths) + len(ids) * (len(delimiter) + 1) + n_sent + 16, np.uint8)
                written = write_chunk(ids, out_start, len(out_phrase), out_offsets, n_sent, scan.pool,
                                      scan.ent_start, scan.ent_len, delimiter, buffer)
                handle.write(buffer[:written].tobytes())
                totals[0] += n_sent
                totals[1] += int((out_phrase >= 0).sum())

            reader.run(consume)
        return totals[0], totals[1]

    def _find_in(self, corpus) -> dict[str, float]:
        """{phrase: score} of the phrases applying to `corpus` would join."""
        keys, offsets, tokens, scores, _ = self._accepted()
        found = np.zeros(len(keys), bool)
        reader = _Reader(_source(corpus), self.connector_words, self._key_to_index, None)

        def consume(ids: np.ndarray, sent_offsets: np.ndarray) -> None:
            _, out_phrase, _, _ = self._run_apply(reader, ids, sent_offsets, keys, offsets, tokens, reader.cut)
            found[out_phrase[out_phrase >= 0]] = True

        reader.run(consume)
        return {self._phrase_string(i): float(scores[i]) for i in np.flatnonzero(found)}

    def _phrase_string(self, i: int) -> str:
        _, offsets, tokens, _, _ = self._accepted()
        return self.delimiter.join(self._words[t] for t in tokens[offsets[i]:offsets[i + 1]].tolist())


class _Misaligned(Exception):
    """The tokenizer read a batch of token lists into other tokens than the lists hold."""


class _TransformedCorpus:
    """`phrases[corpus]`: iterating yields each sentence with its phrases joined (in batches)."""

    def __init__(self, model: _PhraseApplier, corpus: Iterable[Sequence[str]]):
        self.model, self.corpus = model, corpus

    def __iter__(self) -> Iterator[list[str]]:
        batch: list[list[str]] = []
        for sentence in self.corpus:
            batch.append(sentence)
            if len(batch) >= _BATCH_SENTENCES:
                yield from self.model._apply_batch(batch)
                batch = []
        if batch:
            yield from self.model._apply_batch(batch)

    def __len__(self) -> int:
        return len(self.corpus)  # type: ignore[arg-type]


def _source(corpus):
    """A path for the tokenizer when the corpus is (or wraps) a file, else the token lists."""
    if isinstance(corpus, (str, os.PathLike)):
        return os.fspath(corpus)
    path = getattr(corpus, "_wordvec_path", None)
    if callable(path) and path() is not None:
        return path()
    return corpus


class Phrases(_PhraseApplier):
    """Learn phrases from a corpus (token lists, a `LineSentence`, a file or a directory).

    `Phrases(sentences, min_count=5, threshold=10.0, max_vocab_size=40_000_000, delimiter="_",
    scoring="default", connector_words=frozenset())`, gensim 4's parameters and defaults;
    `phrases[sentence]`, `phrases[corpus]`, `add_vocab`, `find_phrases`, `export_phrases`,
    `freeze()`, `save`/`load`, `vocab` (a dict of words and candidates with their counts).
    """

    def __init__(self, sentences=None, min_count: float = 5, threshold: float = 10.0,
                 max_vocab_size: int = 40_000_000, delimiter: str = "_", progress_per: int = 10000,
                 scoring: str | Callable = "default", connector_words: Iterable[str] = frozenset()) -> None:
        if isinstance(min_count, bool) or not isinstance(min_count, (int, float)) or not min_count > 0:
            raise ValueError(f"min_count must be > 0, got {min_count!r}")
        if isinstance(scoring, str):
            if scoring not in ("default", "npmi"):
                raise ValueError(f"unknown scoring {scoring!r}: use 'default', 'npmi' or a function")
        elif not callable(scoring):
            raise ValueError("scoring must be 'default', 'npmi' or a function")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or math.isnan(threshold):
            raise ValueError(f"threshold must be a number, got {threshold!r}")
        if scoring == "default" and threshold <= 0:
            raise ValueError("threshold must be positive with the default scoring")
        if scoring == "npmi" and not -1 <= threshold <= 1:
            raise ValueError("threshold must be between -1 and 1 with npmi scoring")
        if isinstance(max_vocab_size, bool) or not isinstance(max_vocab_size, int) or max_vocab_size < 1:
            raise ValueError(f"max_vocab_size must be a whole number >= 1, got {max_vocab_size!r}")
        self.min_count = min_count
        self.threshold = threshold
        self.max_vocab_size = max_vocab_size
        self.delimiter = _check_delimiter(delimiter)
        self.progress_per = progress_per
        self.scoring = scoring
        self.connector_words = frozenset(connector_words)
        self.min_reduce = 1
        self.corpus_word_count = 0
        self._words: list[str] = []
        self._key_to_index: dict[str, int] = {}
        self._unigram = np.zeros(0, np.int64)
        self._keys = np.zeros(0, np.uint64)  # candidates: sorted keys, counts, token sequences (CSR)
        self._counts = np.zeros(0, np.int64)
        self._offsets = np.zeros(1, np.int64)
        self._tokens = np.zeros(0, np.int32)
        self._cache: tuple | None = None
        if sentences is not None:
            self.add_vocab(sentences)

    def __repr__(self) -> str:
        return (f"Phrases<{len(self)} vocab, min_count={self.min_count}, threshold={self.threshold}, "
                f"max_vocab_size={self.max_vocab_size}>")

    def __len__(self) -> int:
        """Distinct words and candidates counted (gensim's len(phrases.vocab))."""
        return int(np.count_nonzero(self._unigram)) + len(self._keys)

    # ---- learning ----

    def add_vocab(self, sentences) -> None:
        """Count the words and candidates of more text (a corpus as for the constructor)."""
        reader = _Reader(_source(sentences), self.connector_words, self._key_to_index, self._words)

        def consume(ids: np.ndarray, offsets: np.ndarray) -> None:
            if len(self._words) > len(self._unigram):
                self._unigram = np.concatenate([self._unigram, np.zeros(len(self._words) - len(self._unigram),
                                                                        np.int64)])
            n = len(ids)
            keys = np.empty(n, np.uint64)
            starts = np.empty(n, np.int64)
            lengths = np.empty(n, np.int64)
            found = learn_chunk(ids, offsets, reader.model_ids, reader.is_conn, self._unigram, keys, starts,
                                lengths, reader.cut)
            self.corpus_word_count += n
            self._merge(ids, reader.model_ids, keys[:found], starts[:found], lengths[:found])
            if len(self) > self.max_vocab_size:
                self._prune(self.min_reduce)
                self.min_reduce += 1

        reader.run(consume)
        self._cache = None

    def _merge(self, ids, model_ids, keys, starts, lengths) -> None:
        """Add one chunk's candidates to the table (new keys keep the chunk's token sequence)."""
        if len(keys) == 0:
            return
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        first = np.ones(len(order), bool)
        first[1:] = sorted_keys[1:] != sorted_keys[:-1]
        group_keys = sorted_keys[first]
        group_counts = np.diff(np.append(np.flatnonzero(first), len(order)))
        reps = order[first]
        rep_lengths = lengths[reps]
        rep_offsets = np.zeros(len(reps) + 1, np.int64)
        np.cumsum(rep_lengths, out=rep_offsets[1:])
        positions = np.repeat(starts[reps] - rep_offsets[:-1], rep_lengths) + np.arange(rep_offsets[-1])
        rep_tokens = model_ids[ids[positions]].astype(np.int32)
        if not same_spans(ids, model_ids, starts, lengths, order, first, rep_tokens, rep_offsets,
                          np.arange(len(reps), dtype=np.int64)):
            raise WordvecError("two different phrase candidates share a 64-bit key; please report this corpus")
        # merge with the table: keys present in both must hold the same sequence
        at = np.searchsorted(self._keys, group_keys)
        hit = np.zeros(len(group_keys), bool)
        inside = at < len(self._keys)
        hit[inside] = self._keys[at[inside]] == group_keys[inside]
        if hit.any():
            old = at[hit]
            old_len = self._offsets[old + 1] - self._offsets[old]
            new_len = rep_offsets[np.flatnonzero(hit) + 1] - rep_offsets[np.flatnonzero(hit)]
            if np.any(old_len != new_len) or not _same_tokens(self._tokens, self._offsets, old, rep_tokens,
                                                              rep_offsets, np.flatnonzero(hit)):
                raise WordvecError("two different phrase candidates share a 64-bit key; please report this corpus")
            np.add.at(self._counts, old, group_counts[hit])
        new = np.flatnonzero(~hit)
        if len(new):
            keys_all = np.concatenate([self._keys, group_keys[new]])
            counts_all = np.concatenate([self._counts, group_counts[new]])
            lengths_all = np.concatenate([np.diff(self._offsets), rep_lengths[new]])
            tokens_new = rep_tokens[_csr_take(rep_offsets, new)]
            tokens_all = np.concatenate([self._tokens, tokens_new])
            offsets_all = np.zeros(len(keys_all) + 1, np.int64)
            np.cumsum(lengths_all, out=offsets_all[1:])
            order = np.argsort(keys_all, kind="stable")
            self._keys, self._counts = keys_all[order], counts_all[order]
            self._tokens = tokens_all[_csr_take(offsets_all, order)].astype(np.int32)
            self._offsets = np.zeros(len(order) + 1, np.int64)
            np.cumsum(lengths_all[order], out=self._offsets[1:])

    def _prune(self, min_reduce: int) -> None:
        """gensim's prune_vocab: drop words and candidates counted fewer than `min_reduce` times."""
        self._unigram[self._unigram < min_reduce] = 0
        keep = np.flatnonzero(self._counts >= min_reduce)
        lengths = np.diff(self._offsets)[keep]
        self._tokens = self._tokens[_csr_take(self._offsets, keep)]
        self._keys, self._counts = self._keys[keep], self._counts[keep]
        self._offsets = np.zeros(len(keep) + 1, np.int64)
        np.cumsum(lengths, out=self._offsets[1:])

    # ---- scoring ----

    def _accepted(self):
        """The candidates scoring above threshold: (keys, token offsets, tokens, scores, {string: score}),
        recomputed when a setting changed."""
        settings = (self.threshold, self.min_count, self.scoring if isinstance(self.scoring, str) else id(self.scoring),
                    self.delimiter, len(self._keys), self.corpus_word_count, int(self._counts.sum()))
        if self._cache is not None and self._cache[0] == settings:
            return self._cache[1]
        first = self._tokens[self._offsets[:-1]] if len(self._keys) else np.zeros(0, np.int64)
        last = self._tokens[self._offsets[1:] - 1] if len(self._keys) else np.zeros(0, np.int64)
        a, b = self._unigram[first], self._unigram[last]
        scores = _scores(self.scoring, a, b, self._counts, len(self), self.min_count, self.corpus_word_count)
        ok = np.flatnonzero((a > 0) & (b > 0) & (self._counts > 0) & (scores > self.threshold))
        lengths = np.diff(self._offsets)[ok]
        offsets = np.zeros(len(ok) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        tokens = self._tokens[_csr_take(self._offsets, ok)].astype(np.int32)
        words, join = self._words, self.delimiter.join
        strings = {join(words[t] for t in tokens[offsets[i]:offsets[i + 1]].tolist()): float(scores[k])
                   for i, k in enumerate(ok.tolist())}
        result = (self._keys[ok].copy(), offsets, tokens, scores[ok], strings)
        self._cache = (settings, result)
        return result

    def score_candidate(self, word_a: str, word_b: str, in_between: Sequence[str]) -> tuple[str | None, float | None]:
        """(phrase, score) when `word_a in_between... word_b` scores above threshold, else (None, None)."""
        ia, ib = self._key_to_index.get(word_a, -1), self._key_to_index.get(word_b, -1)
        if ia < 0 or ib < 0 or self._unigram[ia] <= 0 or self._unigram[ib] <= 0:
            return None, None
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        count = self.vocab_count(phrase)
        if count <= 0:
            return None, None
        score = _scores(self.scoring, [self._unigram[ia]], [self._unigram[ib]], [count], len(self), self.min_count,
                        self.corpus_word_count)[0]
        return (phrase, float(score)) if score > self.threshold else (None, None)

    def vocab_count(self, token: str) -> int:
        """The count of a word or of a candidate (its words joined by the delimiter)."""
        index = self._key_to_index.get(token, -1)
        if index >= 0:
            return int(self._unigram[index])
        return int(self.vocab.get(token, 0)) if self.delimiter in token else 0

    @property
    def vocab(self) -> dict[str, int]:
        """Every word and candidate counted (connector words alone are not), as gensim's."""
        out = {w: int(c) for w, c in zip(self._words, self._unigram.tolist()) if c > 0}
        join, words = self.delimiter.join, self._words
        tokens, offsets = self._tokens.tolist(), self._offsets.tolist()
        for i, count in enumerate(self._counts.tolist()):
            out[join(words[t] for t in tokens[offsets[i]:offsets[i + 1]])] = int(count)
        return out

    def export_phrases(self) -> dict[str, float]:
        """{phrase: score} of every candidate scoring above threshold."""
        return dict(self._accepted()[4])

    def find_phrases(self, sentences) -> dict[str, float]:
        """{phrase: score} of the phrases found when applying the model to `sentences`."""
        return self._find_in(sentences)

    def freeze(self) -> "FrozenPhrases":
        """A smaller, faster model holding only the phrases above threshold (gensim's Phraser)."""
        return FrozenPhrases(self)

    # ---- files ----

    def save(self, fname: str | os.PathLike) -> None:
        """Write the model (JSON settings and words, `.npy` counts and candidates; no pickle)."""
        if not isinstance(self.scoring, str):
            raise WordvecError("a model with a custom scoring function cannot be saved (functions are not "
                               "stored: wordvec never pickles); freeze() it and save the FrozenPhrases")
        header = {"class": "Phrases", "min_count": self.min_count, "threshold": self.threshold,
                  "max_vocab_size": self.max_vocab_size, "delimiter": self.delimiter, "scoring": self.scoring,
                  "connector_words": sorted(self.connector_words), "min_reduce": self.min_reduce,
                  "corpus_word_count": self.corpus_word_count, "words": self._words}
        _save(fname, header, {"unigram": self._unigram, "keys": self._keys, "counts": self._counts,
                              "offsets": self._offsets, "tokens": self._tokens})

    @classmethod
    def load(cls, fname: str | os.PathLike) -> "Phrases | FrozenPhrases":
        """Read a saved Phrases or FrozenPhrases (whichever was saved, as gensim's load)."""
        return _load(fname)


class FrozenPhrases(_PhraseApplier):
    """The phrases of a `Phrases` model that score above its threshold, and nothing else:
    `FrozenPhrases(phrases)` (or `phrases.freeze()`); apply it as the model it came from."""

    def __init__(self, phrases_model: Phrases) -> None:
        if not isinstance(phrases_model, Phrases):
            raise TypeError("FrozenPhrases is made from a Phrases model")
        keys, offsets, tokens, scores, strings = phrases_model._accepted()
        used = np.unique(tokens)
        words = [phrases_model._words[i] for i in used.tolist()]
        remap = np.full(len(phrases_model._words) + 1, -1, np.int64)
        remap[used] = np.arange(len(used))
        self._init(phrases_model.threshold, phrases_model.min_count, phrases_model.delimiter,
                   phrases_model.connector_words, phrases_model.scoring if isinstance(phrases_model.scoring, str)
                   else "custom", words, offsets, remap[tokens].astype(np.int32), scores)

    def _init(self, threshold, min_count, delimiter, connector_words, scoring, words, offsets, tokens, scores):
        self.threshold = threshold
        self.min_count = min_count
        self.delimiter = _check_delimiter(delimiter)
        self.connector_words = frozenset(connector_words)
        self.scoring = scoring
        self._words = list(words)
        self._key_to_index = {w: i for i, w in enumerate(self._words)}
        keys = _keys_of(tokens, offsets)
        order = np.argsort(keys, kind="stable")
        lengths = np.diff(offsets)[order]
        self._tokens = tokens[_csr_take(offsets, order)].astype(np.int32)
        self._offsets = np.zeros(len(order) + 1, np.int64)
        np.cumsum(lengths, out=self._offsets[1:])
        self._keys = keys[order]
        self._scores = np.asarray(scores, np.float64)[order]
        join = self.delimiter.join
        self.phrasegrams = {join(self._words[t] for t in self._tokens[self._offsets[i]:self._offsets[i + 1]].tolist()):
                            float(self._scores[i]) for i in range(len(order))}

    def __repr__(self) -> str:
        return f"FrozenPhrases<{len(self.phrasegrams)} phrases, threshold={self.threshold}>"

    def _accepted(self):
        return self._keys, self._offsets, self._tokens, self._scores, self.phrasegrams

    def score_candidate(self, word_a: str, word_b: str, in_between: Sequence[str]) -> tuple[str | None, float | None]:
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        score = self.phrasegrams.get(phrase)
        return (phrase, score) if score is not None and score > self.threshold else (None, None)

    def export_phrases(self) -> dict[str, float]:
        return dict(self.phrasegrams)

    def find_phrases(self, sentences) -> dict[str, float]:
        return self._find_in(sentences)

    def save(self, fname: str | os.PathLike) -> None:
        header = {"class": "FrozenPhrases", "threshold": self.threshold, "min_count": self.min_count,
                  "delimiter": self.delimiter, "connector_words": sorted(self.connector_words),
                  "scoring": self.scoring, "words": self._words}
        _save(fname, header, {"offsets": self._offsets, "tokens": self._tokens, "scores": self._scores})

    @classmethod
    def load(cls, fname: str | os.PathLike) -> "Phrases | FrozenPhrases":
        return _load(fname)


#: gensim's old name of FrozenPhrases
Phraser = FrozenPhrases


# ---------------------------------------------------------------------------- helpers


def _csr_take(offsets: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions of CSR rows `rows`, concatenated in that order."""
    rows = np.asarray(rows, dtype=np.int64)
    lengths = offsets[rows + 1] - offsets[rows]
    if len(rows) == 0:
        return np.zeros(0, np.int64)
    starts = np.repeat(offsets[rows] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return starts + np.arange(int(lengths.sum()))


def _same_tokens(tokens, offsets, rows, other_tokens, other_offsets, other_rows) -> bool:
    a = tokens[_csr_take(offsets, rows)]
    b = other_tokens[_csr_take(other_offsets, other_rows)]
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _keys_of(tokens: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The key of each CSR sequence of model ids (as the kernels compute them)."""
    identity = np.arange(int(tokens.max(initial=-1)) + 1, dtype=np.int32)
    keys = np.empty(len(offsets) - 1, np.uint64)
    _keys_kernel(tokens.astype(np.int32), offsets, identity, keys)
    return keys


@njit(cache=True)
def _keys_kernel(tokens, offsets, identity, keys):
    for i in range(keys.shape[0]):
        key, ok = _span_key(identity, tokens, offsets[i], offsets[i + 1])
        keys[i] = key


def _bad(path, why: str) -> WordvecError:
    return WordvecError(f"{path}: not a readable wordvec phrases model ({why})")


_ARRAYS = {"Phrases": {"unigram": np.int64, "keys": np.uint64, "counts": np.int64, "offsets": np.int64,
                       "tokens": np.int32},
           "FrozenPhrases": {"offsets": np.int64, "tokens": np.int32, "scores": np.float64}}


def _save(fname, header: dict, arrays: dict) -> None:
    from wordvec import __version__
    from wordvec.fileio import atomic_write

    header = {"format": PHRASES_FORMAT, "format_version": PHRASES_FORMAT_VERSION, "wordvec_version": __version__,
              **header}
    blob = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8")
    with atomic_write(fname, "wb") as out:
        np.savez(out, header=np.frombuffer(blob, np.uint8), **arrays)


def _load(fname):
    from wordvec.fileio import npz_members, read_npy_member

    path = os.fspath(fname)
    try:
        with zipfile.ZipFile(path) as archive:
            names = tuple(info.filename[:-4] for info in archive.infolist())
            kind = "FrozenPhrases" if "scores" in names else "Phrases"
            members = npz_members(archive, path, ("header", *_ARRAYS[kind]), _bad)
            blob = read_npy_member(archive, members["header"], path, np.uint8, [(None,)], _bad)
            header = json.loads(blob.tobytes().decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != PHRASES_FORMAT \
                    or header.get("class") != kind:
                raise _bad(path, "no wordvec phrases header")
            if header.get("format_version") != PHRASES_FORMAT_VERSION:
                raise _bad(path, f"format version {header.get('format_version')!r}")
            arrays = {name: read_npy_member(archive, members[name], path, dtype, [(None,)], _bad)
                      for name, dtype in _ARRAYS[kind].items()}
    except WordvecError:
        raise
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise _bad(path, str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__) from None
    words = header.get("words")
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words) or len(set(words)) != len(words):
        raise _bad(path, "'words' must be a list of distinct strings")
    offsets, tokens = arrays["offsets"], arrays["tokens"]
    if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(tokens) or np.any(np.diff(offsets) < 2) \
            or (len(tokens) and (tokens.min() < 0 or tokens.max() >= len(words))):
        raise _bad(path, "malformed candidate table")
    try:
        if kind == "FrozenPhrases":
            if len(arrays["scores"]) != len(offsets) - 1:
                raise _bad(path, "one score per phrase expected")
            model = FrozenPhrases.__new__(FrozenPhrases)
            model._init(header["threshold"], header["min_count"], header["delimiter"], header["connector_words"],
                        header["scoring"], words, offsets, tokens, arrays["scores"])
            return model
        model = Phrases(min_count=header["min_count"], threshold=header["threshold"],
                        max_vocab_size=header["max_vocab_size"], delimiter=header["delimiter"],
                        scoring=header["scoring"], connector_words=header["connector_words"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(path, f"bad settings ({exc})") from None
    n = len(offsets) - 1
    if len(arrays["unigram"]) != len(words) or len(arrays["keys"]) != n or len(arrays["counts"]) != n \
            or np.any(arrays["unigram"] < 0) or np.any(arrays["counts"] < 0):
        raise _bad(path, "counts do not match the words and candidates")
    if not np.array_equal(_keys_of(tokens, offsets), arrays["keys"]):
        raise _bad(path, "candidate keys do not match their words")
    if np.any(arrays["keys"][1:] < arrays["keys"][:-1]):
        raise _bad(path, "candidate keys are not sorted")
    model._words = words
    model._key_to_index = {w: i for i, w in enumerate(words)}
    model._unigram, model._keys, model._counts = arrays["unigram"], arrays["keys"], arrays["counts"]
    model._offsets, model._tokens = offsets, tokens
    model.min_reduce = int(header.get("min_reduce", 1))
    model.corpus_word_count = int(header.get("corpus_word_count", 0))
    return model
