"""Subword (fastText) model: n-grams and hash against the `fasttext` package, the compact n-gram
table, training, vectors for unseen words, the native format's n-gram rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wordvec
from wordvec.errors import UnknownWordError
from wordvec.subwords import NgramTable, check_spec, fasttext_hash, ngram_buckets, ngram_lists, ngrams
from wordvec.vectors import KeyedVectors, SubwordVectors

fasttext = pytest.importorskip("fasttext")  # in the test extra: CI has it, so this never skips there

ODD_WORDS = ["the", "a", "über", "naïve", "日本語", "x", "ab", "emoji😀s", "ça", "long" * 5, "é", "--"]


@pytest.fixture(scope="module")
def tiny_ft(tmp_path_factory):
    """A fastText model trained by the `fasttext` package on a corpus of odd words."""
    path = tmp_path_factory.mktemp("ft") / "tiny.txt"
    path.write_text((" ".join(ODD_WORDS * 10) + "\n") * 20, encoding="utf-8")
    return fasttext.train_unsupervised(str(path), model="skipgram", dim=8, epoch=1, minCount=1, minn=2, maxn=5,
                                       bucket=5000, thread=1, verbose=0)


@pytest.mark.parametrize("word", ODD_WORDS + ["unseen", "ö", "", "Zürich-😀", "</s>"])
def test_ngrams_and_buckets_are_fasttexts(tiny_ft, word):
    subwords, ids = tiny_ft.get_subwords(word)
    own = tiny_ft.get_word_id(word)
    nwords = len(tiny_ft.words)
    expected_ngrams = list(subwords[1:] if own >= 0 else subwords)
    expected_buckets = [i - nwords for i in (ids[1:] if own >= 0 else ids)]
    assert ngrams(word, 2, 5) == expected_ngrams
    assert ngram_buckets(word, 2, 5, 5000).tolist() == expected_buckets


def test_hash_sign_extends_bytes_as_fasttext():
    # fastText hashes int8_t(byte): a byte >= 0x80 is xor-ed in as 0xFFFFFFxx, not 0x000000xx
    def unsigned_fnv(data: bytes) -> int:
        h = 2166136261
        for b in data:
            h = ((h ^ b) * 16777619) & 0xFFFFFFFF
        return h

    assert fasttext_hash(b"abc") == unsigned_fnv(b"abc")
    assert fasttext_hash("ü".encode()) != unsigned_fnv("ü".encode())
    assert fasttext_hash(b"") == 2166136261


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=8), st.integers(1, 4), st.integers(0, 3),
       st.integers(1, 10**6))
def test_compiled_scan_equals_the_python_rules(words, minn, extra, bucket):
    maxn = minn + extra
    offsets, buckets = ngram_lists(words, minn, maxn, bucket)
    for i, word in enumerate(words):
        try:
            word.encode("utf-8")
        except UnicodeEncodeError:
            continue  # lone surrogates: only words read from fastText files carry them
        expected = [] if word == "</s>" else [fasttext_hash(g.encode()) % bucket for g in ngrams(word, minn, maxn)]
        assert buckets[offsets[i]:offsets[i + 1]].tolist() == expected


def test_spec_checks():
    check_spec(3, 6, 2_000_000)
    for bad in [(0, 6, 10), (4, 3, 10), (3, 6, 0), (3, 6, 2**31), (3.0, 6, 10), (True, 6, 10)]:
        with pytest.raises(ValueError):
            check_spec(*bad)


def test_ngram_table_keeps_only_used_buckets():
    words = ["the", "then", "he", "</s>"]
    table = NgramTable.build(words, 3, 4, 1000)
    V = len(words)
    used = sorted({int(b) for w in words for b in ngram_buckets(w, 3, 4, 1000)})
    assert table.buckets.tolist() == used
    assert table.n_rows == V + len(used)
    for w, word in enumerate(words):
        rows = table.rows[table.offsets[w]:table.offsets[w + 1]]
        assert rows[0] == w  # the word's own row first
        expected = [V + used.index(int(b)) for b in ngram_buckets(word, 3, 4, 1000)]
        assert rows[1:].tolist() == expected
    assert table.offsets[-1] - table.offsets[-2] == 1  # </s> has no n-grams, as in fastText
    rows = table.input_rows()
    assert rows.n_rows == table.n_rows and rows.vocab_size == V


@pytest.fixture(scope="module")
def small_model():
    rng = np.random.default_rng(0)
    stems = ["walk", "talk", "jump", "play", "look", "work"]
    sentences = [[stems[i] + suffix for i, suffix in zip(rng.integers(0, 6, 8), rng.choice(["", "s", "ed", "ing"], 8))]
                 for _ in range(300)]
    corpus = wordvec.load_corpus(sentences, min_count=1)
    return wordvec.train(corpus, model="skipgram", subwords=True, minn=3, maxn=5, bucket=50_000, dim=16,
                         epochs=2, threads=1, seed=3, sample=0.0)


def test_training_gives_subword_vectors_with_only_used_rows(small_model):
    kv = small_model
    assert isinstance(kv, SubwordVectors)
    assert (kv.minn, kv.maxn, kv.bucket) == (3, 5, 50_000)
    used = {int(b) for w in kv.index_to_key for b in ngram_buckets(w, 3, 5, 50_000)}
    assert kv.ngram_buckets.tolist() == sorted(used)
    assert kv.ngram_vectors.shape == (len(used), 16)
    assert np.isfinite(kv.vectors).all() and np.abs(kv.ngram_vectors).sum() > 0


def test_vocabulary_vector_is_the_mean_of_its_rows(small_model):
    kv = small_model
    for word in kv.index_to_key[:5]:
        rows = kv.ngram_rows(word)
        assert (rows >= 0).all()
        own = kv.word_rows[kv.key_to_index[word]]
        mean = (own.astype(np.float64) + kv.ngram_vectors[rows].astype(np.float64).sum(0)) / (1 + len(rows))
        np.testing.assert_allclose(kv[word], mean, rtol=1e-5, atol=1e-7)


def test_unseen_word_vector_and_queries(small_model):
    kv = small_model
    word = "walkings"
    assert word not in kv.key_to_index and word in kv and not kv.has_index_for(word)
    rows = kv.ngram_rows(word)
    known = rows[rows >= 0]
    assert 0 < len(known) < len(rows)
    expected = kv.ngram_vectors[known].astype(np.float64).sum(0) / len(rows)  # unknown n-grams count as zero
    np.testing.assert_allclose(kv[word], expected, rtol=1e-5, atol=1e-7)
    neighbours = [w for w, _ in kv.most_similar(word, topn=5)]
    assert word not in neighbours and all(w in kv.key_to_index for w in neighbours)
    assert -1.0 <= kv.similarity(word, "walk") <= 1.0
    assert kv.analogy("walk", "walked", word, topn=1)
    assert kv[[word, "walk"]].shape == (2, 16)
    with pytest.raises(UnknownWordError):
        kv["qqqqzz"]  # no known n-gram at all
    assert "qqqqzz" not in kv


def test_trained_ptb_model_links_morphology(ptb_train):
    kv = wordvec.train(str(ptb_train), model="skipgram", subwords=True, min_count=5, epochs=2, threads=2, seed=1)
    assert isinstance(kv, SubwordVectors)
    # an unseen inflection sits next to its stem's family, a seen one next to its stem
    assert "stockss" not in kv.key_to_index
    assert any("stock" in w for w, _ in kv.most_similar("stockss", topn=5))
    assert any(w.startswith("compan") for w, _ in kv.most_similar("companies", topn=5))


def test_native_round_trip_keeps_ngram_rows(tmp_path, small_model):
    kv = small_model
    path = tmp_path / "m.npz"
    kv.save(path)
    back = KeyedVectors.load(path)
    assert isinstance(back, SubwordVectors)
    assert (back.minn, back.maxn, back.bucket) == (kv.minn, kv.maxn, kv.bucket)
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.ngram_vectors, kv.ngram_vectors)
    np.testing.assert_array_equal(back["walkings"], kv["walkings"])
    np.testing.assert_allclose(back.word_rows, kv.word_rows, atol=1e-5)  # recovered from the means


def test_word2vec_formats_keep_the_vocabulary_vectors(tmp_path, small_model):
    kv = small_model
    for name in ("m.txt", "m.bin"):
        kv.save(tmp_path / name)
        back = KeyedVectors.load(tmp_path / name)
        assert type(back) is KeyedVectors and back.index_to_key == kv.index_to_key
        np.testing.assert_allclose(back.vectors, kv.vectors, rtol=1e-6, atol=1e-6)


def test_config_refuses_bad_subword_settings():
    with pytest.raises(ValueError, match="maxn"):
        wordvec.TrainConfig(subwords=True, minn=5, maxn=3)
    with pytest.raises(ValueError, match="ppmi"):
        wordvec.TrainConfig(model="ppmi", subwords=True)
    assert wordvec.TrainConfig(subwords=True).learning_rate == 0.05  # fastText's default


def test_fasttext_estimator_takes_gensims_names():
    sentences = [["walking", "talking", "walked", "talked"]] * 50
    model = wordvec.FastText(vector_size=8, min_n=2, max_n=4, bucket=1000, epochs=1, min_count=1, workers=1)
    assert (model.config.minn, model.config.maxn, model.config.bucket, model.config.dim) == (2, 4, 1000, 8)
    model.fit(sentences)
    assert isinstance(model.wv, SubwordVectors) and model.wv["walks"].shape == (8,)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_subword_run_stopped_and_resumed_equals_one_run(tmp_path, engine):
    """A checkpoint holds the n-gram rows too: stop after the first save, resume, same vectors."""
    from wordvec import checkpoint

    rng = np.random.default_rng(4)
    stems = ["walk", "talk", "jump", "play", "look"]
    sentences = [[s + rng.choice(["", "s", "ed", "ing"]) for s in rng.choice(stems, 12)] for _ in range(3000)]
    text = tmp_path / "corpus.txt"
    text.write_text("\n".join(" ".join(words) for words in sentences) + "\n")
    corpus = wordvec.load_corpus(text, min_count=1)
    config = wordvec.TrainConfig(model="skipgram", engine=engine, subwords=True, minn=3, maxn=5, bucket=10_000,
                                 dim=8, epochs=2, threads=1, min_count=1, seed=5, window=2)
    straight = checkpoint.train_with_checkpoints(corpus, config, tmp_path / "full", progress=False)

    class Stop(Exception):
        pass

    def stop_after_first_save(path):
        raise Stop

    with pytest.raises(Stop):
        checkpoint.train_with_checkpoints(corpus, config, tmp_path / "run", every=20_000, progress=False,
                                          info={"source": str(text), "book": False},
                                          on_save=stop_after_first_save)
    _, meta = checkpoint.load_checkpoint(tmp_path / "run")
    assert 0 < meta["state"]["words_done"]
    resumed, _ = checkpoint.resume(tmp_path / "run", progress=False)
    assert isinstance(resumed, SubwordVectors)
    np.testing.assert_array_equal(resumed.ngram_vectors, straight.ngram_vectors)
    np.testing.assert_array_equal(resumed.vectors, straight.vectors)


def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "wordvec", *args], capture_output=True, text=True)


def test_cli_trains_and_queries_a_subword_model(tmp_path, wordsim_file):
    text = tmp_path / "corpus.txt"
    rng = np.random.default_rng(6)
    stems = ["walk", "talk", "jump", "play", "look", "money", "stock"]
    text.write_text("\n".join(" ".join(s + rng.choice(["", "s", "ed", "ing"]) for s in rng.choice(stems, 10))
                              for _ in range(500)) + "\n")
    out = tmp_path / "m.npz"
    trained = _cli("train", str(text), "--subwords", "--minn", "3", "--maxn", "5", "--bucket", "20000", "--dim", "8",
                   "--min-count", "1", "--epochs", "1", "--threads", "1", "-q", "--out", str(out))
    assert trained.returncode == 0, trained.stderr
    similar = _cli("similar", str(out), "walkings", "-n", "3")
    assert similar.returncode == 0 and len(similar.stdout.splitlines()) == 3, similar.stderr
    info = _cli("info", str(out))
    assert "subwords: n-grams 3-5" in info.stdout
    seen = _cli("evaluate", str(out), "--pairs", str(wordsim_file), "--json")
    unseen = _cli("evaluate", str(out), "--pairs", str(wordsim_file), "--unseen", "--json")
    import json

    pairs = lambda r: json.loads(r.stdout)["pairs"][wordsim_file.name]["pairs"]
    assert pairs(unseen) > pairs(seen)
    fb = tmp_path / "m.bin"
    written = _cli("train", str(text), "--subwords", "--minn", "3", "--maxn", "5", "--bucket", "20000", "--dim", "8",
                   "--min-count", "1", "--epochs", "1", "--threads", "1", "-q", "--out", str(fb), "--format", "fasttext")
    assert written.returncode == 0, written.stderr
    assert wordvec.formats.sniff_format(fb) == "fasttext"
    assert isinstance(KeyedVectors.load(fb), SubwordVectors)


@pytest.mark.parametrize("args, needle", [
    (["--subwords", "--minn", "5", "--maxn", "3"], "maxn"),
    (["--subwords", "--model", "ppmi"], "ppmi"),
    (["--subwords", "--bucket", "0"], "bucket"),
    (["--minn", "2"], "--subwords"),
])
def test_cli_refuses_bad_subword_settings_before_reading(tmp_path, args, needle):
    result = _cli("train", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "m.npz"), *args)
    assert result.returncode == 2 and needle in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("loss", ["ns", "hs", "softmax"])
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_every_model_and_loss_trains_subwords(model, loss):
    rng = np.random.default_rng(7)
    stems = ["walk", "talk", "jump", "play"]
    # each sentence holds the forms of one stem: "walks" shares contexts and n-grams with "walked"
    sentences = [[stem + suffix for suffix in rng.choice(["", "s", "ed", "ing"], 10)]
                 for stem in rng.choice(stems, 300)]
    kv = wordvec.train(sentences, model=model, loss=loss, subwords=True, minn=3, maxn=5, bucket=5000, dim=8,
                       epochs=3, threads=1, min_count=1, sample=0.0, seed=1)
    assert isinstance(kv, SubwordVectors) and np.isfinite(kv.vectors).all()
    assert np.abs(kv.ngram_vectors).sum() > 0  # the n-gram rows were trained
    # a word's family is nearer than another stem's: "walks" to "walked" rather than to "jumps"
    assert kv.similarity("walks", "walked") > kv.similarity("walks", "jumps")
