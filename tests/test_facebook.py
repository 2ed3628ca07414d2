"""Facebook fastText `.bin` files: read against the `fasttext` package (gensim's fixtures and models
trained inside the test), written and read back by fastText and gensim, hostile files refused."""

from __future__ import annotations

import struct
import subprocess
import sys

import numpy as np
import pytest

import wordvec
from wordvec import facebook
from wordvec.errors import VectorFileError
from wordvec.formats import sniff_format
from wordvec.vectors import KeyedVectors, SubwordVectors

fasttext = pytest.importorskip("fasttext")  # in the test extra: CI has it
gensim_utils = pytest.importorskip("gensim.test.utils")
from gensim.models.fasttext import load_facebook_model  # noqa: E402

FIXTURES = ["crime-and-punishment.bin", "lee_fasttext_new.bin", "toy-model.bin", "toy-model-pretrained.bin"]
PROBES = ["unseenword", "xyzzy", "naïveté", "q", "stockss", "the"]


def _printable(words):
    return [w for w in words if w.encode("utf-8", "surrogateescape").decode("utf-8", "replace") == w]


def _assert_same_vectors(kv, ft, words):
    for word in words:
        ref = ft.get_word_vector(word)
        mine = kv[word] if word in kv else np.zeros_like(ref)
        np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-6 * max(1.0, float(np.abs(ref).max())))


@pytest.mark.parametrize("name", FIXTURES)
def test_reads_gensims_fixtures_as_fasttext_does(name):
    path = gensim_utils.datapath(name)
    ft = fasttext.load_model(path)
    assert sniff_format(path) == "fasttext"
    kv = KeyedVectors.load(path)
    assert isinstance(kv, SubwordVectors)
    assert kv.index_to_key == list(ft.words)
    _assert_same_vectors(kv, ft, list(ft.words[:40]) + PROBES)
    assert kv.vectors.shape == (len(ft.words), ft.get_dimension())


def test_supervised_model_without_ngrams_reads_as_plain_vectors():
    path = gensim_utils.datapath("pang_lee_polarity_fasttext.bin")
    kv = KeyedVectors.load(path)
    assert type(kv) is KeyedVectors
    ft = fasttext.load_model(path)
    words = _printable(kv.index_to_key)[:50]
    _assert_same_vectors(kv, ft, words)


@pytest.fixture(scope="module")
def ft_trained(tmp_path_factory):
    """A model trained by the fasttext package on PTB's first 60k lines' worth of valid text."""
    folder = tmp_path_factory.mktemp("ftbin")
    text = folder / "corpus.txt"
    words = ["walk", "walks", "walked", "walking", "talk", "talks", "talked", "ça", "über", "日本"]
    rng = np.random.default_rng(1)
    text.write_text("\n".join(" ".join(rng.choice(words, 12)) for _ in range(400)), encoding="utf-8")
    model = fasttext.train_unsupervised(str(text), model="cbow", dim=12, epoch=2, minCount=1, minn=2, maxn=4,
                                        bucket=3000, thread=1, verbose=0)
    path = folder / "model.bin"
    model.save_model(str(path))
    return path, model


def test_reads_a_model_the_fasttext_package_trained(ft_trained):
    path, ft = ft_trained
    kv = wordvec.load_facebook_vectors(path)
    assert isinstance(kv, SubwordVectors) and (kv.minn, kv.maxn, kv.bucket) == (2, 4, 3000)
    assert kv.metadata["fasttext"]["model_name"] == "cbow"
    _assert_same_vectors(kv, ft, list(ft.words) + ["walkers", "talking", "ççç", "日本語"])
    ours = [w for w, _ in kv.most_similar("walk", topn=3)]
    theirs = [w for _, w in ft.get_nearest_neighbors("walk", k=3)]
    assert ours == theirs


def test_the_matrix_is_memory_mapped_and_composed_lazily(ft_trained):
    path, _ = ft_trained
    kv = KeyedVectors.load(path)
    assert isinstance(kv.ngram_vectors, np.memmap)
    assert kv._composed is None  # nothing composed until a query needs every word
    kv["walked"]
    assert kv._composed is None
    kv.most_similar("walked")
    assert kv._composed is not None


def test_limit_keeps_the_first_words(ft_trained):
    path, ft = ft_trained
    kv = KeyedVectors.load(path, limit=3)
    assert kv.index_to_key == list(ft.words[:3])
    _assert_same_vectors(kv, ft, list(ft.words[:3]) + ["walkers"])


