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

import contextlib
import gc
import json
import math
import os
import zipfile
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from wordvec import phrase_kernels as pk
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
            denom = a.astype(np.float64) * b  # int64 products of huge counts would wrap
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


# ---------------------------------------------------------------------------- the table


class SequenceTable:
    """Distinct token sequences with counts: `phrase_kernels`' hash table and its arrays.

    Entries 0..n-1 in insertion order: rows of `ent` (key, first two tokens, count) and tokens
    `pool[starts[e]:starts[e] + lengths[e]]` (model ids); `slots` (int32, a power of two, at most
    half full) index them by key."""

    def __init__(self) -> None:
        self.n = 0
        self.used = 0
        self.ent = np.zeros((1024, 3), np.int64)
        self.starts = np.zeros(1024, np.int64)
        self.lengths = np.zeros(1024, np.int64)
        self.pool = np.zeros(4096, np.int32)
        self.slots = np.full(4096, pk.EMPTY, np.int32)

    def __len__(self) -> int:
        return self.n

    @property
    def counts(self) -> np.ndarray:
        """Count of each entry (a view)."""
        return self.ent[: self.n, pk.ENT_COUNT]

    @property
    def keys(self) -> np.ndarray:
        return self.ent[: self.n, pk.ENT_KEY].view(np.uint64)

    def reserve(self, entries: int, tokens: int) -> None:
        """Room for `entries` more entries holding `tokens` more tokens."""
        need = self.n + entries
        if need > len(self.ent):
            size = max(need, 2 * len(self.ent))
            for name in ("ent", "starts", "lengths"):
                old = getattr(self, name)
                new = np.zeros((size, *old.shape[1:]), old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        if self.used + tokens > len(self.pool):
            new = np.zeros(max(self.used + tokens, 2 * len(self.pool)), np.int32)
            new[: self.used] = self.pool[: self.used]
            self.pool = new
        if 2 * need > len(self.slots):
            self._rehash(1 << int(2 * need - 1).bit_length())

    def _rehash(self, size: int) -> None:
        self.slots = np.full(size, pk.EMPTY, np.int32)
        pk.rehash(self.slots, self.ent, self.n)

    def count(self, ids: np.ndarray, offsets: np.ndarray, model_ids: np.ndarray, is_conn: np.ndarray, cut: int,
              unigram: np.ndarray) -> None:
        """Count the candidates (and words) of one chunk; the table grows (doubling) as it fills."""
        sentence, n_sent = 0, len(offsets) - 1
        state = np.array([self.n, self.used], np.int64)
        while True:
            sentence = pk.count_chunk(ids, offsets, sentence, model_ids, is_conn, cut, unigram, self.slots, self.ent,
                                      self.starts, self.lengths, self.pool, state)
            self.n, self.used = int(state[0]), int(state[1])
            if sentence >= n_sent:
                return
            size = int(offsets[sentence + 1] - offsets[sentence])
            self.reserve(max(size, len(self.ent)), max(2 * size, len(self.pool)))

    def sequences(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CSR (offsets, tokens) of entries `rows`, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.lengths[rows]
        offsets = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        positions = np.repeat(self.starts[rows] - offsets[:-1], lengths) + np.arange(int(offsets[-1]))
        return offsets, self.pool[positions].astype(np.int32)

    def keep(self, rows: np.ndarray) -> None:
        """Keep only entries `rows` (in that order): gensim's pruning."""
        offsets, tokens = self.sequences(rows)
        ent = self.ent[rows].copy()
        self.__init__()
        self._fill(offsets, tokens, ent)

    @classmethod
    def from_sequences(cls, offsets: np.ndarray, tokens: np.ndarray, counts: np.ndarray) -> "SequenceTable":
        table = cls()
        offsets, tokens = np.asarray(offsets, np.int64), np.asarray(tokens, np.int32)
        ent = np.zeros((len(offsets) - 1, 3), np.int64)
        pk.sequence_keys(tokens, offsets[:-1].copy(), np.diff(offsets), ent)
        ent[:, pk.ENT_COUNT] = counts
        table._fill(offsets, tokens, ent)
        return table

    def _fill(self, offsets, tokens, ent) -> None:
        n = len(offsets) - 1
        self.reserve(n, len(tokens))
        self.pool[: len(tokens)] = tokens
        self.used = len(tokens)
        self.starts[:n] = offsets[:-1]
        self.lengths[:n] = np.diff(offsets)
        self.ent[:n] = ent
        self.n = n
        self._rehash(len(self.slots))

    def find(self, tokens: Sequence[int]) -> int:
        """Entry of a sequence of model ids, or -1."""
        ids = np.asarray(tokens, dtype=np.int32)
        if len(ids) < 2:
            return -1
        identity = np.arange(int(ids.max(initial=0)) + 1, dtype=np.int32)
        key, ok = pk.span_key(identity, ids, 0, len(ids))
        return int(pk.find(self.slots, self.ent, self.starts, self.lengths, self.pool, identity, ids, 0, len(ids),
                           key)) if ok else -1


class _Accepted:
    """The phrases a model joins: their table (entry i is accepted phrase i), scores, strings, and
    which words can begin one."""

    def __init__(self, offsets: np.ndarray, tokens: np.ndarray, scores: np.ndarray, words: list[str],
                 delimiter: str, n_words: int):
        self.table = SequenceTable.from_sequences(offsets, tokens, np.zeros(len(offsets) - 1, np.int64))
        self.offsets, self.tokens = offsets, tokens
        self.scores = np.asarray(scores, np.float64)
        self.can_start = np.zeros(max(n_words, 1), np.bool_)
        if len(tokens):
            self.can_start[tokens[offsets[:-1]]] = True
        join = delimiter.join
        listed, bounds = tokens.tolist(), offsets.tolist()
        self.strings = {join(words[t] for t in listed[bounds[i]:bounds[i + 1]]): float(self.scores[i])
                        for i in range(len(self.scores))}


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


def _check_delimiter(delimiter: Any) -> str:
    if isinstance(delimiter, bytes):
        delimiter = delimiter.decode("utf-8", "replace")
    if not isinstance(delimiter, str) or not delimiter or any(c.isspace() for c in delimiter):
        raise ValueError(f"delimiter must be a non-empty string without whitespace, got {delimiter!r}")
    try:
        delimiter.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"delimiter must be valid text, got {delimiter!r}") from None
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
    """What Phrases and FrozenPhrases share: applying the accepted phrases (`_accepted()`, an
    `_Accepted`) to sentences, corpora and files; `_words`/`_key_to_index` are the model's words."""

    delimiter: str
    connector_words: frozenset
    threshold: float

    def __getitem__(self, sentence):
        """One sentence (a list of words) -> its tokens with phrases joined; a corpus -> an
        iterable over its transformed sentences (computed in batches, compiled)."""
        single, sentence = _is_single(sentence)
        if single:
            return self._apply_one(sentence)
        return _TransformedCorpus(self, sentence)

    def analyze_sentence(self, sentence: Sequence[str]) -> Iterator[tuple[str, float | None]]:
        """(token, score) for each output token of one sentence, score None for single words."""
        phrases = self._accepted().strings
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
        out: list = [[] if not s else None for s in sentences]
        if not keep:
            return out
        results: list = []
        reader = _Reader([sentences[i] for i in keep], self.connector_words, self._key_to_index, None)
        accepted = self._accepted()
        reader.run(lambda ids, offsets: results.append(self._run_apply(reader, accepted, ids, offsets, 0)))
        if sum(n_sent for *_, n_sent in results) != len(keep):
            raise _Misaligned
        with _no_gc():  # many small lists: the cyclic collector would rescan the corpus again and again
            self._splice(sentences, keep, results, out)
        return out

    def _splice(self, sentences, keep, results, out) -> None:
        """Each sentence's tokens with its phrases joined, sliced from the sentence itself."""
        join = self.delimiter.join
        s = 0
        for out_start, out_phrase, out_offsets, n_sent in results:
            first = out_start[out_offsets[:-1]]  # each sentence's first position
            ends = out_start[out_offsets[1:]]
            phrase_tokens = np.flatnonzero(out_phrase >= 0)
            owner = np.searchsorted(out_offsets, phrase_tokens, side="right") - 1
            p_start, p_end = out_start[phrase_tokens], out_start[phrase_tokens + 1]
            bounds = np.searchsorted(owner, np.arange(n_sent + 1))
            first_l, ends_l, b_l = first.tolist(), ends.tolist(), bounds.tolist()
            ps, pe = p_start.tolist(), p_end.tolist()
            for j in range(n_sent):
                words = sentences[keep[s]]
                a0 = first_l[j]
                if ends_l[j] - a0 != len(words):
                    raise _Misaligned
                if b_l[j] == b_l[j + 1]:  # no phrase: the sentence as it is
                    out[keep[s]] = list(words)
                else:
                    row: list[str] = []
                    at = 0
                    for k in range(b_l[j], b_l[j + 1]):
                        a, b = ps[k] - a0, pe[k] - a0
                        row.extend(words[at:a])
                        row.append(join(words[a:b]))
                        at = b
                    row.extend(words[at:])
                    out[keep[s]] = row
                s += 1

    @staticmethod
    def _run_apply(reader, accepted, ids, sent_offsets, cut):
        n = len(ids)
        out_start = np.empty(n + 1, np.int64)
        out_phrase = np.empty(n + 1, np.int64)
        out_offsets = np.empty(len(sent_offsets) + (n // cut if cut else 0) + 1, np.int64)
        t = accepted.table
        can_start = accepted.can_start
        if len(can_start) < len(reader.model_ids):  # words the model never saw begin nothing
            can_start = np.concatenate([can_start, np.zeros(len(reader.model_ids) - len(can_start), np.bool_)])
        count, n_sent = pk.apply_chunk(ids, sent_offsets, reader.model_ids, reader.is_conn, can_start, t.slots, t.ent,
                                       t.starts, t.lengths, t.pool, cut, out_start, out_phrase, out_offsets)
        return out_start[: count + 1].copy(), out_phrase[:count].copy(), out_offsets[: n_sent + 1].copy(), n_sent

    def apply(self, corpus, out: str | os.PathLike) -> tuple[int, int]:
        """Write `corpus` (a file, a directory, or token lists) with its phrases joined to `out`
        (one sentence a line; atomically). Returns (sentences, phrases joined)."""
        from wordvec.fileio import atomic_write

        accepted = self._accepted()
        delimiter = np.frombuffer(self.delimiter.encode("utf-8"), np.uint8)
        totals = [0, 0]
        reader = _Reader(_source(corpus), self.connector_words, self._key_to_index, None)
        scan = reader.scan
        with atomic_write(out, "wb") as handle:
            def consume(ids: np.ndarray, sent_offsets: np.ndarray) -> None:
                out_start, out_phrase, out_offsets, n_sent = self._run_apply(reader, accepted, ids, sent_offsets,
                                                                             reader.cut)
                size = int(scan.ent_len[ids].sum()) + len(ids) * (len(delimiter) + 1) + n_sent + 16
                buffer = np.empty(size, np.uint8)
                written = pk.write_chunk(ids, out_start, len(out_phrase), out_offsets, n_sent, scan.pool,
                                         scan.ent_start, scan.ent_len, delimiter, buffer)
                handle.write(memoryview(buffer)[:written])
                totals[0] += n_sent
                totals[1] += int(np.count_nonzero(out_phrase >= 0))

            reader.run(consume)
        return totals[0], totals[1]

    def _find_in(self, corpus) -> dict[str, float]:
        """{phrase: score} of the phrases applying to `corpus` would join."""
        accepted = self._accepted()
        found = np.zeros(len(accepted.scores), bool)
        reader = _Reader(_source(corpus), self.connector_words, self._key_to_index, None)

        def consume(ids: np.ndarray, sent_offsets: np.ndarray) -> None:
            _, out_phrase, _, _ = self._run_apply(reader, accepted, ids, sent_offsets, reader.cut)
            found[out_phrase[out_phrase >= 0]] = True

        reader.run(consume)
        names = list(accepted.strings)
        return {names[i]: accepted.scores[i] for i in np.flatnonzero(found).tolist()}

    def export_phrases(self) -> dict[str, float]:
        """{phrase: score} of every phrase this model joins."""
        return dict(self._accepted().strings)

    def find_phrases(self, sentences) -> dict[str, float]:
        """{phrase: score} of the phrases found when applying the model to `sentences`."""
        return self._find_in(sentences)


@contextlib.contextmanager
def _no_gc():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def _check_threshold(scoring, threshold) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or math.isnan(threshold):
        raise ValueError(f"threshold must be a number, got {threshold!r}")
    if scoring == "default" and threshold <= 0:
        raise ValueError("threshold must be positive with the default scoring")
    if scoring == "npmi" and not -1 <= threshold <= 1:
        raise ValueError("threshold must be between -1 and 1 with npmi scoring")


class Phrases(_PhraseApplier):
    """Learn phrases from a corpus (token lists, a `LineSentence`, a file or a directory).

    `Phrases(sentences, min_count=5, threshold=10.0, max_vocab_size=40_000_000, delimiter="_",
    scoring="default", connector_words=frozenset())`, gensim 4's parameters and defaults;
    `phrases[sentence]`, `phrases[corpus]`, `apply(corpus, out)`, `add_vocab`, `find_phrases`,
    `export_phrases`, `freeze()`, `save`/`load`, `vocab` (a dict of the words and candidates
    counted, as gensim's).
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
        _check_threshold(scoring, threshold)
        if isinstance(max_vocab_size, bool) or not isinstance(max_vocab_size, int) or max_vocab_size < 1:
            raise ValueError(f"max_vocab_size must be a whole number >= 1, got {max_vocab_size!r}")
        if isinstance(connector_words, str):
            raise TypeError("connector_words must be a collection of words, not a string")
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
        self._table = SequenceTable()
        self._cache: tuple | None = None
        self._vocab_cache: tuple | None = None
        if sentences is not None:
            self.add_vocab(sentences)

    def __repr__(self) -> str:
        return (f"Phrases<{len(self)} vocab, min_count={self.min_count}, threshold={self.threshold}, "
                f"max_vocab_size={self.max_vocab_size}>")

    def __len__(self) -> int:
        """Distinct words and candidates counted (gensim's len(phrases.vocab))."""
        return int(np.count_nonzero(self._unigram)) + len(self._table)

    # ---- learning ----

    def add_vocab(self, sentences) -> None:
        """Count the words and candidates of more text (a corpus as for the constructor)."""
        reader = _Reader(_source(sentences), self.connector_words, self._key_to_index, self._words)

        def consume(ids: np.ndarray, offsets: np.ndarray) -> None:
            if len(self._words) > len(self._unigram):
                grown = np.zeros(max(len(self._words), 2 * len(self._unigram)), np.int64)
                grown[: len(self._unigram)] = self._unigram
                self._unigram = grown
            self._table.count(ids, offsets, reader.model_ids, reader.is_conn, reader.cut, self._unigram)
            self.corpus_word_count += len(ids)
            while len(self) > self.max_vocab_size:  # gensim's prune_vocab, with a rising bar
                self._unigram[self._unigram < self.min_reduce] = 0
                self._table.keep(np.flatnonzero(self._table.counts >= self.min_reduce))
                self.min_reduce += 1

        try:
            reader.run(consume)
        finally:
            self._unigram = self._unigram[: len(self._words)].copy()
            self._cache = self._vocab_cache = None

    # ---- scoring ----

    def _accepted(self) -> _Accepted:
        """The candidates scoring above threshold, recomputed when a setting changed."""
        _check_threshold(self.scoring, self.threshold)
        t = self._table
        settings = (self.threshold, self.min_count, self.scoring if isinstance(self.scoring, str) else id(self.scoring),
                    self.delimiter, len(t), self.corpus_word_count, int(t.counts.sum()))
        if self._cache is not None and self._cache[0] == settings:
            return self._cache[1]
        n = len(t)
        first = t.pool[t.starts[:n]]
        last = t.pool[t.starts[:n] + t.lengths[:n] - 1]
        counts = t.counts
        a, b = self._unigram[first], self._unigram[last]
        scores = _scores(self.scoring, a, b, counts, len(self), self.min_count, self.corpus_word_count)
        ok = np.flatnonzero((a > 0) & (b > 0) & (counts > 0) & (scores > self.threshold))
        offsets, tokens = t.sequences(ok)
        result = _Accepted(offsets, tokens, scores[ok], self._words, self.delimiter, len(self._words))
        self._cache = (settings, result)
        return result

    def score_candidate(self, word_a: str, word_b: str, in_between: Sequence[str]) -> tuple[str | None, float | None]:
        """(phrase, score) when `word_a in_between... word_b` scores above threshold, else (None, None)."""
        ids = [self._key_to_index.get(w, -1) for w in (word_a, *in_between, word_b)]
        if min(ids) < 0 or self._unigram[ids[0]] <= 0 or self._unigram[ids[-1]] <= 0:
            return None, None
        entry = self._table.find(ids)
        if entry < 0:
            return None, None
        score = _scores(self.scoring, [self._unigram[ids[0]]], [self._unigram[ids[-1]]], [self._table.counts[entry]],
                        len(self), self.min_count, self.corpus_word_count)[0]
        if score <= self.threshold:
            return None, None
        return self.delimiter.join([word_a, *in_between, word_b]), float(score)

    @property
    def vocab(self) -> dict[str, int]:
        """Every word and candidate counted (connector words alone are not), as gensim's; built
        on first use after learning, then kept (do not edit it: it does not feed back)."""
        if self._vocab_cache is not None and self._vocab_cache[0] == (len(self._table), self.corpus_word_count):
            return self._vocab_cache[1]
        out = {w: c for w, c in zip(self._words, self._unigram.tolist()) if c > 0}
        t = self._table
        offsets, tokens = t.sequences(np.arange(len(t)))
        join, words = self.delimiter.join, self._words
        listed, bounds = tokens.tolist(), offsets.tolist()
        for i, count in enumerate(t.counts.tolist()):
            key = join(words[k] for k in listed[bounds[i]:bounds[i + 1]])
            out[key] = out.get(key, 0) + count
        self._vocab_cache = ((len(self._table), self.corpus_word_count), out)
        return out

    def freeze(self) -> "FrozenPhrases":
        """A smaller, faster model holding only the phrases above threshold (gensim's Phraser)."""
        return FrozenPhrases(self)

    # ---- files ----

    def save(self, fname: str | os.PathLike) -> None:
        """Write the model (JSON settings and words, `.npy` counts and candidates; no pickle)."""
        if not isinstance(self.scoring, str):
            raise WordvecError("a model with a custom scoring function cannot be saved (functions are not "
                               "stored: wordvec never pickles); freeze() it and save the FrozenPhrases")
        t = self._table
        offsets, tokens = t.sequences(np.arange(len(t)))
        header = {"class": "Phrases", "min_count": self.min_count, "threshold": self.threshold,
                  "max_vocab_size": self.max_vocab_size, "delimiter": self.delimiter, "scoring": self.scoring,
                  "connector_words": sorted(self.connector_words), "min_reduce": self.min_reduce,
                  "corpus_word_count": self.corpus_word_count, "words": self._words}
        _save(fname, header, {"unigram": self._unigram, "counts": t.counts.copy(), "offsets": offsets,
                              "tokens": tokens})

    @classmethod
    def load(cls, fname: str | os.PathLike) -> "Phrases | FrozenPhrases":
        """Read a saved Phrases or FrozenPhrases (whichever was saved, as gensim's load)."""
        return _load(fname)


class FrozenPhrases(_PhraseApplier):
    """The phrases of a `Phrases` model that score above its threshold, and nothing else:
    `FrozenPhrases(phrases)` (or `phrases.freeze()`); it applies as the model it came from."""

    def __init__(self, phrases_model: Phrases) -> None:
        if not isinstance(phrases_model, Phrases):
            raise TypeError("FrozenPhrases is made from a Phrases model")
        accepted = phrases_model._accepted()
        used = np.unique(accepted.tokens)
        remap = np.full(len(phrases_model._words) + 1, -1, np.int64)
        remap[used] = np.arange(len(used))
        scoring = phrases_model.scoring if isinstance(phrases_model.scoring, str) else "custom"
        self._init(phrases_model.threshold, phrases_model.min_count, phrases_model.delimiter,
                   phrases_model.connector_words, scoring, [phrases_model._words[i] for i in used.tolist()],
                   accepted.offsets, remap[accepted.tokens].astype(np.int32), accepted.scores)

    def _init(self, threshold, min_count, delimiter, connector_words, scoring, words, offsets, tokens, scores):
        self.threshold = threshold
        self.min_count = min_count
        self.delimiter = _check_delimiter(delimiter)
        self.connector_words = frozenset(connector_words)
        self.scoring = scoring
        self._words = list(words)
        self._key_to_index = {w: i for i, w in enumerate(self._words)}
        self._frozen = _Accepted(np.asarray(offsets, np.int64), np.asarray(tokens, np.int32), scores, self._words,
                                 self.delimiter, len(self._words))
        self.phrasegrams = self._frozen.strings

    def __repr__(self) -> str:
        return f"FrozenPhrases<{len(self.phrasegrams)} phrases, threshold={self.threshold}>"

    def _accepted(self) -> _Accepted:
        return self._frozen

    def score_candidate(self, word_a: str, word_b: str, in_between: Sequence[str]) -> tuple[str | None, float | None]:
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        score = self.phrasegrams.get(phrase)
        return (phrase, score) if score is not None else (None, None)

    def save(self, fname: str | os.PathLike) -> None:
        header = {"class": "FrozenPhrases", "threshold": self.threshold, "min_count": self.min_count,
                  "delimiter": self.delimiter, "connector_words": sorted(self.connector_words),
                  "scoring": self.scoring, "words": self._words}
        _save(fname, header, {"offsets": self._frozen.offsets, "tokens": self._frozen.tokens,
                              "scores": self._frozen.scores})

    @classmethod
    def load(cls, fname: str | os.PathLike) -> "Phrases | FrozenPhrases":
        return _load(fname)


#: gensim's old name of FrozenPhrases
Phraser = FrozenPhrases


# ---------------------------------------------------------------------------- files


def _bad(path, why: str) -> WordvecError:
    return WordvecError(f"{path}: not a readable wordvec phrases model ({why})")


_ARRAYS = {"Phrases": {"unigram": np.int64, "counts": np.int64, "offsets": np.int64, "tokens": np.int32},
           "FrozenPhrases": {"offsets": np.int64, "tokens": np.int32, "scores": np.float64}}


def _save(fname, header: dict, arrays: dict) -> None:
    from wordvec import __version__
    from wordvec.fileio import atomic_write, write_npz

    header = {"format": PHRASES_FORMAT, "format_version": PHRASES_FORMAT_VERSION, "wordvec_version": __version__,
              **header}
    try:
        blob = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise WordvecError(f"cannot save the phrases model: a setting is not JSON-safe ({exc})") from None
    with atomic_write(fname, "wb") as out:
        write_npz(out, {"header": np.frombuffer(blob, np.uint8), **arrays})


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
    n = len(offsets) - 1
    try:
        if not isinstance(header.get("connector_words"), list) or not all(
                isinstance(w, str) for w in header["connector_words"]):
            raise _bad(path, "'connector_words' must be a list of words")
        if kind == "FrozenPhrases":
            if len(arrays["scores"]) != n or not np.isfinite(arrays["scores"]).all():
                raise _bad(path, "one finite score per phrase expected")
            _check_threshold(header["scoring"], header["threshold"])
            if len({tuple(tokens[offsets[i]:offsets[i + 1]].tolist()) for i in range(n)}) != n:
                raise _bad(path, "a phrase appears twice")
            model = FrozenPhrases.__new__(FrozenPhrases)
            model._init(header["threshold"], header["min_count"], header["delimiter"], header["connector_words"],
                        header["scoring"], words, offsets, tokens, arrays["scores"])
            return model
        model = Phrases(min_count=header["min_count"], threshold=header["threshold"],
                        max_vocab_size=header["max_vocab_size"], delimiter=header["delimiter"],
                        scoring=header["scoring"], connector_words=header["connector_words"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(path, f"bad settings ({exc})") from None
    if len(arrays["unigram"]) != len(words) or len(arrays["counts"]) != n \
            or np.any(arrays["unigram"] < 0) or np.any(arrays["counts"] < 0):
        raise _bad(path, "counts do not match the words and candidates")
    model._words = words
    model._key_to_index = {w: i for i, w in enumerate(words)}
    model._unigram = arrays["unigram"]
    model._table = SequenceTable.from_sequences(offsets, tokens, arrays["counts"])
    if len(np.unique(model._table.keys)) != n and len({tuple(tokens[offsets[i]:offsets[i + 1]].tolist())
                                                       for i in range(n)}) != n:
        raise _bad(path, "a candidate appears twice")
    try:
        model.min_reduce = int(header.get("min_reduce", 1))
        model.corpus_word_count = int(header.get("corpus_word_count", 0))
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"bad header field ({exc})") from None
    return model
