"""Corpus reading, vocabulary and encoding, checked against pure-Python oracles, gensim and the book."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from collections import Counter
from pathlib import Path

import gensim.models as gensim_models
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordvec import corpus as corpus_mod
from wordvec.corpus import EncodedCorpus, Vocabulary, book_corpus, load_corpus
from wordvec.errors import CorpusError

from conftest import require

def oracle(data: bytes, min_count: int = 1, order: str = "frequency", lowercase: bool = False):
    """Straightforward pure-Python reading: (words, counts, sentences as id lists). A sentence is a
    line (ended by b"\\n"); its words are what `str.split()` gives (every Unicode whitespace
    separates, NUL is a word character)."""
    lines = [line.decode("utf-8").split() for line in data.split(b"\n")]
    if lowercase:
        lines = [[w.lower() for w in line] for line in lines]
    counts = Counter(w for line in lines for w in line)  # insertion order = first occurrence
    kept = [w for w in counts if counts[w] >= min_count]
    if order == "frequency":
        kept = sorted(kept, key=lambda w: -counts[w])  # stable: ties keep first occurrence
    index = {w: i for i, w in enumerate(kept)}
    sentences = [[index[w] for w in line if w in index] for line in lines]
    return kept, [counts[w] for w in kept], [s for s in sentences if s]


def as_lists(c: EncodedCorpus) -> list[list[int]]:
    return [c.sentence(i).tolist() for i in range(c.n_sentences)]


def check_against_oracle(path: Path, data: bytes, **options) -> EncodedCorpus:
    options.setdefault("min_count", 1)
    words, counts, sentences = oracle(data, **options)
    c = load_corpus(path, **options)
    assert c.vocab.index_to_key == words
    assert c.vocab.counts.tolist() == counts
    assert as_lists(c) == sentences
    assert c.ids.dtype == np.int32 and c.offsets.dtype == np.int64
    assert c.offsets[0] == 0 and c.offsets[-1] == len(c.ids)
    return c


# --------------------------------------------------------------------------- tokenizing


_word = st.sampled_from(["a", "b", "the", "cat", "é", "naïve", "日本", "x" * 30, "A", "É"])
_sep = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\n\n", " \x0b\x0c", "\x00", "\u00a0", "\u3000",
                        "\x1c", "\x85", "\u2028"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.tuples(_word, _sep), max_size=80), chunk=st.integers(1, 40),
       min_count=st.integers(1, 3), order=st.sampled_from(["frequency", "first_seen"]),
       lowercase=st.booleans())
def test_matches_python_oracle_across_chunk_boundaries(tmp_path, monkeypatch, parts, chunk,
                                                       min_count, order, lowercase):
    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", chunk)
    data = "".join(w + s for w, s in parts).encode()
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    if not oracle(data)[0]:
        with pytest.raises(CorpusError, match="empty"):
            load_corpus(path, min_count=min_count)
        return
    words = oracle(data, min_count=min_count, lowercase=lowercase)[0]
    if not words:
        with pytest.raises(CorpusError, match=f"at least {min_count} times"):
            load_corpus(path, min_count=min_count, lowercase=lowercase)
        return
    check_against_oracle(path, data, min_count=min_count, order=order, lowercase=lowercase)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.tuples(_word, _sep), min_size=1, max_size=60), chunk=st.integers(1, 30))
def test_eos_mode_matches_oracle_across_chunk_boundaries(tmp_path, monkeypatch, parts, chunk):
    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", chunk)
    data = "".join(w + s for w, s in parts).encode()
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    tokens = data.decode("utf-8").replace("\n", " <eos> ").split()
    index: dict[str, int] = {}
    ids = [index.setdefault(w, len(index)) for w in tokens]
    c = book_corpus(path)
    assert c.vocab.index_to_key == list(index) and c.ids.tolist() == ids
    assert c.offsets.tolist() == [0, len(ids)]


def test_last_line_without_newline_and_nul_is_a_word_byte(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"a\x00b  c\n\n\nc\ta\x00\x00\nb")
    c = load_corpus(path, min_count=1, order="first_seen")
    assert c.vocab.index_to_key == ["a\x00b", "c", "a\x00\x00", "b"]  # as str.split: NUL is no whitespace
    assert as_lists(c) == [[0, 1], [1, 2], [3]]


def test_utf8_byte_order_mark_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", 2)  # the mark arrives split across reads
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfhello world\nhello\n")
    c = load_corpus(path, min_count=1)
    assert c.vocab.index_to_key == ["hello", "world"]
    assert as_lists(c) == [[0, 1], [0]]


def test_many_distinct_words_grow_the_hash_table(tmp_path):
    rng = np.random.default_rng(0)
    tokens = [f"w{k}" for k in rng.integers(0, 60_000, size=200_000)]
    data = "\n".join(" ".join(tokens[i:i + 37]) for i in range(0, len(tokens), 37)).encode()
    path = tmp_path / "big.txt"
    path.write_bytes(data)
    check_against_oracle(path, data, min_count=2)


def test_huge_single_line(tmp_path):
    path = tmp_path / "line.txt"
    unit = b"the cat sat on a mat "
    reps = 50_000_000 // len(unit)
    path.write_bytes(unit * reps)  # ~50 MB, no newline at all
    c = load_corpus(path, min_count=1)
    assert c.n_sentences == 1 and len(c) == 6 * reps
    assert c.vocab.counts.tolist() == [reps] * 6
    assert c.vocab.index_to_key == ["the", "cat", "sat", "on", "a", "mat"]
    assert c.ids[:6].tolist() == list(range(6)) and c.ids[-6:].tolist() == list(range(6))


def test_memory_is_about_four_bytes_per_word(tmp_path, monkeypatch):
    import tracemalloc

    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", 1 << 20)
    rng = np.random.default_rng(1)
    words = np.array([f"w{k}" for k in range(5000)])
    path = tmp_path / "m.txt"
    n = 2_000_000
    lines = words[rng.integers(0, 5000, size=n)].reshape(-1, 20)
    path.write_text("\n".join(" ".join(line) for line in lines) + "\n")
    load_corpus(path, min_count=1)  # compile/warm outside the trace
    tracemalloc.start()
    try:
        vocab = Vocabulary.build(path)
        build_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        c = vocab.encode(path)
        encode_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(c) == n and c.n_sentences == n // 20
    size = path.stat().st_size
    assert size > 1e7 and build_peak < 4e6  # counting keeps no per-word data and no text
    assert encode_peak < 4.3 * n + 5e6  # int32 ids (+2% slack) + offsets + 1 MiB buffer + vocab


def test_giant_word_longer_than_a_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", 1 << 16)
    giant = b"z" * 300_000
    path = tmp_path / "giant.txt"
    path.write_bytes(b"a " + giant + b" a\n" + giant + b"\n")
    c = load_corpus(path, min_count=1)
    assert c.vocab.index_to_key == ["a", giant.decode()]
    assert as_lists(c) == [[0, 1, 0], [1]]


def test_only_stop_words(tmp_path):
    path = tmp_path / "stop.txt"
    path.write_text("the the a\nof the a\n" * 50)
    c = load_corpus(path, min_count=5)
    assert c.vocab.index_to_key == ["the", "a", "of"]
    keep = c.vocab.keep_probabilities(1e-3)
    assert np.all((keep > 0) & (keep < 1))  # every word is frequent: all are subsampled


# --------------------------------------------------------------------------- sources


def test_compressed_files_and_directories(tmp_path):
    texts = [b"alpha beta\nbeta gamma\n", b"gamma delta delta\n", b"beta\nepsilon alpha\n"]
    plain = tmp_path / "all.txt"
    plain.write_bytes(b"".join(texts))
    expected = load_corpus(plain, min_count=1)
    d = tmp_path / "dir"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt.gz").write_bytes(gzip.compress(texts[0]))
    (d / "b.bz2").write_bytes(bz2.compress(texts[1]))
    (d / "sub" / "c.xz").write_bytes(lzma.compress(texts[2]))
    (d / ".hidden").write_bytes(b"never read\n")
    c = load_corpus(d, min_count=1)
    assert c.vocab.index_to_key == expected.vocab.index_to_key
    assert np.array_equal(c.ids, expected.ids) and np.array_equal(c.offsets, expected.offsets)
    gz = tmp_path / "one.txt.gz"
    gz.write_bytes(gzip.compress(b"".join(texts)))
    assert np.array_equal(load_corpus(gz, min_count=1).ids, expected.ids)


def test_file_end_closes_sentence_between_files(tmp_path):
    (tmp_path / "1.txt").write_bytes(b"a b")  # no trailing newline
    (tmp_path / "2.txt").write_bytes(b"c d\n")
    c = load_corpus(tmp_path, min_count=1, order="first_seen")
    assert as_lists(c) == [[0, 1], [2, 3]]


def test_iterable_of_sentences(monkeypatch):
    sents = [["the", "cat"], [], ["the", "dog", "the"]]
    c = load_corpus(sents, min_count=1)
    assert c.vocab.index_to_key == ["the", "cat", "dog"]
    assert as_lists(c) == [[0, 1], [0, 2, 0]]
    with pytest.raises(CorpusError, match="not strings"):
        load_corpus(["the cat", "a dog"], min_count=1)
    with pytest.raises(CorpusError, match="sequences of str"):
        load_corpus([[1, 2]], min_count=1)
    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", 1 << 16)
    big = [[f"w{i % 997}", "x"] for i in range(300_000)]  # ~2 MB: many 64 KiB reads
    c = load_corpus(iter(big), min_count=1, order="first_seen")
    assert len(c) == 600_000 and c.n_sentences == 300_000 and c.words(998) == ["w1", "x"]


# --------------------------------------------------------------------------- errors


def test_missing_empty_and_filtered_corpora(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope.txt")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b" \n\t\n")
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(empty)
    (tmp_path / "d").mkdir()
    with pytest.raises(CorpusError, match="no files"):
        load_corpus(tmp_path / "d")
    small = tmp_path / "small.txt"
    small.write_text("a b c a\n")
    with pytest.raises(CorpusError) as info:
        load_corpus(small, min_count=5)
    msg = str(info.value)
    assert "\n" not in msg and "at least 5 times" in msg and "3 distinct words" in msg


def test_corrupt_compressed_file(tmp_path):
    good = gzip.compress(b"alpha beta gamma\n" * 1000)
    for name, data in (("cut.gz", good[: len(good) // 2]), ("junk.gz", good[:20] + b"\x00" * 200),
                       ("junk.bz2", b"BZh9" + b"\x17" * 100), ("junk.xz", b"not xz at all")):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CorpusError, match=f"cannot read corpus .*{name}"):
            load_corpus(path, min_count=1)


def test_bad_options_are_value_errors(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b\n")
    for kwargs in ({"order": "alphabetical"}, {"min_count": 0}, {"max_size": 0},
                   {"errors": "ignore"}, {"eos_token": "two words"}):
        with pytest.raises(ValueError):
            load_corpus(path, **kwargs)


@pytest.mark.parametrize("chunk", [5, 1 << 24])
def test_invalid_utf8_names_file_and_offset(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", chunk)
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_bytes("fine words\n".encode())
    bad = "ok déjà vu\nok ".encode() + b"caf\xe9 ok caf\xe9\n"  # a latin-1 word in UTF-8 text
    (d / "b.txt").write_bytes(bad)
    with pytest.raises(CorpusError) as info:
        load_corpus(d, min_count=1)
    msg = str(info.value)
    offset = bad.index(b"\xe9")
    assert "b.txt" in msg and f"byte {offset}" in msg and "\n" not in msg
    utf16 = tmp_path / "utf16.txt"
    utf16.write_text("some words\n", encoding="utf-16")  # BOM + NULs: not UTF-8 at all
    with pytest.raises(CorpusError, match="utf16.txt at byte 0"):
        load_corpus(utf16, min_count=1)
    c = load_corpus(d, min_count=1, errors="replace")
    assert "caf\ufffd" in c.vocab and c.vocab.counts[c.vocab.key_to_index["caf\ufffd"]] == 2


def test_replacement_merges_distinct_invalid_words(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"x\xff x\xfe x\xff y\n")
    c = load_corpus(path, min_count=1, errors="replace")
    assert c.vocab.index_to_key == ["x\ufffd", "y"]
    assert c.vocab.counts.tolist() == [3, 1]
    assert as_lists(c) == [[0, 0, 0, 1]]


def test_lowercase_merges_non_ascii_words(tmp_path):
    path = tmp_path / "case.txt"
    path.write_text("Élan ÉLAN x élan\nSTRASSE straße Ω ω x\n", encoding="utf-8")
    c = check_against_oracle(path, path.read_bytes(), lowercase=True)
    assert c.vocab.index_to_key[:3] == ["élan", "x", "ω"]
    assert c.vocab.counts[0] == 3 and "strasse" in c.vocab and "straße" in c.vocab


# --------------------------------------------------------------------------- vocabulary


def test_vocabulary_max_size_orders_and_encode(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("d c c b b b a a a a\ne e e e e\n")
    v = Vocabulary.build(path, max_size=3)
    assert v.index_to_key == ["e", "a", "b"] and v.id_to_word is v.index_to_key
    assert v.word_to_id == {"e": 0, "a": 1, "b": 2} and v.total_words == 12
    fs = Vocabulary.build(path, max_size=3, order="first_seen")
    assert fs.index_to_key == ["b", "a", "e"]
    ties = tmp_path / "ties.txt"
    ties.write_text("x y z y x z w\n")
    assert Vocabulary.build(ties).index_to_key == ["x", "y", "z", "w"]
    assert Vocabulary.build(ties, order="gensim").index_to_key == ["z", "y", "x", "w"]
    other = tmp_path / "other.txt"
    other.write_text("zzz a\nqqq\nb e unknown\n")
    enc = v.encode(other)
    assert as_lists(enc) == [[1], [2, 0]] and enc.vocab is v
    assert len(enc) == 3 and enc.n_sentences == 2
    unrelated = tmp_path / "unrelated.txt"
    unrelated.write_text("nothing here is known\n")
    with pytest.raises(CorpusError, match="no word of .* is in the vocabulary"):
        v.encode(unrelated)


def test_build_matches_load_corpus_vocab(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("b a b c\nc c a\n")
    v = Vocabulary.build(path, lowercase=True)
    c = load_corpus(path, min_count=1, lowercase=True)
    assert v.index_to_key == c.vocab.index_to_key and np.array_equal(v.counts, c.vocab.counts)
    assert np.array_equal(v.encode(path).ids, c.ids)


def test_dict_round_trip_is_json_safe(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("Ünï cödé ünï\n", encoding="utf-8")
    v = Vocabulary.build(path, lowercase=True, eos_token="</s>")
    back = Vocabulary.from_dict(json.loads(json.dumps(v.to_dict())))
    assert back.index_to_key == v.index_to_key and np.array_equal(back.counts, v.counts)
    assert back.lowercase and back.eos_token == "</s>"
    assert np.array_equal(back.encode(path).ids, v.encode(path).ids)
    with pytest.raises(CorpusError):
        Vocabulary.from_dict({"words": ["a", "b"], "counts": [1]})
    with pytest.raises(CorpusError):
        Vocabulary.from_dict({"words": ["a", "a"], "counts": [1, 1]})


def test_keep_probabilities_formula():
    v = Vocabulary(["a", "b", "c"], [900, 90, 10])
    s = 1e-2
    t = s * 1000
    expected = [min(1.0, (np.sqrt(f / t) + 1) * t / f) for f in (900, 90, 10)]
    np.testing.assert_allclose(v.keep_probabilities(s), expected, rtol=1e-6)
    assert v.keep_probabilities(s).dtype == np.float32
    assert v.keep_probabilities(s)[2] == 1.0 and v.keep_probabilities(0).tolist() == [1, 1, 1]


def test_eos_token_mode(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b\n\nc a\n")
    c = book_corpus(path)
    assert c.vocab.index_to_key == ["a", "b", "<eos>", "c"]
    assert c.n_sentences == 1 and c.ids.tolist() == [0, 1, 2, 2, 3, 0, 2]


# --------------------------------------------------------------------------- PTB


def book_preprocess(text: str) -> tuple[list[int], list[str]]:
    """The book's ptb.py, in plain Python."""
    words = text.replace("\n", "<eos>").strip().split()
    word_to_id: dict[str, int] = {}
    for w in words:
        if w not in word_to_id:
            word_to_id[w] = len(word_to_id)
    return [word_to_id[w] for w in words], list(word_to_id)


