"""Character n-grams as fastText takes them (Bojanowski et al. 2017), and the compact n-gram table.

A word's n-grams are the substrings of `<word>` of `minn..maxn` characters (UTF-8 characters, not
bytes), except the lone `<` and `>` when minn is 1; each is hashed with fastText's 32-bit FNV-1a,
in which every byte is sign-extended first (fastText casts it to `int8_t`), and taken modulo
`bucket`. These rules decide which vectors a Facebook `.bin` model gives to unseen words, so they
are fastText's exactly (the tests compare with the `fasttext` package's own `get_subwords`).

fastText allocates all `bucket` rows (2,000,000 x dim by default) though only the buckets that
some vocabulary word hashes to can ever receive a gradient. `NgramTable` keeps only those: the
input matrix is `[V word rows | U used-bucket rows]`, and `buckets` (sorted) maps a bucket to its
row by binary search. Training and saved models then scale with the vocabulary, not with `bucket`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from wordvec._jit import njit

BOW, EOW = "<", ">"
EOS = "</s>"  # fastText's end-of-line word: it never gets n-grams
DEFAULT_MINN, DEFAULT_MAXN, DEFAULT_BUCKET = 3, 6, 2_000_000
MAX_BUCKET = 1 << 31  # fastText stores bucket, minn and maxn as int32


def check_spec(minn: int, maxn: int, bucket: int) -> None:
    """Raise ValueError unless (minn, maxn, bucket) is a setting fastText would train with."""
    for name, value in (("minn", minn), ("maxn", maxn), ("bucket", bucket)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be a whole number, got {value!r:.40}")
    if minn < 1:
        raise ValueError(f"minn must be >= 1, got {minn}")
    if maxn < minn:
        raise ValueError(f"maxn must be >= minn ({minn}), got {maxn}")
    if maxn >= MAX_BUCKET:
        raise ValueError(f"maxn must be below 2**31, got {maxn}")
    if not 1 <= bucket < MAX_BUCKET:
        raise ValueError(f"bucket must be between 1 and 2**31 - 1, got {bucket}")


def buckets_in_order(buckets: np.ndarray, bucket: int) -> bool:
    """True if `buckets` (int64) are sorted, unique and in [0, bucket): the rule for the buckets
    of a compact model's n-gram rows."""
    return not len(buckets) or bool(buckets[0] >= 0 and buckets[-1] < bucket and np.all(np.diff(buckets) > 0))


def fasttext_hash(data: bytes) -> int:
    """fastText's `Dictionary::hash`: FNV-1a over the bytes, each sign-extended as int8_t."""
    h = 2166136261
    for byte in data:
        h ^= byte | 0xFFFFFF00 if byte >= 0x80 else byte
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def ngrams(word: str, minn: int = DEFAULT_MINN, maxn: int = DEFAULT_MAXN) -> list[str]:
    """The character n-grams of `<word>` that fastText takes, in its order (none for `</s>`)."""
    if word == EOS:
        return []
    chars = BOW + word + EOW
    out = []
    for i in range(len(chars)):
        for n in range(1, maxn + 1):
            j = i + n
            if j > len(chars):
                break
            if n >= minn and not (n == 1 and (i == 0 or j == len(chars))):
                out.append(chars[i:j])
    return out


def ngram_buckets(word: str, minn: int = DEFAULT_MINN, maxn: int = DEFAULT_MAXN,
                  bucket: int = DEFAULT_BUCKET) -> np.ndarray:
    """The bucket (0..bucket-1) of each of `ngrams(word)`, int64, in the same order."""
    return ngram_lists([word], minn, maxn, bucket)[1]


# ---- many words at once (a compiled scan over their UTF-8 bytes) ----


@njit(cache=True, nogil=True)
def _scan(data, starts, minn, maxn, bucket, out, out_offsets, fill):
    """For word w = data[starts[w]:starts[w+1]] (UTF-8, already wrapped in < >), count its n-grams
    (fill=False) or write their buckets into out[out_offsets[w]:] (fill=True); returns counts."""
    n_words = starts.shape[0] - 1
    counts = np.zeros(n_words, np.int64)
    for w in range(n_words):
        a = starts[w]
        b = starts[w + 1]
        k = out_offsets[w] if fill else 0
        c = 0
        for i in range(a, b):
            if (data[i] & 0xC0) == 0x80:  # not the first byte of a character
                continue
            h = np.uint64(2166136261)
            j = i
            n = 1
            while j < b and n <= maxn:
                # one more character: its first byte and its continuation bytes
                while True:
                    byte = np.uint64(data[j])
                    if byte >= 0x80:
                        byte |= np.uint64(0xFFFFFF00)
                    h = ((h ^ byte) * np.uint64(16777619)) & np.uint64(0xFFFFFFFF)
                    j += 1
                    if j >= b or (data[j] & 0xC0) != 0x80:
                        break
                if n >= minn and not (n == 1 and (i == a or j == b)):
                    if fill:
                        out[k] = np.int64(h % np.uint64(bucket))
                        k += 1
                    c += 1
                n += 1
        counts[w] = c
    return counts