def test_native_conversion_of_a_facebook_model_keeps_unseen_words(tmp_path, ft_trained):
    path, ft = ft_trained
    kv = KeyedVectors.load(path)
    kv.save(tmp_path / "m.npz")
    back = KeyedVectors.load(tmp_path / "m.npz")
    _assert_same_vectors(back, ft, list(ft.words) + ["walkers", "ççç"])


@pytest.fixture(scope="module")
def trained_subword(tmp_path_factory):
    rng = np.random.default_rng(2)
    stems = ["walk", "talk", "jump", "play"]
    sentences = [[s + rng.choice(["", "s", "ed", "ing"]) for s in rng.choice(stems, 10)] for _ in range(200)]
    return wordvec.train(sentences, model="cbow", subwords=True, minn=3, maxn=5, bucket=20_000, dim=10,
                         epochs=1, threads=1, min_count=1, sample=0.0)


def test_written_model_reads_back_in_fasttext_and_gensim(tmp_path, trained_subword):
    kv = trained_subword
    path = tmp_path / "ours.bin"
    kv.save(path, format="fasttext")
    assert sniff_format(path) == "fasttext"
    probes = kv.index_to_key + ["walkings", "jumper", "xyz"]
    ft = fasttext.load_model(str(path))
    assert list(ft.words) == kv.index_to_key
    _assert_same_vectors(kv, ft, probes)
    gm = load_facebook_model(str(path))
    for word in probes:
        if word in kv:
            np.testing.assert_allclose(gm.wv[word], kv[word], rtol=1e-5, atol=1e-6)
    back = KeyedVectors.load(path)
    assert isinstance(back, SubwordVectors)
    for word in probes:
        if word in kv:
            np.testing.assert_allclose(back[word], kv[word], rtol=1e-5, atol=1e-6)


def test_plain_vectors_write_a_model_without_ngrams(tmp_path):
    kv = KeyedVectors(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32), ["a", "b", "c", "d"])
    path = tmp_path / "plain.bin"
    kv.save(path, format="fasttext")
    ft = fasttext.load_model(str(path))
    for word in kv.index_to_key:
        np.testing.assert_allclose(ft.get_word_vector(word), kv[word], rtol=1e-6)
    back = KeyedVectors.load(path)
    assert type(back) is KeyedVectors
    np.testing.assert_array_equal(back.vectors, kv.vectors)


def test_a_compressed_name_is_refused_for_the_fasttext_format(tmp_path, trained_subword):
    with pytest.raises(VectorFileError, match="uncompressed"):
        trained_subword.save(tmp_path / "m.bin.gz", format="fasttext")
    assert not (tmp_path / "m.bin.gz").exists()


# ---- hostile files: a clear error, no allocation by what a header claims ----


def _header(version=12, dim=5, bucket=10, minn=3, maxn=6, size=1, nwords=1, nlabels=0, prune=-1):
    args = struct.pack("<12id", dim, 5, 5, 1, 5, 1, 2, 2, bucket, minn, maxn, 100, 1e-4)
    return struct.pack("<ii", facebook.MAGIC, version) + args + struct.pack("<iiiqq", size, nwords, nlabels, 1, prune)


def _entry(word=b"a"):
    return word + b"\0" + struct.pack("<qb", 1, 0)


@pytest.mark.parametrize("data, message", [
    (_header(version=10) + _entry(), "version 10"),
    (_header(size=10**9, nwords=10**9) + _entry(), "more than the file holds"),
    (_header(size=2, nwords=1, nlabels=0) + _entry(), "disagree"),
    (_header() + b"abcdefghijkl", "entry 0 is truncated"),
    (_header(size=1) + b"a", "more than the file holds"),
    (_header() + _entry(), "truncated before the input matrix"),
    (_header() + _entry() + b"\1", "quantized"),
    (_header(prune=0) + _entry() + b"\0", "pruned"),
    (_header() + _entry() + b"\0" + struct.pack("<qq", 11, 5), "larger than the file"),
    (_header() + _entry() + b"\0" + struct.pack("<qq", 10**12, 5), "larger than the file"),
    (_header() + _entry() + b"\0" + struct.pack("<qq", 2, 5) + bytes(40), "expected 11 x 5"),
])
def test_hostile_files_give_one_clear_error(tmp_path, data, message):
    path = tmp_path / "bad.bin"
    path.write_bytes(data)
    with pytest.raises(VectorFileError, match=message):
        KeyedVectors.load(path, format="fasttext")