def test_book_corpus_matches_book_preprocess(ptb_train):
    ids, words = book_preprocess(ptb_train.read_text())
    c = book_corpus(str(ptb_train))
    assert len(c) == 929_589 == len(ids) and len(c.vocab) == 10_000
    assert c.vocab.index_to_key == words
    assert np.array_equal(c.ids, np.asarray(ids, dtype=np.int32))
    assert c.n_sentences == 1


def test_book_valid_split_uses_train_ids(data_dir, ptb_train, monkeypatch):
    monkeypatch.setenv("WORDVEC_DATA", str(data_dir))
    train_words = book_preprocess(ptb_train.read_text())[1]
    index = {w: i for i, w in enumerate(train_words)}
    valid = require("ptb/ptb.valid.txt").read_text().replace("\n", "<eos>").strip().split()
    c = book_corpus("ptb:valid")
    assert c.vocab.index_to_key == train_words
    assert np.array_equal(c.ids, np.asarray([index[w] for w in valid], dtype=np.int32))


def test_ptb_vocabulary_matches_gensim(data_dir, ptb_train, monkeypatch):
    monkeypatch.setenv("WORDVEC_DATA", str(data_dir))
    c = load_corpus("ptb", min_count=5, order="gensim")
    model = gensim_models.Word2Vec(min_count=5, sample=1e-3)
    model.build_vocab(corpus_file=str(ptb_train))
    wv = model.wv
    assert c.vocab.index_to_key == list(wv.index_to_key)
    default = load_corpus("ptb", min_count=5)  # same words and counts; only ties ordered otherwise
    assert np.array_equal(default.vocab.counts, c.vocab.counts)
    assert sorted(default.vocab.index_to_key) == sorted(c.vocab.index_to_key)
    assert default.vocab.index_to_key != c.vocab.index_to_key
    assert c.vocab.counts.tolist() == [wv.get_vecattr(w, "count") for w in wv.index_to_key]
    sample_int = np.asarray([wv.get_vecattr(w, "sample_int") for w in wv.index_to_key])
    ours = np.round(c.vocab.keep_probabilities(1e-3).astype(np.float64) * 2**32)
    np.testing.assert_allclose(ours, sample_int, rtol=1e-6)
    assert len(c) == c.vocab.total_words