def ngram_lists(words: Sequence[str], minn: int, maxn: int, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """All words' n-gram buckets as CSR: (offsets int64[len(words)+1], buckets int64[nnz]); word w's
    buckets are buckets[offsets[w]:offsets[w+1]], in `ngrams(w)` order. Characters are found in
    the UTF-8 bytes by fastText's rule (a byte 10xxxxxx continues a character)."""
    check_spec(minn, maxn, bucket)
    # surrogateescape: a word read from a fastText file that is not UTF-8 keeps its own bytes
    encoded = [b"" if w == EOS else _utf8(BOW + w + EOW) for w in words]
    starts = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=starts[1:])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8) if encoded else np.zeros(0, np.uint8)
    empty = np.zeros(0, np.int64)
    counts = _scan(data, starts, minn, maxn, bucket, empty, np.zeros(len(encoded), np.int64), False)
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    out = np.empty(int(offsets[-1]), np.int64)
    _scan(data, starts, minn, maxn, bucket, out, offsets[:-1].copy(), True)
    return offsets, out


@njit(cache=True, nogil=True)
def ngram_sums(ngram_vectors, offsets, rows, words, out):
    """out[i] = the float64 sum of the n-gram rows rows[offsets[w]:offsets[w+1]] of word
    w = words[i] (a row of -1, a bucket without a row, adds nothing)."""
    dim = ngram_vectors.shape[1]
    for i in range(words.shape[0]):
        w = words[i]
        for d in range(dim):
            out[i, d] = 0.0
        for p in range(offsets[w], offsets[w + 1]):
            r = rows[p]
            if r >= 0:
                for d in range(dim):
                    out[i, d] += ngram_vectors[r, d]


def _utf8(text: str) -> bytes:
    """UTF-8 bytes of `text`; a word read from a fastText file that is not UTF-8 gets its own bytes
    back (surrogateescape), any other lone surrogate is encoded as it stands (it matches no word)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class NgramTable:
    """The n-gram rows a vocabulary uses: input rows `[V words | U buckets]`.

    `buckets` (int64, sorted, unique) are the buckets some vocabulary word hashes to; bucket
    `buckets[u]` is input row V + u. `offsets`/`rows` (CSR, int64/int32) give each vocabulary word's
    input rows: its own row first, then the rows of its n-grams in fastText's order (a repeated
    n-gram counts twice, as in fastText).
    """

    minn: int
    maxn: int
    bucket: int
    buckets: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray

    @classmethod
    def build(cls, words: Sequence[str], minn: int = DEFAULT_MINN, maxn: int = DEFAULT_MAXN,
              bucket: int = DEFAULT_BUCKET) -> "NgramTable":
        V = len(words)
        ng_offsets, ng = ngram_lists(words, minn, maxn, bucket)
        buckets, inverse = np.unique(ng, return_inverse=True)
        sizes = np.diff(ng_offsets) + 1
        offsets = np.zeros(V + 1, np.int64)
        np.cumsum(sizes, out=offsets[1:])
        rows = np.empty(int(offsets[-1]), np.int32)
        rows[offsets[:-1]] = np.arange(V, dtype=np.int32)  # each word's own row first
        is_ngram = np.ones(len(rows), bool)
        is_ngram[offsets[:-1]] = False
        rows[is_ngram] = (V + inverse.ravel()).astype(np.int32)
        return cls(int(minn), int(maxn), int(bucket), buckets.astype(np.int64), offsets, rows)

    @property
    def vocab_size(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_rows(self) -> int:
        """Rows of the input matrix: one per word and one per used bucket."""
        return self.vocab_size + len(self.buckets)

    def input_rows(self):
        """The engine's `InputRows` table for this vocabulary."""
        from wordvec.fast.rows import InputRows

        return InputRows(self.offsets.copy(), self.rows.copy(), self.n_rows)

    def spec(self) -> dict:
        return {"minn": self.minn, "maxn": self.maxn, "bucket": self.bucket}