def test_cli_reads_and_writes_the_fasttext_format(tmp_path, ft_trained):
    path, ft = ft_trained
    run = lambda *args: subprocess.run([sys.executable, "-m", "wordvec", *args], capture_output=True, text=True)
    similar = run("similar", str(path), "walkers", "-n", "3", "--json")
    assert similar.returncode == 0, similar.stderr
    out = tmp_path / "copy.bin"
    converted = run("convert", str(path), str(out), "--format", "fasttext")
    assert converted.returncode == 0, converted.stderr
    _assert_same_vectors(KeyedVectors.load(out), ft, list(ft.words) + ["walkers"])
    refused = run("convert", str(path), str(tmp_path / "x.bin.gz"), "--format", "fasttext")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr


def _matrix_file(tmp_path, rows_data, **header):
    """A small .bin: header fields as given, words a, b, the input matrix `rows_data` (dim 2)."""
    head = _header(dim=2, size=2, nwords=2, **header)
    body = _entry(b"a") + _entry(b"b") + b"\0" + struct.pack("<qq", len(rows_data), 2)
    body += np.asarray(rows_data, "<f4").tobytes() + b"\0" + struct.pack("<qq", 2, 2) + bytes(16)
    path = tmp_path / "m.bin"
    path.write_bytes(head + body)
    return path


def test_header_edge_cases_read_as_fasttext_does(tmp_path):
    rows = np.arange(24, dtype=np.float32).reshape(12, 2) + 1  # 2 words + 10 buckets
    with pytest.raises(VectorFileError, match="version 13"):
        KeyedVectors.load(_matrix_file(tmp_path, rows, version=13))
    plain = KeyedVectors.load(_matrix_file(tmp_path, rows, minn=7, maxn=6))  # fastText: no n-grams
    assert type(plain) is KeyedVectors and plain["a"].tolist() == [1.0, 2.0]
    sub = KeyedVectors.load(_matrix_file(tmp_path, rows, minn=0, maxn=2))  # minn 0 works as 1
    assert isinstance(sub, SubwordVectors) and sub.minn == 1
    path = _matrix_file(tmp_path, rows, bucket=10)
    path.write_bytes(path.read_bytes().replace(_entry(b"b"), _entry(b"a")))
    with pytest.raises(VectorFileError, match="duplicate word"):
        KeyedVectors.load(path)


def test_non_finite_rows_are_refused_when_used(tmp_path):
    rows = np.ones((12, 2), np.float32)
    rows[5] = np.nan
    kv = KeyedVectors.load(_matrix_file(tmp_path, rows))
    with pytest.raises(VectorFileError, match="NaN"):
        kv.most_similar("a")
    with pytest.raises(VectorFileError, match="NaN"):
        kv.save(tmp_path / "copy.bin", format="fasttext")
    assert not (tmp_path / "copy.bin").exists()


def test_unseen_word_of_untrained_rows_has_no_vector_in_any_format(tmp_path, trained_subword):
    kv = trained_subword
    kv.save(tmp_path / "m.bin", format="fasttext")
    back = KeyedVectors.load(tmp_path / "m.bin")
    for model in (kv, back):
        assert "日本語" not in model and "\ud800x" not in model
        with pytest.raises(wordvec.UnknownWordError):
            model["日本語"]
        with pytest.raises(wordvec.UnknownWordError):
            model["\ud800x"]
    answers = back.analogy_batch([("walk", "walked", "jumpings"), ("walk", "walked", "jump")])
    assert len(answers) == 2 and all(len(a) == 1 for a in answers)


def test_new_vectors_are_what_the_fasttext_format_writes(tmp_path, trained_subword):
    kv = KeyedVectors.load(_save(trained_subword, tmp_path / "m.npz"))
    kv.word_rows  # recovered, then made stale by the assignment below
    kv.vectors = kv.vectors * 2
    kv.save(tmp_path / "twice.bin", format="fasttext")
    back = KeyedVectors.load(tmp_path / "twice.bin")
    np.testing.assert_allclose(back.vectors, trained_subword.vectors * 2, rtol=1e-4, atol=1e-5)


def _save(kv, path):
    kv.save(path)
    return path


def test_native_header_with_absurd_ngram_lengths_is_refused(tmp_path, trained_subword):
    from wordvec import formats

    data = formats.load_vectors(_save(trained_subword, tmp_path / "m.npz"))
    data.subwords["maxn"] = 10**30
    with pytest.raises(VectorFileError, match="maxn"):
        formats.write_native(tmp_path / "bad.npz", data.vectors, data.words, data.counts, data.metadata, "",
                             subwords=data.subwords)
