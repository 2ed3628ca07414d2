"""`KeyedVectors`: trained word vectors with similarity queries, analogies and file I/O.

The query semantics follow gensim's KeyedVectors (so results can be compared one to one): query
words are averaged as unit vectors, raw vectors given by the caller are used as they are, the
query words never appear in the answer, and `restrict_vocab=n` searches only the first n words
(the most frequent ones when the vocabulary is sorted by frequency).
"""

from __future__ import annotations

import os
from numbers import Integral
from typing import Any, Iterable, Iterator, Sequence, Union

import numpy as np

from wordvec import formats
from wordvec.errors import UnknownWordError

Query = Union[str, np.ndarray, tuple]  # a word, a raw vector, or (word-or-vector, weight)

_BLOCK = 1024  # queries per matrix product in the batched searches ...
_BLOCK_CELLS = 1 << 25  # ... but at most this many scores (128 MiB of float32) at once


def _block_rows(clip: int, copies: int = 1) -> int:
    """Queries per block so that `copies` score matrices of (block, clip) stay within budget."""
    return max(1, min(_BLOCK, _BLOCK_CELLS // max(1, clip * copies)))
_COSMUL_EPS = 1e-6  # gensim's guard against division by zero in 3CosMul


def _ensure_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (str, np.ndarray)):
        return [value]
    return list(value)


class KeyedVectors:
    """A float32 (V, D) matrix with a word per row, plus counts and JSON-safe metadata."""

    def __init__(
        self,
        vectors: np.ndarray | int,
        index_to_key: Sequence[str] = (),
        counts: np.ndarray | Sequence[int] | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        dtype: Any = np.float32,
    ) -> None:
        """`KeyedVectors(vectors, index_to_key)`, or gensim's `KeyedVectors(vector_size)`: no words
        yet, to fill with `add_vectors` (its `count`, a preallocation hint, is not needed here)."""
        if isinstance(vectors, Integral) and not isinstance(vectors, bool):
            if vectors < 0:
                raise ValueError(f"vector_size must be >= 0, got {vectors}")
            if np.dtype(dtype) != np.float32:
                raise ValueError("wordvec's vectors are float32")
            if isinstance(index_to_key, Integral) or len(index_to_key):  # gensim's count: rows to reserve
                index_to_key = ()
            vectors = np.zeros((0, int(vectors)), np.float32)
        vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array, got shape {vectors.shape}")
        index_to_key = list(index_to_key)
        if len(index_to_key) != vectors.shape[0]:
            raise ValueError(f"{vectors.shape[0]} vectors but {len(index_to_key)} words")
        if not all(isinstance(w, str) for w in index_to_key):
            raise ValueError("words must be strings")
        key_to_index = {word: i for i, word in enumerate(index_to_key)}
        if len(key_to_index) != len(index_to_key):
            dup = formats._first_duplicate(index_to_key)
            raise ValueError(f"duplicate word {dup!r}")
        self.index_to_key: list[str] = index_to_key
        self.key_to_index: dict[str, int] = key_to_index
        self.vectors = vectors  # property: casts to float32 and drops cached norms
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(index_to_key),):
                raise ValueError(f"counts must have one entry per word ({len(index_to_key)}), got {counts.shape}")
        self.counts: np.ndarray | None = counts
        self.metadata: dict[str, Any] = dict(metadata or {})

    # -- basic access ---------------------------------------------------------------------------

    @property
    def vectors(self) -> np.ndarray:
        """The (V, D) float32 matrix. Assigning a new matrix invalidates the cached unit vectors;
        after editing rows in place call `fill_norms(force=True)`."""
        return self._vectors

    @vectors.setter
    def vectors(self, value: np.ndarray) -> None:
        value = np.ascontiguousarray(value, dtype=np.float32)
        if value.ndim != 2 or value.shape[0] != len(self.index_to_key):
            raise ValueError(f"vectors must have shape ({len(self.index_to_key)}, D), got {value.shape}")
        self._vectors = value
        self._norms: np.ndarray | None = None
        self._normed: np.ndarray | None = None
        self._zero_rows: np.ndarray = np.zeros(0, dtype=np.int64)

    @property
    def vector_size(self) -> int:
        return int(self._vectors.shape[1])

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __iter__(self) -> Iterator[str]:
        return iter(self.index_to_key)

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words, {self.vector_size} dimensions)"

    def get_index(self, word: str) -> int:
        """Row of `word`; UnknownWordError if absent."""
        try:
            return self.key_to_index[word]
        except (KeyError, TypeError):
            raise UnknownWordError([word]) from None

    def _indices(self, words: Iterable[str]) -> list[int]:
        """Rows of all `words`, naming every missing one in a single UnknownWordError."""
        words = list(words)
        missing = [w for w in words if not isinstance(w, str) or w not in self.key_to_index]
        if missing:
            raise UnknownWordError(missing)
        return [self.key_to_index[w] for w in words]

    def has_index_for(self, word: object) -> bool:
        """True if `word` is in the vocabulary (has a row of its own), as gensim's method."""
        return isinstance(word, str) and word in self.key_to_index

    def _has_vector(self, word: object) -> bool:
        """True if a vector can be given for `word` (here: it is in the vocabulary)."""
        return self.has_index_for(word)

    def _check_words(self, words: Iterable[object]) -> list:
        """`words` as a list, naming every one without a vector in a single UnknownWordError."""
        words = list(words)
        missing = [w for w in words if not self._has_vector(w)]
        if missing:
            raise UnknownWordError(missing)
        return words

    def _stack(self, words: Sequence[str], norm: bool = False) -> np.ndarray:
        """The vectors of `words` (each must have one), one row each."""
        if all(w in self.key_to_index for w in words):
            rows = [self.key_to_index[w] for w in words]
            return self._unit_rows(rows) if norm else self._vectors[rows]
        return np.stack([self.get_vector(w, norm) for w in words]).astype(np.float32)

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """The vector of `word` (a view), or its unit-length version with `norm=True`."""
        index = self.get_index(word)
        return self._unit_rows(index) if norm else self._vectors[index]

    def __getitem__(self, words: str | Sequence[str]) -> np.ndarray:
        if isinstance(words, str):
            return self.get_vector(words)
        return self._stack(self._check_words(words))

    # -- norms ----------------------------------------------------------------------------------

    def fill_norms(self, force: bool = False) -> None:
        """Compute (or recompute) the cached row norms and unit-length rows."""
        if self._norms is None or force:
            norms = np.linalg.norm(self._vectors, axis=1)
            self._norms = np.where(norms > 0, norms, np.float32(1.0)).astype(np.float32)
            self._normed = None
            self._zero_rows = np.flatnonzero(norms == 0)  # no direction: never offered as neighbours

    def _unit_rows(self, rows) -> np.ndarray:
        """Unit-length copies of some rows (as `get_normed_vectors()[rows]`, without normalising
        the whole matrix: a memory-mapped file stays on disk)."""
        norms = self.norms
        if isinstance(rows, Integral):
            return self._vectors[rows] / norms[rows]
        return self._vectors[rows] / norms[rows, None]

    @property
    def norms(self) -> np.ndarray:
        """L2 norm of each row (zero rows report 1 so that they score 0, never NaN)."""
        self.fill_norms()
        return self._norms  # type: ignore[return-value]

    def get_normed_vectors(self) -> np.ndarray:
        """Unit-length rows (a copy of the whole matrix, cached; zero rows stay zero)."""
        self.fill_norms()
        if self._normed is None:
            self._normed = self._vectors / self._norms[:, None]
        return self._normed

    # -- similarity queries ---------------------------------------------------------------------

    def _clip(self, restrict_vocab: int | None) -> int:
        if restrict_vocab is None or restrict_vocab == 0:
            return len(self)
        if not isinstance(restrict_vocab, Integral) or restrict_vocab < 0:
            raise ValueError(f"restrict_vocab must be a positive integer, got {restrict_vocab!r}")
        return min(int(restrict_vocab), len(self))

    def _split_weights(self, positive, negative) -> tuple[list, np.ndarray]:
        items = _ensure_list(positive) + _ensure_list(negative)
        n_pos = len(_ensure_list(positive))
        keys, weights = [], np.empty(len(items))
        for i, item in enumerate(items):
            if isinstance(item, tuple):
                keys.append(item[0])
                weights[i] = item[1]
            else:
                keys.append(item)
                weights[i] = 1.0 if i < n_pos else -1.0
        if not keys:
            raise ValueError("need at least one positive or negative word or vector")
        missing = [k for k in keys if not isinstance(k, np.ndarray) and not self._has_vector(k)]
        if missing:
            raise UnknownWordError(missing)
        return keys, weights

    def _mean_query(self, keys: list, weights: np.ndarray) -> np.ndarray:
        """Weighted mean of unit word vectors (raw for given vectors), then unit length."""
        mean = np.zeros(self.vector_size, dtype=np.float32)
        total = 0.0
        for key, weight in zip(keys, weights):
            vec = np.asarray(key, dtype=np.float32) if isinstance(key, np.ndarray) else self.get_vector(key, True)
            if vec.shape != (self.vector_size,):
                raise ValueError(f"query vector has shape {vec.shape}, expected ({self.vector_size},)")
            mean += weight * vec
            total += abs(weight)
        if total > 0:
            mean = mean.astype(np.float64) / total  # float64 from here on, as in gensim
        return _unit(mean)

    def _word_rows(self, keys: list) -> set[int]:
        return {self.key_to_index[k] for k in keys if not isinstance(k, np.ndarray) and k in self.key_to_index}

    def most_similar(
        self,
        positive: Query | Sequence[Query] | None = None,
        negative: Query | Sequence[Query] | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """Words nearest (cosine) to the mean of `positive` minus `negative` (3CosAdd for analogies).

        Items are words, vectors, or (item, weight) pairs. Query words are left out of the answer.
        With `topn=None` the similarities of all (restricted) words come back as an array.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        keys, weights = self._split_weights(positive, negative)
        clip = self._clip(restrict_vocab)
        query = self._mean_query(keys, weights)
        scores = (self._vectors[:clip] @ query) / self.norms[:clip]
        if topn is None:
            return scores
        return self._best(scores, topn, self._word_rows(keys))

    def similar_by_vector(
        self, vector: np.ndarray, topn: int = 10, restrict_vocab: int | None = None
    ) -> list[tuple[str, float]]:
        """Words nearest to a raw vector."""
        return self.most_similar(positive=[np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(
        self,
        positive: Query | Sequence[Query] | None = None,
        negative: Query | Sequence[Query] | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """3CosMul (Levy & Goldberg 2014): prod((1+cos(p))/2) / (prod((1+cos(n))/2) + 1e-6)."""
        if isinstance(topn, Integral) and topn < 1:
            return []
        pos, neg = _ensure_list(positive), _ensure_list(negative)
        if not pos:
            raise ValueError("most_similar_cosmul needs at least one positive word or vector")
        keys, _ = self._split_weights(pos, neg)
        clip = self._clip(restrict_vocab)

        def shifted(item) -> np.ndarray:
            term = np.asarray(item, np.float32) if isinstance(item, np.ndarray) else self.get_vector(item, True)
            return (1 + (self._vectors[:clip] @ term) / self.norms[:clip]) / 2

        numerator = np.prod([shifted(p) for p in pos], axis=0)
        denominator = np.prod([shifted(n) for n in neg], axis=0) if neg else np.float32(1.0)
        scores = numerator / (denominator + _COSMUL_EPS) if neg else numerator / (1 + _COSMUL_EPS)
        if topn is None:
            return scores
        return self._best(scores, topn, self._word_rows(keys))

    def _best(self, scores: np.ndarray, topn: int, exclude: set[int]) -> list[tuple[str, float]]:
        masked = scores.copy()
        rows = sorted({i for i in exclude if i < len(masked)} | set(self._masked_zero_rows(len(masked))))
        masked[rows] = -np.inf
        k = min(topn, len(masked) - len(rows))
        if k <= 0:
            return []
        top = _top_k(masked[None, :], k)[0]
        return [(self.index_to_key[i], float(scores[i])) for i in top]

    def _masked_zero_rows(self, clip: int) -> np.ndarray:
        self.fill_norms()
        return self._zero_rows[self._zero_rows < clip]

    def most_similar_batch(
        self,
        positive: Sequence[Sequence[Query]],
        negative: Sequence[Sequence[Query]] | None = None,
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[list[tuple[str, float]]]:
        """`most_similar` for many queries at once, with matrix products in blocks (much faster)."""
        negative = list(negative) if negative is not None else [[] for _ in positive]
        if len(negative) != len(positive):
            raise ValueError("positive and negative must hold the same number of queries")
        clip = self._clip(restrict_vocab)
        queries = np.empty((len(positive), self.vector_size), dtype=np.float32)
        excludes: list[list[int]] = []
        for i, (pos, neg) in enumerate(zip(positive, negative)):
            keys, weights = self._split_weights(pos, neg)
            queries[i] = self._mean_query(keys, weights)
            excludes.append(sorted(self._word_rows(keys)))
        results: list[list[tuple[str, float]]] = []
        step = _block_rows(clip, copies=2)
        for start in range(0, len(queries), step):
            block = slice(start, start + step)
            scores = (queries[block] @ self._vectors[:clip].T) / self.norms[:clip]
            original = scores.copy()
            for row, rows in enumerate(excludes[block]):
                scores[row, [r for r in rows if r < clip]] = -np.inf
            scores[:, self._masked_zero_rows(clip)] = -np.inf
            k = min(topn, clip)
            top = _top_k(scores, k) if k > 0 else np.zeros((len(scores), 0), dtype=np.int64)
            for row in range(len(scores)):
                results.append(
                    [(self.index_to_key[i], float(original[row, i])) for i in top[row] if np.isfinite(scores[row, i])]
                )
        return results

    def analogy(
        self, a: str, b: str, c: str, topn: int = 1, method: str = "add", restrict_vocab: int | None = None
    ) -> list[tuple[str, float]]:
        """Solve a:b = c:? with 3CosAdd (b - a + c, method="add") or 3CosMul (method="mul")."""
        self._check_words([a, b, c])
        if method == "add":
            return self.most_similar([b, c], [a], topn=topn, restrict_vocab=restrict_vocab)
        if method == "mul":
            return self.most_similar_cosmul([b, c], [a], topn=topn, restrict_vocab=restrict_vocab)
        raise ValueError(f"method must be 'add' or 'mul', got {method!r}")

    def analogy_batch(
        self,
        questions: Sequence[tuple[str, str, str]],
        topn: int = 1,
        method: str = "add",
        restrict_vocab: int | None = None,
    ) -> list[list[tuple[str, float]]]:
        """`analogy` for many (a, b, c) questions at once."""
        rows = np.array([self._indices(q) for q in questions], dtype=np.int64).reshape(-1, 3)
        top, scores = analogy_top_k(self, rows, topn, method=method, clip=self._clip(restrict_vocab))
        return [
            [(self.index_to_key[i], float(s)) for i, s in zip(t, sc) if np.isfinite(s)]
            for t, sc in zip(top, scores)
        ]

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        u, v = self._stack(self._check_words([w1, w2]), norm=True)
        return float(u @ v)

    def distance(self, w1: str, w2: str) -> float:
        """Cosine distance, 1 - similarity."""
        return 1.0 - self.similarity(w1, w2)

    def n_similarity(self, words1: Sequence[str], words2: Sequence[str]) -> float:
        """Cosine similarity between the means of two word sets."""
        if not len(words1) or not len(words2):
            raise ValueError("n_similarity needs two non-empty word lists")
        m1 = self._stack(self._check_words(words1)).mean(axis=0)
        m2 = self._stack(self._check_words(words2)).mean(axis=0)
        return float(_unit(m1) @ _unit(m2))

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word farthest from the mean of the (unit) vectors of `words`."""
        words = list(words)
        if not words:
            raise ValueError("doesnt_match needs at least one word")
        rows = self._stack(self._check_words(words), norm=True)
        mean = _unit(rows.mean(axis=0))
        return words[int(np.argmin(rows @ mean))]

    # -- gensim 4's other queries (same semantics and return types) -----------------------------

    def similar_by_word(self, word: str, topn: int = 10, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Nearest words of `word` (gensim's name for `most_similar(word)`)."""
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_key(self, key: str, topn: int = 10, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Nearest words of `key` (gensim's name for `most_similar(key)`)."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    @staticmethod
    def cosine_similarities(vector_1: np.ndarray, vectors_all: np.ndarray) -> np.ndarray:
        """Cosine of one vector with each row of a matrix."""
        vector_1, vectors_all = np.asarray(vector_1), np.asarray(vectors_all)
        return (vectors_all @ vector_1) / (np.linalg.norm(vector_1) * np.linalg.norm(vectors_all, axis=1))

    def _query_vector(self, word_or_vector) -> np.ndarray:
        if isinstance(word_or_vector, str):
            return self.get_vector(word_or_vector)
        vector = np.asarray(word_or_vector, dtype=np.float32)
        if vector.shape != (self.vector_size,):
            raise ValueError(f"query vector has shape {vector.shape}, expected ({self.vector_size},)")
        return vector

    def distances(self, word_or_vector: str | np.ndarray, other_words: Sequence[str] = ()) -> np.ndarray:
        """Cosine distances (1 - cosine) from a word or vector to `other_words`, or to every word
        in vocabulary order when none are given; float32 as gensim's."""
        query = self._query_vector(word_or_vector)
        other_words = list(other_words)
        if other_words:
            others = self._stack(self._check_words(other_words))
            norms = np.linalg.norm(others, axis=1)
        else:
            others, norms = self._vectors, self.norms
        with np.errstate(divide="ignore", invalid="ignore"):
            cosines = (others @ query) / (np.linalg.norm(query) * norms)
        return (1 - cosines).astype(np.float32)

    def closer_than(self, key1: str, key2: str) -> list[str]:
        """The words closer to `key1` than `key2` is (key1 itself left out), in vocabulary order."""
        distances = self.distances(key1)
        e1, e2 = self.get_index(key1), self.get_index(key2)
        return [self.index_to_key[i] for i in np.flatnonzero(distances < distances[e2]) if i != e1]

    def words_closer_than(self, word1: str, word2: str) -> list[str]:
        """gensim's older name of `closer_than` (deprecated there too)."""
        import warnings

        warnings.warn("words_closer_than is deprecated: use closer_than", DeprecationWarning, stacklevel=2)
        return self.closer_than(word1, word2)

    def vectors_for_all(self, keys: Iterable[str], allow_inference: bool = True,
                        copy_vecattrs: bool = False) -> "KeyedVectors":
        """A new KeyedVectors of `keys` (duplicates once, in order) that have a vector: vocabulary
        words, and with `allow_inference` unseen words a subword model can compose."""
        seen: dict[str, None] = {}
        for key in keys:
            if isinstance(key, str) and (self.has_index_for(key) or (allow_inference and self._has_vector(key))):
                seen.setdefault(key, None)
        words = list(seen)
        vectors = self._stack(words) if words else np.zeros((0, self.vector_size), np.float32)
        counts = None
        if copy_vecattrs and self.counts is not None:
            counts = [int(self.counts[self.key_to_index[w]]) if w in self.key_to_index else 0 for w in words]
        return KeyedVectors(np.array(vectors, dtype=np.float32), words, counts=counts)

    def rank(self, key1: str, key2: str) -> int:
        """Rank of `key2` among the neighbours of `key1` (1: the nearest)."""
        return len(self.closer_than(key1, key2)) + 1

    def most_similar_to_given(self, key1: str, keys_list: Sequence[str]) -> str:
        """The word of `keys_list` most similar to `key1`."""
        keys_list = list(keys_list)
        if not keys_list:
            raise ValueError("most_similar_to_given needs at least one candidate word")
        return keys_list[int(np.argmax([self.similarity(key1, key) for key in keys_list]))]

    def relative_cosine_similarity(self, wa: str, wb: str, topn: int = 10) -> float:
        """similarity(wa, wb) over the summed similarities of wa's `topn` neighbours (Leeuwenberg
        et al. 2016), as gensim."""
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("cannot compute a relative cosine similarity without similar words")
        return float(self.similarity(wa, wb)) / sum(sim for _, sim in sims)

    def get_mean_vector(self, keys: Sequence[str | np.ndarray], weights: Sequence[float] | np.ndarray | None = None,
                        pre_normalize: bool = True, post_normalize: bool = False,
                        ignore_missing: bool = True) -> np.ndarray:
        """The weighted mean of words (unit vectors when `pre_normalize`) and raw vectors, divided by
        the summed absolute weights; unit length when `post_normalize`. Unknown words are skipped
        (`ignore_missing`) or raise UnknownWordError."""
        keys = list(keys) if not isinstance(keys, np.ndarray) else list(keys)
        if len(keys) == 0:
            raise ValueError("cannot compute a mean of no keys")
        weights = np.ones(len(keys), np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
        if weights.shape != (len(keys),):
            raise ValueError("keys and weights must have the same number of elements")
        mean = np.zeros(self.vector_size, np.float32)
        total = 0.0
        missing = []
        for key, weight in zip(keys, weights):
            if isinstance(key, np.ndarray):
                mean += weight * self._query_vector(key)
            elif self._has_vector(key):
                mean += weight * self.get_vector(key, norm=pre_normalize)
            else:
                missing.append(key)
                continue
            total += abs(float(weight))
        if missing and not ignore_missing:
            raise UnknownWordError(missing)
        if total > 0:
            mean = mean / np.float32(total)
        return _unit(mean).astype(np.float32) if post_normalize else mean

    def rank_by_centrality(self, words: Sequence[str], use_norm: bool = True) -> list[tuple[float, str]]:
        """(cosine with the mean, word) for the known `words`, most central first."""
        used = [w for w in words if self._has_vector(w)]
        if not used:
            raise ValueError("cannot rank an empty list of known words")
        rows = np.vstack([self.get_vector(w, norm=use_norm) for w in used]).astype(np.float32)
        mean = self.get_mean_vector(list(rows), post_normalize=True)
        return sorted(zip((float(d) for d in rows @ mean), used), reverse=True)

    def get_vecattr(self, key: str, attr: str) -> int:
        """A word's attribute; wordvec keeps one, "count" (as gensim's `get_vecattr(w, "count")`)."""
        if attr != "count":
            raise KeyError(f"no attribute {attr!r} (wordvec keeps 'count')")
        index = self.get_index(key)
        return 0 if self.counts is None else int(self.counts[index])

    def set_vecattr(self, key: str, attr: str, value: int) -> None:
        """Set a word's "count"."""
        if attr != "count":
            raise KeyError(f"no attribute {attr!r} (wordvec keeps 'count')")
        index = self.get_index(key)
        if self.counts is None:
            self.counts = np.zeros(len(self), np.int64)
        self.counts[index] = int(value)

    def add_vectors(self, keys: str | Sequence[str], weights: np.ndarray | Sequence, extras: dict | None = None,
                    replace: bool = False) -> None:
        """Append vectors for new words; words already present keep theirs unless `replace`."""
        if extras:
            raise ValueError("extras are not supported (wordvec keeps counts only)")
        if isinstance(keys, str):
            keys, weights = [keys], np.asarray(weights, dtype=np.float32).reshape(1, -1)
        keys = list(keys)
        weights = np.asarray(weights, dtype=np.float32)
        if weights.ndim != 2 or weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"weights must have shape ({len(keys)}, {self.vector_size}), got {weights.shape}")
        if not all(isinstance(k, str) for k in keys):
            raise ValueError("words must be strings")
        if not np.isfinite(weights).all():
            raise ValueError("weights hold NaN/Inf")
        known = np.array([k in self.key_to_index for k in keys], dtype=bool)
        new_keys, first = [], {}
        for i in np.flatnonzero(~known):
            first.setdefault(keys[i], i)  # a word given twice: its first vector, as a dict would keep
        for key, i in first.items():
            new_keys.append(key)
        rows = [first[k] for k in new_keys]
        vectors = np.vstack([np.asarray(self._vectors), weights[rows]]) if rows else np.array(self._vectors)
        if replace:
            for i in np.flatnonzero(known):
                vectors[self.key_to_index[keys[i]]] = weights[i]
        for key in new_keys:
            self.key_to_index[key] = len(self.index_to_key)
            self.index_to_key.append(key)
        if self.counts is not None:
            self.counts = np.concatenate([self.counts, np.zeros(len(new_keys), np.int64)])
        self.vectors = vectors

    def add_vector(self, key: str, vector: np.ndarray) -> int:
        """Add (or, for a known word, keep) one word's vector; returns its index."""
        self.add_vectors([key], np.asarray(vector, dtype=np.float32).reshape(1, -1))
        return self.key_to_index[key]

    def __setitem__(self, keys: str | Sequence[str], weights: np.ndarray) -> None:
        """`kv[word] = vector` adds or replaces, as gensim."""
        if isinstance(keys, str):
            keys, weights = [keys], np.asarray(weights, dtype=np.float32).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def evaluate_word_analogies(self, analogies: str | os.PathLike, restrict_vocab: int = 300000,
                                case_insensitive: bool = True, dummy4unknown: bool = False,
                                similarity_function: str = "most_similar") -> tuple[float, list[dict]]:
        """gensim's analogy evaluation: (accuracy, sections), each section a dict of 'section',
        'correct' and 'incorrect' (lists of the (a, b, c, expected) questions), the last one
        'Total accuracy'. `dummy4unknown` counts questions with unknown words as wrong."""
        from wordvec.evaluate import evaluate_analogies

        methods = {"most_similar": "add", "most_similar_cosmul": "mul"}
        if similarity_function not in methods:
            raise ValueError(f"similarity_function must be one of {', '.join(methods)}, got {similarity_function!r}")
        result = evaluate_analogies(self, analogies, restrict_vocab=restrict_vocab,
                                    case_insensitive=case_insensitive, method=methods[similarity_function],
                                    record=True)
        sections = []
        for section in result.sections:
            incorrect = list(section.incorrect_questions) + (list(section.unknown_questions) if dummy4unknown else [])
            sections.append({"section": section.section, "correct": list(section.correct_questions),
                             "incorrect": incorrect})
        total = {"section": "Total accuracy", "correct": [q for s in sections for q in s["correct"]],
                 "incorrect": [q for s in sections for q in s["incorrect"]]}
        answered = len(total["correct"]) + len(total["incorrect"])
        score = len(total["correct"]) / answered if answered else 0.0
        return score, sections + [total]

    def evaluate_word_pairs(self, pairs: str | os.PathLike, delimiter: str = "\t", encoding: str = "utf8",
                            restrict_vocab: int = 300000, case_insensitive: bool = True,
                            dummy4unknown: bool = False) -> tuple[Any, Any, float]:
        """gensim's word-pair evaluation: (pearson, spearman, oov_ratio), the first two SciPy
        results (statistic, pvalue) and the ratio in percent of pairs with an unknown word.
        `dummy4unknown` scores such pairs 0 instead of skipping them. The file must be UTF-8."""
        from wordvec.evaluate import evaluate_word_pairs

        if encoding.replace("-", "").lower() != "utf8":
            raise ValueError("word-pair files are read as UTF-8")
        result = evaluate_word_pairs(self, pairs, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
                                     delimiter=delimiter, dummy4unknown=dummy4unknown)
        if result.pairs == 0:
            raise ValueError(f"no valid similarity judgements in {pairs}: wrong format, or every word is "
                             "outside the vocabulary")
        oov_ratio = 100.0 * result.skipped / (result.pairs + result.skipped)  # gensim's formula, also with dummies
        return result.pearson_result, result.spearman_result, oov_ratio

    # -- files ----------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike, format: str | None = None) -> None:
        """Write to `path` atomically; format 'text', 'binary', 'native' or 'fasttext' (Facebook's
        .bin, `wordvec.facebook`; default: from the name).

        The name's rule is `formats.format_for_path`: `.txt`/`.vec` text, `.bin` binary, else native;
        a final `.gz`/`.bz2`/`.xz` compresses text or binary (a compressed native name is refused).
        The words are checked first with `formats.check_savable`, the same rule the CLI applies
        before training, so a file is only written if its reader accepts it.
        """
        from wordvec import __version__

        formats.save_vectors(path, self._vectors, self.index_to_key, self.counts, self.metadata,
                             fmt=format, version=__version__)

    @classmethod
    def load(cls, path: str | os.PathLike, format: str | None = None, limit: int | None = None,
             mmap: str | None = None) -> "KeyedVectors":
        """Read any supported file; the format is sniffed from the content unless given.

        `mmap="r"` (native files) maps the vectors read-only instead of reading them: a file of
        millions of words opens at once and its pages are shared by every process that maps it."""
        return cls._from_data(formats.load_vectors(path, format, limit, mmap=mmap))

    def save_word2vec_format(self, path: str | os.PathLike, binary: bool = False) -> None:
        """Write the word2vec C tool's text or binary format."""
        self.save(path, format="binary" if binary else "text")

    @classmethod
    def load_word2vec_format(
        cls, path: str | os.PathLike, binary: bool | None = None, limit: int | None = None
    ) -> "KeyedVectors":
        """Read a word2vec text or binary file (`binary=None`: detect from the content)."""
        if binary is None:
            fmt = formats.sniff_format(path)
            if fmt == "native":
                raise formats.VectorFileError(f"{path}: this is a native wordvec file; use KeyedVectors.load")
            fmt = fmt or ("binary" if formats.format_from_extension(path) == "binary" else "text")
        else:
            fmt = "binary" if binary else "text"
        return cls._from_data(formats.load_vectors(path, fmt, limit))

    @classmethod
    def _from_data(cls, data: formats.VectorData) -> "KeyedVectors":
        if data.subwords is not None:  # a subword model answers for unseen words too
            sub = data.subwords
            return SubwordVectors(data.vectors, data.words, sub["ngram_vectors"], sub["ngram_buckets"],
                                  minn=sub["minn"], maxn=sub["maxn"], bucket=sub["bucket"], counts=data.counts,
                                  metadata=data.metadata, word_rows=sub.get("word_rows"))
        return cls(data.vectors, data.words, counts=data.counts, metadata=data.metadata)



class SubwordVectors(KeyedVectors):
    """The vectors of a subword (fastText) model: a vector for any word, seen in training or not.

    A vocabulary word's vector is the mean of its own input row and its n-gram rows (fastText's
    `get_word_vector`); `vectors` holds these, one per vocabulary word, so every query of
    `KeyedVectors` works on them. A word outside the vocabulary gets the mean of its n-gram rows
    (`wordvec.subwords` gives fastText's n-grams and hash), where a bucket that no training word
    used counts as a zero row. A word none of whose n-grams is known has no vector: asking for it
    raises UnknownWordError, as for a plain model. Query words may be unseen words everywhere a
    word is accepted (`most_similar`, `similarity`, `analogy`, ...); answers are always
    vocabulary words.

    `ngram_buckets` (sorted, unique int64) names the bucket of each row of `ngram_vectors`; None
    means all `bucket` rows are present in bucket order (a Facebook `.bin` model, whose matrix may
    be memory-mapped: then `vectors` is composed on first use and a word's vector reads only its
    own rows). `word_rows` are the vocabulary words' own input rows; when not given they are
    recovered from `vectors` on demand (only writing Facebook's format needs them).
    """

    def __init__(
        self,
        vectors: np.ndarray | None,
        index_to_key: Sequence[str],
        ngram_vectors: np.ndarray,
        ngram_buckets: np.ndarray | None,
        *,
        minn: int,
        maxn: int,
        bucket: int,
        counts: np.ndarray | Sequence[int] | None = None,
        metadata: dict[str, Any] | None = None,
        word_rows: np.ndarray | None = None,
    ) -> None:
        from wordvec.subwords import buckets_in_order, check_spec

        check_spec(minn, maxn, bucket)
        self.minn, self.maxn, self.bucket = int(minn), int(maxn), int(bucket)
        if not (isinstance(ngram_vectors, np.ndarray) and ngram_vectors.ndim == 2):
            raise ValueError("ngram_vectors must be a 2-D array")
        if ngram_buckets is None:
            if ngram_vectors.shape[0] != self.bucket:
                raise ValueError(f"without ngram_buckets there must be one n-gram row per bucket ({self.bucket}), "
                                 f"got {ngram_vectors.shape[0]}")
        else:
            ngram_buckets = np.asarray(ngram_buckets)
            if ngram_buckets.shape != (ngram_vectors.shape[0],) or ngram_buckets.dtype.kind not in "iu":
                raise ValueError("ngram_buckets must hold one integer bucket per n-gram row")
            ngram_buckets = ngram_buckets.astype(np.int64)
            if not buckets_in_order(ngram_buckets, self.bucket):
                raise ValueError(f"ngram_buckets must be sorted, unique and in [0, {self.bucket})")
        self.ngram_vectors = ngram_vectors if ngram_vectors.dtype == np.float32 else ngram_vectors.astype(np.float32)
        if ngram_buckets is not None and len(ngram_buckets) == self.bucket:
            ngram_buckets = None  # every bucket has its row, in order: index directly
        self.ngram_buckets = ngram_buckets
        dim = self.ngram_vectors.shape[1]
        if word_rows is not None and (word_rows.ndim != 2 or word_rows.shape != (len(index_to_key), dim)):
            raise ValueError(f"word_rows must have shape ({len(index_to_key)}, {dim})")
        self._own_rows = word_rows
        self._word_ngrams = None  # CSR of each vocabulary word's n-gram rows, built on first use
        lazy = vectors is None
        if lazy:
            if word_rows is None:
                raise ValueError("give the vocabulary's vectors or its word_rows")
            vectors = np.zeros((len(index_to_key), dim), np.float32)  # a placeholder for the checks
        self._ready = False
        super().__init__(vectors, index_to_key, counts=counts, metadata=metadata)
        self._ready = True
        if lazy:
            self._composed = None
        elif self._composed.shape[1] != dim:
            raise ValueError(f"vectors have {self._composed.shape[1]} dimensions, n-gram rows {dim}")

    @classmethod
    def from_table(cls, table, W_in: np.ndarray, index_to_key: Sequence[str], *, counts=None,
                   metadata: dict[str, Any] | None = None) -> "SubwordVectors":
        """A trained model's vectors: `table` is its `subwords.NgramTable`, `W_in` its input matrix
        (V word rows, then the used buckets' rows), copied; the vocabulary's vectors (the means of
        their rows) are composed block by block on first use."""
        V = len(index_to_key)
        W = np.asarray(W_in, dtype=np.float32)
        return cls(None, index_to_key, W[V:].copy(), table.buckets.copy(), minn=table.minn, maxn=table.maxn,
                   bucket=table.bucket, counts=counts, metadata=metadata, word_rows=W[:V].copy())

    # `vectors` is composed from the rows when it is first needed (a memory-mapped model)
    @property
    def _vectors(self) -> np.ndarray:
        if self._composed is None:
            self._composed = self._compose_all()
        return self._composed

    @_vectors.setter
    def _vectors(self, value: np.ndarray) -> None:
        self._composed = value
        if getattr(self, "_ready", False):
            self._own_rows = None  # new vectors: the words' own rows follow from them again

    @property
    def vector_size(self) -> int:
        return int(self.ngram_vectors.shape[1])

    def __repr__(self) -> str:
        return (f"SubwordVectors({len(self)} words, {self.vector_size} dimensions, "
                f"{self.ngram_vectors.shape[0]} n-gram rows, n-grams {self.minn}-{self.maxn})")

    # -- n-gram rows ------------------------------------------------------------------------------

    def _rows_of_buckets(self, buckets: np.ndarray) -> np.ndarray:
        """The n-gram row of each bucket, -1 where no row exists (a bucket no training word used)."""
        if self.ngram_buckets is None:
            return buckets
        if len(self.ngram_buckets) == 0:
            return np.full(len(buckets), -1, np.int64)
        pos = np.minimum(np.searchsorted(self.ngram_buckets, buckets), len(self.ngram_buckets) - 1)
        return np.where(self.ngram_buckets[pos] == buckets, pos, -1)

    def ngram_rows(self, word: str) -> np.ndarray:
        """Rows of `ngram_vectors` for each n-gram of `word` in fastText's order (-1: unknown)."""
        from wordvec.subwords import ngram_buckets

        return self._rows_of_buckets(ngram_buckets(word, self.minn, self.maxn, self.bucket))

    def _has_vector(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        if word in self.key_to_index:
            return True
        try:
            self._unseen_vector(word)
        except UnknownWordError:
            return False
        return True

    def __contains__(self, word: object) -> bool:
        """True if the model can give `word` a vector (also an unseen word with a known n-gram);
        `has_index_for` says whether it is in the vocabulary."""
        return self._has_vector(word)

    #: for a model still in training (the gensim-style FastText): bucket ids -> their rows' starting
    #: values, standing in for rows no vocabulary word uses (fastText and gensim allocate all of
    #: them at random); None for vectors read from files, where such rows are unknown
    initial_rows = None

    def _unseen_vector(self, word: str) -> np.ndarray:
        rows = self.ngram_rows(word)
        known = rows[rows >= 0]
        if self.initial_rows is not None and len(rows) > len(known):
            from wordvec.subwords import ngram_buckets

            buckets = ngram_buckets(word, self.minn, self.maxn, self.bucket)
            total = self.ngram_vectors[np.sort(known)].astype(np.float64).sum(axis=0) + \
                self.initial_rows(buckets[rows < 0]).astype(np.float64).sum(axis=0)
            return (total / len(rows)).astype(np.float32)
        if len(known) == 0:
            raise UnknownWordError([word])
        total = self.ngram_vectors[np.sort(known)].astype(np.float64).sum(axis=0)
        if not np.isfinite(total).all():
            raise formats.VectorFileError(f"the n-gram rows of {word!r} hold NaN/Inf")
        if not total.any():  # only rows no training word reached (zero in a file wordvec wrote)
            raise UnknownWordError([word])
        return (total / len(rows)).astype(np.float32)

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """The vector of any word: a vocabulary word's row of `vectors`, else the mean of its
        n-gram rows (UnknownWordError when none of them is known)."""
        if isinstance(word, str) and word in self.key_to_index:
            if self._composed is None and not norm:  # a memory-mapped model: touch only this word's rows
                return self._compose_words(np.array([self.key_to_index[word]]))[0]
            return super().get_vector(word, norm)
        if not isinstance(word, str):
            raise UnknownWordError([word])
        vec = self._unseen_vector(word)
        return _unit(vec) if norm else vec

    # -- composing the vocabulary's vectors -------------------------------------------------------

    def word_ngrams(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR (offsets, rows) of each vocabulary word's n-gram rows (-1: a bucket without a row)."""
        if self._word_ngrams is None:
            from wordvec.subwords import ngram_lists

            offsets, buckets = ngram_lists(self.index_to_key, self.minn, self.maxn, self.bucket)
            self._word_ngrams = (offsets, self._rows_of_buckets(buckets))
        return self._word_ngrams

    def _ngram_sums(self, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For vocabulary rows `words`: the float64 sum of each word's known n-gram rows, and its
        number of n-grams."""
        from wordvec.subwords import ngram_sums

        offsets, rows = self.word_ngrams()
        words = np.ascontiguousarray(words, dtype=np.int64)
        sums = np.empty((len(words), self.vector_size), np.float64)
        ngram_sums(self.ngram_vectors, offsets, rows, words, sums)
        return sums, (offsets[words + 1] - offsets[words]).astype(np.int64)

    def _compose_words(self, words: np.ndarray) -> np.ndarray:
        sums, counts = self._ngram_sums(words)
        own = np.asarray(self._own_rows[words], dtype=np.float64)
        out = ((own + sums) / (1 + counts)[:, None]).astype(np.float32)
        if not np.isfinite(out).all():  # a memory-mapped file is checked as its rows are used
            raise formats.VectorFileError("the model's rows hold NaN/Inf")
        return out

    def _blocks(self):
        """The vocabulary's rows in blocks of 4096 (memory bounded by a block, not the vocabulary)."""
        V = len(self.index_to_key)
        return (np.arange(start, min(start + 4096, V)) for start in range(0, V, 4096))

    def _compose_all(self) -> np.ndarray:
        out = np.empty((len(self.index_to_key), self.vector_size), np.float32)
        for words in self._blocks():
            out[words] = self._compose_words(words)
        return out

    def analogy_batch(self, questions, topn: int = 1, method: str = "add", restrict_vocab: int | None = None):
        """`KeyedVectors.analogy_batch`; questions with unseen words are answered one by one."""
        questions = [tuple(q) for q in questions]
        if all(w in self.key_to_index for q in questions for w in q):
            return super().analogy_batch(questions, topn, method, restrict_vocab)
        return [self.analogy(*q, topn=topn, method=method, restrict_vocab=restrict_vocab) for q in questions]

    @property
    def word_rows(self) -> np.ndarray:
        """The vocabulary words' own input rows (recovered as vector * (1 + n) - n-gram sum when
        the model was read from a file that keeps only the composed vectors)."""
        if self._own_rows is None:
            rows = np.empty_like(self._vectors)
            for words in self._blocks():
                sums, counts = self._ngram_sums(words)
                rows[words] = (self._vectors[words].astype(np.float64) * (1 + counts)[:, None] - sums).astype(np.float32)
            self._own_rows = rows
        return self._own_rows

    # -- files ------------------------------------------------------------------------------------

    def subword_data(self, with_word_rows: bool = False) -> dict[str, Any]:
        """The n-gram part a file stores beside the vectors (`formats.VectorData.subwords`);
        `with_word_rows` adds the words' own rows (Facebook's format needs them)."""
        vectors, buckets = self.ngram_vectors, self.ngram_buckets
        if buckets is None and not with_word_rows:
            # a dense (Facebook) model keeps all its rows: the ones no vocabulary word reaches
            # still shape unseen words' vectors there (fastText starts every row at random)
            buckets = np.arange(self.bucket, dtype=np.int64)
        part = {"ngram_vectors": vectors, "ngram_buckets": buckets,
                "minn": self.minn, "maxn": self.maxn, "bucket": self.bucket}
        if with_word_rows:
            part["word_rows"] = self.word_rows
        return part

    def save(self, path: str | os.PathLike, format: str | None = None) -> None:
        """As `KeyedVectors.save`; the native format also keeps the n-gram rows (only the used
        ones), and `format="fasttext"` writes Facebook's `.bin` (its `load_model` reads it)."""
        from wordvec import __version__

        fmt, _ = formats.output_format(path, format)
        vectors = None if fmt == "fasttext" else self._vectors  # Facebook's format stores the rows instead
        formats.save_vectors(path, vectors, self.index_to_key, self.counts, self.metadata,
                             fmt=fmt, version=__version__, subwords=self.subword_data(fmt == "fasttext"))

def _unit(vec: np.ndarray) -> np.ndarray:
    """`vec` scaled to unit length in float64, returned as float32 (zero stays zero)."""
    vec64 = np.asarray(vec, dtype=np.float64)
    norm = np.sqrt(vec64 @ vec64)
    return (vec64 * (1.0 / norm) if norm > 0 else vec64).astype(np.float32)


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, the column indices of the k largest scores, best first (argpartition + sort)."""
    if k == 1:
        return np.argmax(scores, axis=1)[:, None]
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape).copy()
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def analogy_top_k(
    kv: KeyedVectors, abc: np.ndarray, topn: int, method: str = "add", clip: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For rows (a, b, c) of word indices, the `topn` best answers to a:b = c:? (a, b, c excluded).

    Works in blocks of queries with one matrix product each. "add" reproduces gensim's
    arithmetic (sum of unit vectors, mean, unit length, cosine with every row); "mul" is 3CosMul.
    Returns (indices, scores), both (n, topn); slots beyond the searchable words score -inf.
    """
    if method not in ("add", "mul"):
        raise ValueError(f"method must be 'add' or 'mul', got {method!r}")
    clip = len(kv) if clip is None else clip
    abc = np.asarray(abc, dtype=np.int64).reshape(-1, 3)
    unit = kv._unit_rows
    matrix, norms = kv.vectors[:clip], kv.norms[:clip]
    k = max(0, min(topn, clip))
    top = np.zeros((len(abc), k), dtype=np.int64)
    best = np.full((len(abc), k), -np.inf, dtype=np.float32)
    step = _block_rows(clip, copies=1 if method == "add" else 4)
    for start in range(0, len(abc), step):
        a, b, c = abc[start: start + step].T
        if method == "add":
            summed = (unit(b) + unit(c)) - unit(a)
            mean = summed.astype(np.float64) / 3.0
            lengths = np.sqrt(np.einsum("ij,ij->i", mean, mean))
            lengths[lengths == 0] = 1.0
            query = (mean * (1.0 / lengths)[:, None]).astype(np.float32)
            scores = query @ matrix.T
            scores /= norms  # divide after the product, as gensim does, for identical rankings
        else:
            def shifted(rows: np.ndarray) -> np.ndarray:
                return (1 + (unit(rows) @ matrix.T) / norms) / 2

            scores = shifted(b) * shifted(c) / (shifted(a) + _COSMUL_EPS)
        rows = np.arange(len(a))
        scores[:, kv._masked_zero_rows(clip)] = -np.inf
        for col in (a, b, c):
            inside = col < clip
            scores[rows[inside], col[inside]] = -np.inf
        if k:
            block_top = _top_k(scores, k)
            top[start: start + len(a)] = block_top
            best[start: start + len(a)] = np.take_along_axis(scores, block_top, axis=1)
    return top, best
