"""gensim 4.4.0's own documentation examples, run against wordvec.

Each test is one usage example from a gensim docstring (the `>>>` blocks of gensim/models/
word2vec.py, keyedvectors.py, fasttext.py, phrases.py and callbacks.py), with only the import
lines of gensim's model classes changed to `wordvec`. Test utilities (`common_texts`, `datapath`,
`lee_corpus_list`, `gensim.utils.tokenize`) still come from gensim, a test dependency; files are
written under pytest's `tmp_path` instead of `get_tmpfile`.

Where gensim shows an output, or an example only calls something, the test asserts results of the
same kind as gensim 4.4.0 returns (types, shapes, dtypes, sizes, value ranges), not gensim's
numbers: the training differs. Outputs that do not depend on training (token counts, the phrases
of the deterministic Phrases scorer, the order of callback calls) are asserted exactly.

Left out: examples that need downloads (gensim.downloader / api.load, GoogleNews), wmdistance
(needs the optional POT package), load_facebook_model / FastText.load_fasttext_format (a full
model from a .bin file; the latter deprecated), and callbacks.PerplexityMetric (LdaModel).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping

import numpy as np
import pytest

from gensim.test.utils import common_texts, datapath, lee_corpus_list

# ---------------------------------------------------------------------------------------------
# helpers: "results of the same kind" as gensim returns
# ---------------------------------------------------------------------------------------------

EPS = 1e-5


def _is_real(x) -> bool:
    """A Python float or NumPy floating scalar (gensim returns both, e.g. float / np.float32)."""
    return isinstance(x, (float, np.floating)) and not isinstance(x, bool)


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def assert_similar_list(result, topn=None, *, lo=-1.0 - EPS, hi=1.0 + EPS, keys=None):
    """gensim: list of (str, float) tuples, best first, `topn` long, scores in [lo, hi]."""
    assert isinstance(result, list)
    if topn is not None:
        assert len(result) == topn
    for item in result:
        assert isinstance(item, tuple) and len(item) == 2
        key, score = item
        assert isinstance(key, str)
        assert _is_real(score) and math.isfinite(score)
        assert lo <= score <= hi
        if keys is not None:
            assert key in keys
    scores = [score for _, score in result]
    assert scores == sorted(scores, reverse=True)
    assert len({key for key, _ in result}) == len(result)


def assert_cosine(x):
    """gensim: similarity / n_similarity give np.float32 scalars in [-1, 1]."""
    assert _is_real(x) and math.isfinite(x)
    assert -1.0 - EPS <= x <= 1.0 + EPS


def assert_vector(v, size):
    """gensim: wv[word] is a 1-D float32 numpy array of `vector_size`."""
    assert isinstance(v, np.ndarray)
    assert v.shape == (size,)
    assert v.dtype == np.float32
    assert np.isfinite(v).all()


def assert_train_result(result, raw=None):
    """gensim: train() returns (effective_words, raw_words), both ints, effective <= raw."""
    assert isinstance(result, tuple) and len(result) == 2
    effective, raw_words = result
    assert _is_int(effective) and _is_int(raw_words)
    assert 0 <= effective <= raw_words
    if raw is not None:
        assert raw_words == raw


def assert_phrase_tokens(result, sentence, delimiter="_"):
    """A Phrases[] result is a list of str that splits back into the input sentence."""
    assert isinstance(result, list)
    assert all(isinstance(token, str) for token in result)
    assert [part for token in result for part in token.split(delimiter)] == list(sentence)


def _file_counts(path):
    """(lines, tokens) of a one-sentence-per-line file, as LineSentence reads it."""
    with open(path, encoding="utf8") as fin:
        lines = [line.split() for line in fin]
    lines = [words for words in lines if words]
    return len(lines), sum(len(words) for words in lines)


def _header(path):
    """(count, vector_size) from the first line of a word2vec C-format file."""
    with open(path, "rb") as fin:
        count, size = fin.readline().split()
    return int(count), int(size)


# ---------------------------------------------------------------------------------------------
# fixtures: small models shared by several examples
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lee_model():
    """keyedvectors.py module docstring: `Word2Vec(lee_corpus_list, vector_size=24, epochs=100)`.

    epochs lowered from 100 to 10 so the test stays within a couple of seconds.
    """
    from wordvec import Word2Vec

    return Word2Vec(lee_corpus_list, vector_size=24, epochs=10)


@pytest.fixture(scope="module")
def lee_fasttext():
    """KeyedVectors.vectors_for_all docstring: `FastText(corpus_file=..., vector_size=20, min_count=1)`."""
    from wordvec import FastText

    return FastText(corpus_file=datapath("lee_background.cor"), vector_size=20, min_count=1)


@pytest.fixture()
def toy_kv():
    """A hand-made KeyedVectors (exact geometry): angles to 'a' of ~6, 45, 90 and 180 degrees."""
    from wordvec import KeyedVectors

    kv = KeyedVectors(3)
    kv.add_vectors(
        ["a", "b", "c", "d", "e"],
        np.array([[1, 0, 0], [0.9, 0.1, 0], [1, 1, 0], [0, 1, 0], [-1, 0, 0]], dtype=np.float32),
    )
    return kv


# ---------------------------------------------------------------------------------------------
# gensim/models/word2vec.py
# ---------------------------------------------------------------------------------------------


def test_word2vec_module_init_and_save(tmp_path):
    """word2vec.py module docstring, "Initialize a model with e.g.:"."""
    from wordvec import Word2Vec

    model = Word2Vec(sentences=common_texts, vector_size=100, window=5, min_count=1, workers=4)
    model.save(str(tmp_path / "word2vec.model"))
    assert (tmp_path / "word2vec.model").exists()
    assert len(model.wv) == len(set(itertools.chain.from_iterable(common_texts)))


def test_word2vec_module_load_and_continue_training(tmp_path):
    """word2vec.py module docstring, "If you save the model you can continue training it later"."""
    from wordvec import Word2Vec

    Word2Vec(sentences=common_texts, vector_size=100, window=5, min_count=1, workers=4).save(
        str(tmp_path / "word2vec.model"))
    model = Word2Vec.load(str(tmp_path / "word2vec.model"))
    assert isinstance(model, Word2Vec)
    result = model.train([["hello", "world"]], total_examples=1, epochs=1)
    # gensim shows (0, 2): both words are unknown to the vocabulary, 2 raw words were read
    assert_train_result(result, raw=2)
    assert result == (0, 2)


def test_word2vec_module_wv_vector_and_most_similar():
    """word2vec.py module docstring, "The trained word vectors are stored in ... model.wv"."""
    from wordvec import KeyedVectors, Word2Vec

    model = Word2Vec(sentences=common_texts, vector_size=100, window=5, min_count=1, workers=4)
    assert isinstance(model.wv, KeyedVectors)
    vector = model.wv["computer"]  # get numpy vector of a word
    assert_vector(vector, 100)
    sims = model.wv.most_similar("computer", topn=10)  # get other similar words
    assert_similar_list(sims, topn=10, keys=model.wv.key_to_index)
    assert "computer" not in [word for word, _ in sims]
    # several keys at once: a 2-D float32 array; an unknown word raises KeyError
    both = model.wv[["computer", "human"]]
    assert isinstance(both, np.ndarray) and both.shape == (2, 100) and both.dtype == np.float32
    with pytest.raises(KeyError):
        model.wv["not-a-word-in-common-texts"]


def test_word2vec_module_keyedvectors_save_load_mmap(tmp_path):
    """word2vec.py module docstring, "Store just the words + their trained embeddings"."""
    from wordvec import KeyedVectors, Word2Vec

    model = Word2Vec(sentences=common_texts, vector_size=100, window=5, min_count=1, workers=4)
    word_vectors = model.wv
    word_vectors.save(str(tmp_path / "word2vec.wordvectors"))
    # Load back with memory-mapping = read-only, shared across processes.
    wv = KeyedVectors.load(str(tmp_path / "word2vec.wordvectors"), mmap="r")
    assert isinstance(wv, KeyedVectors)
    vector = wv["computer"]  # Get numpy vector of a word
    assert_vector(vector, 100)
    np.testing.assert_array_equal(vector, word_vectors["computer"])
    assert wv.index_to_key == word_vectors.index_to_key
    assert wv.key_to_index == word_vectors.key_to_index


def test_word2vec_module_load_word2vec_format_c():
    """word2vec.py and keyedvectors.py module docstrings, "load word vectors in the word2vec C format"."""
    from wordvec import KeyedVectors

    # Load a word2vec model stored in the C *text* format.
    wv_from_text = KeyedVectors.load_word2vec_format(datapath("word2vec_pre_kv_c"), binary=False)
    # Load a word2vec model stored in the C *binary* format.
    wv_from_bin = KeyedVectors.load_word2vec_format(datapath("euclidean_vectors.bin"), binary=True)
    for kv, name in ((wv_from_text, "word2vec_pre_kv_c"), (wv_from_bin, "euclidean_vectors.bin")):
        assert isinstance(kv, KeyedVectors)
        count, size = _header(datapath(name))
        assert len(kv) == count
        assert kv.vector_size == size
        assert kv.vectors.shape == (count, size) and kv.vectors.dtype == np.float32
        assert len(kv.index_to_key) == count and all(isinstance(k, str) for k in kv.index_to_key)
        assert_vector(kv[kv.index_to_key[0]], size)
    assert wv_from_bin.index_to_key[:3] == ["the", "to", "of"]  # file order is kept


def test_word2vec_module_word_vectors_outlive_model():
    """word2vec.py module docstring, "switch to the KeyedVectors instance: word_vectors = model.wv; del model"."""
    from wordvec import Word2Vec

    model = Word2Vec(sentences=common_texts, vector_size=100, window=5, min_count=1, workers=4)
    word_vectors = model.wv
    del model
    assert_vector(word_vectors["computer"], 100)
    assert_similar_list(word_vectors.most_similar("computer", topn=3), topn=3)


def test_word2vec_module_phrases_then_word2vec():
    """word2vec.py module docstring, "Embeddings with multiword ngrams"."""
    from wordvec import Phrases, Word2Vec

    # Train a bigram detector.
    bigram_transformer = Phrases(common_texts)
    # Apply the trained MWE detector to a corpus, using the result to train a Word2vec model.
    model = Word2Vec(bigram_transformer[common_texts], min_count=1)
    assert len(model.wv) > 0
    transformed = list(bigram_transformer[common_texts])
    assert len(transformed) == len(common_texts)
    for sentence, original in zip(transformed, common_texts):
        assert_phrase_tokens(sentence, original)


def test_word2vec_class_example_positional_corpus():
    """word2vec.py, class Word2Vec docstring, "Examples": `Word2Vec(sentences, min_count=1)`."""
    from wordvec import Word2Vec

    sentences = [["cat", "say", "meow"], ["dog", "say", "woof"]]
    model = Word2Vec(sentences, min_count=1)
    assert set(model.wv.key_to_index) == {"cat", "say", "meow", "dog", "woof"}
    assert model.wv.index_to_key[0] == "say"  # sorted by descending frequency, as gensim
    assert_vector(model.wv["cat"], 100)  # gensim's default vector_size is 100
    assert model.vector_size == 100 and model.wv.vector_size == 100


def test_word2vec_train_example():
    """word2vec.py, Word2Vec.train docstring, "Examples": build_vocab then train."""
    from wordvec import Word2Vec

    sentences = [["cat", "say", "meow"], ["dog", "say", "woof"]]
    model = Word2Vec(min_count=1)
    assert model.build_vocab(sentences) is None  # prepare the model vocabulary
    assert model.corpus_count == 2
    assert model.corpus_total_words == 6
    assert model.epochs == 5  # gensim's default
    result = model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs)
    # gensim shows (1, 30): 6 raw words x 5 epochs; the effective count depends on downsampling
    assert_train_result(result, raw=30)


def test_linesentence_example():
    """word2vec.py, LineSentence.__init__ docstring, "Examples"."""
    from wordvec import LineSentence

    sentences = LineSentence(datapath("lee_background.cor"))
    n = 0
    for sentence in sentences:
        assert isinstance(sentence, list) and all(isinstance(w, str) for w in sentence)
        n += 1
    lines, tokens = _file_counts(datapath("lee_background.cor"))
    assert n == lines
    assert sum(len(s) for s in sentences) == tokens  # restartable: a second pass
    assert next(iter(sentences))[:5] == ["Hundreds", "of", "people", "have", "been"]


def test_pathlinesentences_and_text8corpus():
    """word2vec.py, PathLineSentences / Text8Corpus docstrings (streamed corpora for Word2Vec)."""
    from wordvec import PathLineSentences, Text8Corpus, Word2Vec

    corpus = PathLineSentences(datapath("PathLineSentences"))  # 1.txt and 2.txt.bz2
    sentences = list(corpus)
    assert sentences and all(isinstance(s, list) and all(isinstance(w, str) for w in s) for s in sentences)
    assert list(corpus) == sentences  # restartable
    model = Word2Vec(corpus, min_count=1, vector_size=10, epochs=1)
    assert len(model.wv) == len({w for s in sentences for w in s})

    text8 = Text8Corpus(datapath("testcorpus.txt"))
    first = next(iter(text8))
    assert first[:3] == ["computer", "human", "interface"]


def test_word2vec_corpus_file():
    """word2vec.py, Word2Vec.__init__ `corpus_file` parameter (LineSentence format path)."""
    from wordvec import Word2Vec

    model = Word2Vec(corpus_file=datapath("lee_background.cor"), vector_size=24, epochs=5)
    lines, tokens = _file_counts(datapath("lee_background.cor"))
    assert model.corpus_count == lines
    assert model.corpus_total_words == tokens
    assert len(model.wv) > 0
    word = model.wv.index_to_key[0]
    assert_vector(model.wv[word], 24)
    # continue training from the same file: total_words is required with corpus_file
    result = model.train(corpus_file=datapath("lee_background.cor"),
                         total_words=model.corpus_total_words, epochs=1)
    assert_train_result(result)


def test_word2vec_build_vocab_update_and_continue_training():
    """word2vec.py, Word2Vec.build_vocab `update=True` (as in fasttext.py's "continue training")."""
    from wordvec import Word2Vec

    model = Word2Vec(common_texts, min_count=1, vector_size=10, epochs=2)
    before = len(model.wv)
    new_sentences = [["brand", "new", "words"], ["brand", "new"]]
    model.build_vocab(new_sentences, update=True)
    assert len(model.wv) == before + 3
    assert {"brand", "new", "words"} <= set(model.wv.key_to_index)
    assert "computer" in model.wv.key_to_index  # old words are kept
    assert model.wv.vectors.shape == (before + 3, 10)
    result = model.train(new_sentences, total_examples=len(new_sentences), epochs=model.epochs)
    assert_train_result(result, raw=5 * model.epochs)
    assert_vector(model.wv["brand"], 10)


def test_word2vec_predict_output_word():
    """word2vec.py, Word2Vec.predict_output_word: list of (word, probability), `topn` long."""
    from wordvec import Word2Vec

    model = Word2Vec(common_texts, min_count=1)  # negative sampling, as gensim requires here
    result = model.predict_output_word(["human", "interface"], topn=5)
    assert_similar_list(result, topn=5, lo=0.0, hi=1.0 + EPS, keys=model.wv.key_to_index)
    assert sum(p for _, p in result) <= 1.0 + EPS
    # gensim returns None (and warns) when no context word is in the vocabulary
    assert model.predict_output_word(["not-a-word"], topn=5) is None


def test_word2vec_compute_loss():
    """word2vec.py, Word2Vec `compute_loss=True` and get_latest_training_loss (a float)."""
    from wordvec import Word2Vec

    model = Word2Vec(common_texts, min_count=1, compute_loss=True, epochs=5)
    loss = model.get_latest_training_loss()
    assert _is_real(loss) and math.isfinite(loss) and loss > 0
    result = model.train(common_texts, total_examples=model.corpus_count, epochs=model.epochs,
                         compute_loss=True)
    assert_train_result(result)
    loss = model.get_latest_training_loss()
    assert _is_real(loss) and math.isfinite(loss) and loss > 0
    # without compute_loss gensim reports 0.0
    assert Word2Vec(common_texts, min_count=1).get_latest_training_loss() == 0.0


def test_word2vec_save_word2vec_format_roundtrip(tmp_path):
    """keyedvectors.py, KeyedVectors.save_word2vec_format / load_word2vec_format, text and binary."""
    from wordvec import KeyedVectors, Word2Vec

    model = Word2Vec(common_texts, min_count=1, vector_size=10)
    for name, binary in (("vectors.txt", False), ("vectors.bin", True)):
        path = str(tmp_path / name)
        assert model.wv.save_word2vec_format(path, binary=binary) is None
        assert _header(path) == (len(model.wv), 10)
        kv = KeyedVectors.load_word2vec_format(path, binary=binary)
        assert isinstance(kv, KeyedVectors)
        assert kv.index_to_key == model.wv.index_to_key
        assert kv.vectors.dtype == np.float32 and kv.vectors.shape == model.wv.vectors.shape
        np.testing.assert_allclose(kv.vectors, model.wv.vectors, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# gensim/models/keyedvectors.py
# ---------------------------------------------------------------------------------------------


def test_keyedvectors_module_save_load(tmp_path, lee_model):
    """keyedvectors.py module docstring, "Persist the word vectors to disk with"."""
    from wordvec import KeyedVectors

    word_vectors = lee_model.wv
    assert word_vectors.vector_size == 24
    word_vectors.save(str(tmp_path / "vectors.kv"))
    reloaded_word_vectors = KeyedVectors.load(str(tmp_path / "vectors.kv"))
    assert isinstance(reloaded_word_vectors, KeyedVectors)
    assert reloaded_word_vectors.index_to_key == word_vectors.index_to_key
    np.testing.assert_array_equal(reloaded_word_vectors.vectors, word_vectors.vectors)


def test_keyedvectors_module_what_can_i_do(lee_model):
    """keyedvectors.py module docstring, "What can I do with word vectors?".

    Adapted: gensim runs it on api.load("glove-wiki-gigaword-100") (a download); here the words are
    ones the Lee corpus holds (sushi, breakfast... are not in it).
    """
    word_vectors = lee_model.wv
    vocab = word_vectors.key_to_index

    result = word_vectors.most_similar(positive=["woman", "king"], negative=["man"])
    assert_similar_list(result, topn=10, keys=vocab)
    most_similar_key, similarity = result[0]  # look at the first match
    assert most_similar_key not in {"woman", "king", "man"}

    result = word_vectors.most_similar_cosmul(positive=["woman", "king"], negative=["man"])
    assert_similar_list(result, topn=10, lo=0.0, hi=math.inf, keys=vocab)
    assert result[0][0] not in {"woman", "king", "man"}

    odd = word_vectors.doesnt_match("sydney melbourne canberra palestinian".split())
    assert isinstance(odd, str) and odd in {"sydney", "melbourne", "canberra", "palestinian"}

    similarity = word_vectors.similarity("woman", "man")
    assert_cosine(similarity)

    result = word_vectors.similar_by_word("police")
    assert_similar_list(result, topn=10, keys=vocab)

    distance = word_vectors.distance("media", "media")
    assert _is_real(distance) and abs(distance) < 1e-5  # gensim prints 0.0

    similarity = word_vectors.n_similarity(["police", "army"], ["government", "president"])
    assert_cosine(similarity)

    vector = word_vectors["office"]  # numpy vector of a word
    assert vector.shape == (24,)
    vector = word_vectors.get_vector("office", norm=True)
    assert_vector(vector, 24)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_keyedvectors_module_evaluate_word_pairs(lee_model):
    """keyedvectors.py module docstring, "Correlation with human opinion on word similarity"."""
    similarities = lee_model.wv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    # gensim: (PearsonRResult(statistic, pvalue), SignificanceResult(statistic, pvalue), oov_ratio)
    assert isinstance(similarities, tuple) and len(similarities) == 3
    pearson, spearman, oov_ratio = similarities
    for corr in (pearson, spearman):
        assert isinstance(corr, tuple) and len(corr) == 2
        coefficient, p_value = corr
        assert _is_real(coefficient) and -1.0 - EPS <= coefficient <= 1.0 + EPS
        assert _is_real(p_value) and 0.0 <= p_value <= 1.0 + EPS
        assert corr[0] == coefficient and corr[1] == p_value
    assert math.isclose(pearson.statistic, pearson[0]) and math.isclose(pearson.pvalue, pearson[1])
    assert math.isclose(spearman.statistic, spearman[0]) and math.isclose(spearman.pvalue, spearman[1])
    assert math.isclose(spearman.correlation, spearman[0])
    # a percentage, as gensim: share of pairs with an out-of-vocabulary word, times 100
    assert isinstance(oov_ratio, float) and 0.0 <= oov_ratio <= 100.0
    assert oov_ratio > 1.0  # the Lee corpus lacks many wordsim353 words: surely not a fraction


def test_keyedvectors_module_evaluate_word_analogies(lee_model):
    """keyedvectors.py module docstring, "And on word analogies"."""
    analogy_scores = lee_model.wv.evaluate_word_analogies(datapath("questions-words.txt"))
    # gensim: (score, sections): float accuracy, list of {'section', 'correct', 'incorrect'} dicts
    assert isinstance(analogy_scores, tuple) and len(analogy_scores) == 2
    score, sections = analogy_scores
    assert _is_real(score) and 0.0 <= score <= 1.0
    assert isinstance(sections, list)
    for section in sections:
        assert isinstance(section, dict)
        assert set(section) == {"section", "correct", "incorrect"}
        assert isinstance(section["section"], str)
        for quad in section["correct"] + section["incorrect"]:
            assert isinstance(quad, tuple) and len(quad) == 4 and all(isinstance(w, str) for w in quad)
    with open(datapath("questions-words.txt"), encoding="utf8") as fin:
        headers = [line[1:].strip() for line in fin if line.startswith(":")]
    # every section of the file, in order, then the summary
    assert [s["section"] for s in sections] == headers + ["Total accuracy"]
    total = sections[-1]
    assert len(total["correct"]) == sum(len(s["correct"]) for s in sections[:-1])
    assert len(total["incorrect"]) == sum(len(s["incorrect"]) for s in sections[:-1])
    n = len(total["correct"]) + len(total["incorrect"])
    assert score == (len(total["correct"]) / n if n else 0.0)


def test_keyedvectors_init_and_add_vectors(tmp_path):
    """keyedvectors.py, KeyedVectors.__init__(vector_size) and add_vectors docstrings."""
    from wordvec import KeyedVectors

    kv = KeyedVectors(3)
    assert len(kv) == 0 and kv.vector_size == 3
    assert kv.add_vectors(["x", "y"], np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32)) is None
    # a list of 1-D arrays is accepted too; float64 input is stored as float32
    kv.add_vectors(["z"], [np.array([0.0, 0.0, 1.0])])
    assert len(kv) == 3
    assert kv.index_to_key == ["x", "y", "z"]
    assert kv.key_to_index == {"x": 0, "y": 1, "z": 2}
    assert kv.vectors.shape == (3, 3) and kv.vectors.dtype == np.float32
    assert "x" in kv and "w" not in kv
    # an existing key keeps its old vector unless replace=True
    kv.add_vectors(["x"], np.array([[5, 5, 5]], dtype=np.float32))
    np.testing.assert_array_equal(kv["x"], [1, 0, 0])
    kv.add_vectors(["x"], np.array([[2, 0, 0]], dtype=np.float32), replace=True)
    np.testing.assert_array_equal(kv["x"], [2, 0, 0])
    assert len(kv) == 3
    kv.save(str(tmp_path / "manual.kv"))
    again = KeyedVectors.load(str(tmp_path / "manual.kv"))
    assert again.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(again.vectors, kv.vectors)


def test_keyedvectors_distances_distance_rank(toy_kv):
    """keyedvectors.py, KeyedVectors.distances / distance / rank / closer_than / words_closer_than."""
    kv = toy_kv
    all_distances = kv.distances("a")  # 1 - cosine to every key, in index order
    assert isinstance(all_distances, np.ndarray) and all_distances.dtype == np.float32
    assert all_distances.shape == (len(kv),)
    expected = 1 - np.array([1, 0.9 / math.hypot(0.9, 0.1), 1 / math.sqrt(2), 0, -1])
    np.testing.assert_allclose(all_distances, expected, atol=1e-6)
    some = kv.distances("a", ["c", "d"])
    assert isinstance(some, np.ndarray) and some.shape == (2,) and some.dtype == np.float32
    np.testing.assert_allclose(some, expected[[2, 3]], atol=1e-6)
    np.testing.assert_allclose(kv.distances(kv["a"], ["c", "d"]), expected[[2, 3]], atol=1e-6)

    d = kv.distance("a", "d")
    assert _is_real(d) and abs(d - 1.0) < 1e-6
    assert abs(kv.distance("a", "a")) < 1e-6

    assert kv.closer_than("a", "c") == ["b"]
    assert kv.closer_than("a", "b") == []
    with pytest.warns(DeprecationWarning):  # gensim 4: "Use closer_than instead"
        assert kv.words_closer_than("a", "c") == ["b"]
    rank = kv.rank("a", "b")
    assert _is_int(rank) and rank == 1
    assert kv.rank("a", "c") == 2 and kv.rank("a", "e") == 4


def test_keyedvectors_similarity_queries(toy_kv):
    """keyedvectors.py, most_similar_to_given / similar_by_key / similar_by_vector / n_similarity /
    most_similar_cosmul / get_mean_vector / doesnt_match / similarity on exact vectors."""
    kv = toy_kv
    assert kv.most_similar_to_given("a", ["c", "d", "e"]) == "c"

    by_key = kv.similar_by_key("a", topn=2)
    assert_similar_list(by_key, topn=2)
    assert [k for k, _ in by_key] == ["b", "c"]
    assert abs(by_key[1][1] - 1 / math.sqrt(2)) < 1e-6

    by_vector = kv.similar_by_vector(np.array([1, 0, 0], dtype=np.float32), topn=1)
    assert_similar_list(by_vector, topn=1)
    assert by_vector[0][0] == "a" and abs(by_vector[0][1] - 1.0) < 1e-6  # the key itself counts

    everything = kv.most_similar("a")  # topn=10 > 4 other keys: all of them
    assert_similar_list(everything, topn=4)
    assert [k for k, _ in everything] == ["b", "c", "d", "e"]

    sim = kv.similarity("a", "d")
    assert_cosine(sim) and abs(sim) < 1e-6
    n_sim = kv.n_similarity(["a", "d"], ["c"])  # mean of unit a and d points along c
    assert_cosine(n_sim) and abs(n_sim - 1.0) < 1e-6

    cosmul = kv.most_similar_cosmul(positive=["a"], topn=3)
    assert_similar_list(cosmul, topn=3, lo=0.0, hi=1.0 + EPS)
    assert cosmul[0][0] == "b"
    cosmul = kv.most_similar_cosmul(positive=["a", "d"], negative=["e"], topn=2)
    assert_similar_list(cosmul, topn=2, lo=0.0, hi=math.inf)  # with negatives, may exceed 1
    assert {k for k, _ in cosmul}.isdisjoint({"a", "d", "e"})

    mean = kv.get_mean_vector(["a", "d"])  # pre_normalize=True by default
    assert_vector(mean, 3)
    np.testing.assert_allclose(mean, [0.5, 0.5, 0], atol=1e-6)
    unit = kv.get_mean_vector(["a", "d"], post_normalize=True)
    assert_vector(unit, 3)
    assert abs(float(np.linalg.norm(unit)) - 1.0) < 1e-6
    weighted = kv.get_mean_vector(["a", "d"], weights=[1.0, 3.0])
    np.testing.assert_allclose(weighted, [0.25, 0.75, 0], atol=1e-6)
    np.testing.assert_allclose(kv.get_mean_vector(["a", "not-there"]), [1, 0, 0], atol=1e-6)
    with pytest.raises(KeyError):
        kv.get_mean_vector(["a", "not-there"], ignore_missing=False)

    odd = kv.doesnt_match(["a", "b", "c", "e"])
    assert odd == "e"


def test_keyedvectors_vectors_for_all(lee_fasttext):
    """keyedvectors.py, KeyedVectors.vectors_for_all docstring (on a FastText model's wv)."""
    from wordvec import KeyedVectors

    model = lee_fasttext
    corpus = common_texts  # infer word vectors for words from another corpus
    word_counts = Counter(itertools.chain.from_iterable(corpus))  # count words in your corpus
    words_by_freq = (k for k, v in word_counts.most_common())
    word_vectors = model.wv.vectors_for_all(words_by_freq)  # create word-vectors for words in your corpus
    assert isinstance(word_vectors, KeyedVectors)
    assert word_vectors.index_to_key == [k for k, _ in word_counts.most_common()]
    assert word_vectors.vector_size == 20 and word_vectors.vectors.dtype == np.float32
    np.testing.assert_allclose(word_vectors["computer"], model.wv["computer"], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# gensim/models/fasttext.py
# ---------------------------------------------------------------------------------------------


def _fasttext_module_model():
    from wordvec import FastText

    model = FastText(vector_size=4, window=3, min_count=1)  # instantiate
    model.build_vocab(corpus_iterable=common_texts)
    result = model.train(corpus_iterable=common_texts, total_examples=len(common_texts), epochs=10)  # train
    return model, result


def test_fasttext_module_build_vocab_and_train():
    """fasttext.py module docstring, "Usage examples": instantiate, build_vocab, train."""
    assert common_texts[0] == ["human", "interface", "computer"]
    assert len(common_texts) == 9
    model, result = _fasttext_module_model()
    assert_train_result(result, raw=10 * sum(len(s) for s in common_texts))  # gensim: (36, 290)
    assert model.corpus_count == 9
    assert_vector(model.wv["computer"], 4)


def test_fasttext_module_sentences_keyword_behaves_identically():
    """fasttext.py module docstring, "The two models above are instantiated differently, but behave identically"."""
    from wordvec import FastText

    model, _ = _fasttext_module_model()
    model2 = FastText(vector_size=4, window=3, min_count=1, sentences=common_texts, epochs=10)
    assert model2.wv.index_to_key == model.wv.index_to_key
    assert np.allclose(model.wv["computer"], model2.wv["computer"])  # gensim shows True


def test_fasttext_module_corpus_file():
    """fasttext.py module docstring, "train on a corpus file" (corpus_file= and total_words=)."""
    from wordvec import FastText

    corpus_file = datapath("lee_background.cor")  # absolute path to corpus
    model3 = FastText(vector_size=4, window=3, min_count=1)
    model3.build_vocab(corpus_file=corpus_file)  # scan over corpus to build the vocabulary
    total_words = model3.corpus_total_words  # number of words in the corpus
    assert _is_int(total_words) and total_words == _file_counts(corpus_file)[1]
    result = model3.train(corpus_file=corpus_file, total_words=total_words, epochs=5)
    assert_train_result(result)
    assert_vector(model3.wv["Hundreds"], 4)


def test_fasttext_module_custom_iterable():
    """fasttext.py module docstring, "MyIter" streaming corpus with gensim.utils.tokenize."""
    from gensim import utils
    from gensim.utils import tokenize

    from wordvec import FastText

    class MyIter:
        def __iter__(self):
            path = datapath("crime-and-punishment.txt")
            with utils.open(path, "r", encoding="utf-8") as fin:
                for line in fin:
                    yield list(tokenize(line))

    model4 = FastText(vector_size=4, window=3, min_count=1)
    model4.build_vocab(corpus_iterable=MyIter())
    total_examples = model4.corpus_count
    assert total_examples == sum(1 for _ in MyIter())
    result = model4.train(corpus_iterable=MyIter(), total_examples=total_examples, epochs=5)
    assert_train_result(result, raw=5 * sum(len(s) for s in MyIter()))


def test_fasttext_module_save_load_continue_training(tmp_path):
    """fasttext.py module docstring, "Persist a model to disk" and "you can continue training the loaded model"."""
    from wordvec import FastText

    model, _ = _fasttext_module_model()
    fname = str(tmp_path / "fasttext.model")
    model.save(fname)
    model = FastText.load(fname)
    assert isinstance(model, FastText)

    assert "computation" not in model.wv.key_to_index  # New word, currently out of vocab
    old_vector = np.copy(model.wv["computation"])  # Grab the existing vector
    assert_vector(old_vector, 4)
    new_sentences = [
        ["computer", "aided", "design"],
        ["computer", "science"],
        ["computational", "complexity"],
        ["military", "supercomputer"],
        ["central", "processing", "unit"],
        ["onboard", "car", "computer"],
    ]
    model.build_vocab(new_sentences, update=True)  # Update the vocabulary
    result = model.train(new_sentences, total_examples=len(new_sentences), epochs=model.epochs)
    assert_train_result(result, raw=model.epochs * sum(len(s) for s in new_sentences))
    new_vector = model.wv["computation"]
    # gensim's docstring says the vector changes; gensim 4.4.0 itself leaves it equal here, so
    # only the kind of result is checked
    assert_vector(new_vector, 4)
    assert "computation" not in model.wv.key_to_index  # Word is still out of vocab
    assert {"aided", "design", "computational", "supercomputer"} <= set(model.wv.key_to_index)


def test_fasttext_module_in_and_out_of_vocab_vectors():
    """fasttext.py module docstring, "Retrieve the word-vector for vocab and out-of-vocab word"."""
    model, _ = _fasttext_module_model()
    existent_word = "computer"
    assert existent_word in model.wv.key_to_index
    computer_vec = model.wv[existent_word]  # numpy vector of a word
    assert_vector(computer_vec, 4)
    oov_word = "graph-out-of-vocab"
    assert oov_word not in model.wv.key_to_index
    oov_vec = model.wv[oov_word]  # numpy vector for OOV word
    assert_vector(oov_vec, 4)


def test_fasttext_module_nlp_tasks():
    """fasttext.py module docstring, "You can perform various NLP word tasks with the model"."""
    model, _ = _fasttext_module_model()
    # topn=10, but the 12-word vocabulary less the 3 query words leaves 9 (gensim returns 9)
    n = min(10, len(model.wv) - 3)
    similarities = model.wv.most_similar(positive=["computer", "human"], negative=["interface"])
    assert_similar_list(similarities, topn=n, keys=model.wv.key_to_index)
    most_similar = similarities[0]
    assert isinstance(most_similar, tuple)
    assert {k for k, _ in similarities}.isdisjoint({"computer", "human", "interface"})
    similarities = model.wv.most_similar_cosmul(positive=["computer", "human"], negative=["interface"])
    assert_similar_list(similarities, topn=n, lo=0.0, hi=math.inf, keys=model.wv.key_to_index)
    # "tree" is not in common_texts: FastText still has a vector for it
    not_matching = model.wv.doesnt_match("human computer interface tree".split())
    assert not_matching in {"human", "computer", "interface", "tree"}
    sim_score = model.wv.similarity("computer", "human")
    assert_cosine(sim_score)


def test_fasttext_module_evaluate_on_common_texts_raises():
    """fasttext.py module docstring, evaluate_word_pairs on the common_texts model.

    None of wordsim353's pairs are in common_texts' vocabulary: gensim raises ValueError ("No valid
    similarity judgements found"), and evaluate_word_analogies gives score 0.0 with every section.
    """
    model, _ = _fasttext_module_model()
    with pytest.raises(ValueError):
        model.wv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    score, sections = model.wv.evaluate_word_analogies(datapath("questions-words.txt"))
    assert score == 0.0
    assert sections[-1] == {"section": "Total accuracy", "correct": [], "incorrect": []}


def test_fasttext_evaluate_word_pairs_and_analogies(lee_fasttext):
    """fasttext.py module docstring, "Correlation with human opinion" / "And on word analogies"."""
    similarities = lee_fasttext.wv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    pearson, spearman, oov_ratio = similarities
    assert len(pearson) == 2 and len(spearman) == 2
    assert -1.0 - EPS <= pearson[0] <= 1.0 + EPS and -1.0 - EPS <= spearman[0] <= 1.0 + EPS
    assert 0.0 <= oov_ratio <= 100.0
    analogies_result = lee_fasttext.wv.evaluate_word_analogies(datapath("questions-words.txt"))
    score, sections = analogies_result
    assert _is_real(score) and 0.0 <= score <= 1.0
    assert sections[-1]["section"] == "Total accuracy"


def test_fasttext_class_example():
    """fasttext.py, class FastText.__init__ docstring, "Examples"."""
    from wordvec import FastText

    sentences = [["cat", "say", "meow"], ["dog", "say", "woof"]]
    model = FastText(sentences, min_count=1)
    say_vector = model.wv["say"]  # get vector for word
    of_vector = model.wv["of"]  # get vector for out-of-vocab word
    assert_vector(say_vector, 100)
    assert_vector(of_vector, 100)
    assert "of" not in model.wv.key_to_index


def test_load_facebook_vectors_example():
    """fasttext.py, load_facebook_vectors docstring, "Load and infer"."""
    from wordvec import KeyedVectors, load_facebook_vectors

    cap_path = datapath("crime-and-punishment.bin")
    fbkv = load_facebook_vectors(cap_path)
    assert isinstance(fbkv, KeyedVectors)  # gensim: FastTextKeyedVectors, a KeyedVectors subclass
    assert "landlord" not in fbkv.key_to_index  # Word is out of vocabulary
    oov_vector = fbkv["landlord"]
    assert_vector(oov_vector, fbkv.vector_size)
    assert "landlady" in fbkv.key_to_index  # Word is in the vocabulary
    iv_vector = fbkv["landlady"]
    assert_vector(iv_vector, fbkv.vector_size)
    assert len(fbkv) == len(fbkv.index_to_key) > 0


# ---------------------------------------------------------------------------------------------
# gensim/models/phrases.py
# ---------------------------------------------------------------------------------------------


def test_phrases_module_example(tmp_path):
    """phrases.py module docstring, "Examples" (learn, apply, add_vocab, freeze, save/load)."""
    from wordvec import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phrases, Text8Corpus

    # Create training corpus. Must be a sequence of sentences (e.g. an iterable or a generator).
    sentences = Text8Corpus(datapath("testcorpus.txt"))
    # Each sentence must be a list of string tokens:
    first_sentence = next(iter(sentences))
    assert first_sentence[:10] == ["computer", "human", "interface", "computer", "response", "survey",
                                   "system", "time", "user", "interface"]

    # Train a toy phrase model on our training corpus.
    phrase_model = Phrases(sentences, min_count=1, threshold=1, connector_words=ENGLISH_CONNECTOR_WORDS)

    # Apply the trained phrases model to a new, unseen sentence.
    new_sentence = ["trees", "graph", "minors"]
    assert phrase_model[new_sentence] == ["trees_graph", "minors"]

    # Apply the trained model to each sentence of a corpus, using the same [] syntax:
    n = 0
    for sent, original in zip(phrase_model[sentences], sentences):
        assert_phrase_tokens(sent, original)
        n += 1
    assert n == len(list(sentences))

    # Update the model with two new sentences on the fly.
    assert phrase_model.add_vocab([["hello", "world"], ["meow"]]) is None

    # Export the trained model = use less RAM, faster processing. Model updates no longer possible.
    frozen_model = phrase_model.freeze()
    assert isinstance(frozen_model, FrozenPhrases)
    # Apply the frozen model; same results as before:
    assert frozen_model[new_sentence] == ["trees_graph", "minors"]

    # Save / load models.
    frozen_model.save(str(tmp_path / "my_phrase_model.pkl"))
    model_reloaded = Phrases.load(str(tmp_path / "my_phrase_model.pkl"))
    assert isinstance(model_reloaded, FrozenPhrases)  # gensim's load returns what was saved
    assert model_reloaded[["trees", "graph", "minors"]] == ["trees_graph", "minors"]


def test_english_connector_words():
    """phrases.py, ENGLISH_CONNECTOR_WORDS (a frozenset of str)."""
    from wordvec import ENGLISH_CONNECTOR_WORDS

    assert isinstance(ENGLISH_CONNECTOR_WORDS, frozenset)
    assert all(isinstance(w, str) for w in ENGLISH_CONNECTOR_WORDS)
    assert {"of", "the", "a", "and", "in", "to"} <= ENGLISH_CONNECTOR_WORDS


def test_phrases_find_phrases():
    """phrases.py, _PhrasesTransformation.find_phrases docstring."""
    from wordvec import ENGLISH_CONNECTOR_WORDS, Phrases, Text8Corpus

    sentences = Text8Corpus(datapath("testcorpus.txt"))
    phrases = Phrases(sentences, min_count=1, threshold=0.1, connector_words=ENGLISH_CONNECTOR_WORDS)
    found = phrases.find_phrases(sentences)
    assert isinstance(found, dict) and found  # gensim: {phrase str: score float}
    for phrase, score in found.items():
        assert isinstance(phrase, str) and "_" in phrase
        assert _is_real(score) and score > 0.1
    assert "trees_graph" in found


def test_phrases_getitem_example():
    """phrases.py, class Phrases.__init__ docstring, "Examples" ([] on a sentence and on a corpus)."""
    from wordvec import ENGLISH_CONNECTOR_WORDS, Phrases, Text8Corpus

    # Load corpus and train a model.
    sentences = Text8Corpus(datapath("testcorpus.txt"))
    phrases = Phrases(sentences, min_count=1, threshold=1, connector_words=ENGLISH_CONNECTOR_WORDS)
    # Use the model to detect phrases in a new sentence.
    sent = ["trees", "graph", "minors"]
    assert phrases[sent] == ["trees_graph", "minors"]
    # Or transform multiple sentences at once.
    sents = [["trees", "graph", "minors"], ["graph", "minors"]]
    assert [phrase for phrase in phrases[sents]] == [["trees_graph", "minors"], ["graph_minors"]]
    # Export a FrozenPhrases object that is more efficient but doesn't allow any more training.
    frozen_phrases = phrases.freeze()
    assert frozen_phrases[sent] == ["trees_graph", "minors"]
    assert list(frozen_phrases[sents]) == [["trees_graph", "minors"], ["graph_minors"]]


def test_phrases_add_vocab_example():
    """phrases.py, Phrases.add_vocab docstring (gensim asserts len(vocab) 37 then 60; 4.4.0 gives 56)."""
    from wordvec import ENGLISH_CONNECTOR_WORDS, Phrases, Text8Corpus

    # Train a phrase detector from a text corpus.
    sentences = Text8Corpus(datapath("testcorpus.txt"))
    phrases = Phrases(sentences, connector_words=ENGLISH_CONNECTOR_WORDS)  # train model
    assert isinstance(phrases.vocab, Mapping)
    before = len(phrases.vocab)
    assert before > 0
    more_sentences = [
        ["the", "mayor", "of", "new", "york", "was", "there"],
        ["machine", "learning", "can", "be", "new", "york", "sometimes"],
    ]
    phrases.add_vocab(more_sentences)  # add new sentences to model
    assert len(phrases.vocab) > before
    assert phrases.vocab["mayor"] == 1  # counts: unigram keys are the tokens
    assert phrases.vocab["new_york"] == 2  # bigram keys are joined with the delimiter
    assert phrases["new york".split()] == ["new", "york"]  # default min_count=5 / threshold=10


def test_frozen_phrases_example(tmp_path):
    """phrases.py, class FrozenPhrases.__init__ docstring (freeze(); FrozenPhrases(phrases_model))."""
    from wordvec import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phrases, Text8Corpus

    sentences = Text8Corpus(datapath("testcorpus.txt"))
    phrases = Phrases(sentences, min_count=1, threshold=1, connector_words=ENGLISH_CONNECTOR_WORDS)
    sent = ["trees", "graph", "minors"]
    frozen_phrases = phrases.freeze()
    assert frozen_phrases[sent] == ["trees_graph", "minors"]
    assert FrozenPhrases(phrases)[sent] == ["trees_graph", "minors"]
    # the un-frozen model saves and loads as a Phrases that can still learn
    phrases.save(str(tmp_path / "phrases.pkl"))
    reloaded = Phrases.load(str(tmp_path / "phrases.pkl"))
    assert isinstance(reloaded, Phrases) and not isinstance(reloaded, FrozenPhrases)
    assert reloaded[sent] == ["trees_graph", "minors"]
    reloaded.add_vocab([["hello", "world"]])
    frozen_phrases.save(str(tmp_path / "frozen.pkl"))
    assert isinstance(FrozenPhrases.load(str(tmp_path / "frozen.pkl")), FrozenPhrases)


def test_phrases_export_phrases():
    """phrases.py, Phrases.export_phrases: {phrase: score} of every bigram above the threshold."""
    from wordvec import ENGLISH_CONNECTOR_WORDS, Phrases, Text8Corpus

    sentences = Text8Corpus(datapath("testcorpus.txt"))
    phrases = Phrases(sentences, min_count=1, threshold=0.1, connector_words=ENGLISH_CONNECTOR_WORDS)
    exported = phrases.export_phrases()
    assert isinstance(exported, dict) and exported
    for phrase, score in exported.items():
        assert isinstance(phrase, str) and "_" in phrase
        assert _is_real(score) and score > 0.1
    assert set(exported) >= set(phrases.find_phrases(sentences))


def test_phrases_npmi_scoring():
    """phrases.py, Phrases `scoring='npmi'` (normalized PMI, scores and threshold in [-1, 1])."""
    from wordvec import ENGLISH_CONNECTOR_WORDS, Phrases, Text8Corpus

    sentences = Text8Corpus(datapath("testcorpus.txt"))
    phrases = Phrases(sentences, min_count=1, threshold=0.5, scoring="npmi",
                      connector_words=ENGLISH_CONNECTOR_WORDS)
    exported = phrases.export_phrases()
    assert isinstance(exported, dict) and exported
    for phrase, score in exported.items():
        assert isinstance(phrase, str)
        assert _is_real(score) and 0.5 < score <= 1.0 + EPS
    sent = ["trees", "graph", "minors"]
    assert_phrase_tokens(phrases[sent], sent)
    assert_phrase_tokens(phrases.freeze()[sent], sent)


def test_phrases_connector_words():
    """phrases.py, Phrases `connector_words`: phrases such as `bank_of_america` keep connectors inside."""
    from wordvec import ENGLISH_CONNECTOR_WORDS, Phrases

    sentences = [
        ["the", "bank", "of", "america", "said"],
        ["bank", "of", "america", "profits"],
        ["my", "bank", "is", "here"],
        ["america", "the", "big"],
        ["eye", "of", "the", "beholder"],
        ["the", "eye", "of", "the", "beholder", "sees"],
    ] * 3
    phrases = Phrases(sentences, min_count=1, threshold=1, connector_words=ENGLISH_CONNECTOR_WORDS)
    assert phrases[["bank", "of", "america"]] == ["bank_of_america"]
    assert phrases[["eye", "of", "the", "beholder"]] == ["eye_of_the_beholder"]
    exported = phrases.export_phrases()
    assert "bank_of_america" in exported and "eye_of_the_beholder" in exported
    # no phrase starts or ends with a connector word
    assert all(not token.startswith("of_") and not token.endswith("_of")
               for token in phrases[["of", "america", "of"]])


# ---------------------------------------------------------------------------------------------
# gensim/models/callbacks.py
# ---------------------------------------------------------------------------------------------


def test_callbacks_epoch_saver(tmp_path):
    """callbacks.py module docstring, "Create a callback to save the training model after each epoch"."""
    from wordvec import CallbackAny2Vec, Word2Vec

    class EpochSaver(CallbackAny2Vec):
        """Callback to save model after each epoch."""

        def __init__(self, path_prefix):
            self.path_prefix = path_prefix
            self.epoch = 0

        def on_epoch_end(self, model):
            output_path = str(tmp_path / "{}_epoch{}.model".format(self.path_prefix, self.epoch))
            model.save(output_path)
            self.epoch += 1

    saver = EpochSaver("w2v")
    Word2Vec(common_texts, epochs=3, vector_size=10, min_count=0, seed=42, callbacks=[saver])
    assert saver.epoch == 3
    assert sorted(p.name for p in tmp_path.glob("w2v_epoch*.model")) == [
        "w2v_epoch0.model", "w2v_epoch1.model", "w2v_epoch2.model"]
    loaded = Word2Vec.load(str(tmp_path / "w2v_epoch1.model"))
    assert_vector(loaded.wv["computer"], 10)


def test_callbacks_epoch_logger(capsys):
    """callbacks.py module docstring, "Create a callback to print progress information to the console"."""
    from wordvec import CallbackAny2Vec, Word2Vec

    class EpochLogger(CallbackAny2Vec):
        """Callback to log information about training"""

        def __init__(self):
            self.epoch = 0

        def on_epoch_begin(self, model):
            print("Epoch #{} start".format(self.epoch))

        def on_epoch_end(self, model):
            print("Epoch #{} end".format(self.epoch))
            self.epoch += 1

    epoch_logger = EpochLogger()
    Word2Vec(common_texts, epochs=5, vector_size=10, min_count=0, seed=42, callbacks=[epoch_logger])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch #")]
    assert lines == [f"Epoch #{i} {what}" for i in range(5) for what in ("start", "end")]


def test_callbacks_all_hooks_in_order():
    """callbacks.py, class CallbackAny2Vec: on_train_begin, on_epoch_begin/end per epoch, on_train_end."""
    from wordvec import CallbackAny2Vec, Word2Vec

    class Recorder(CallbackAny2Vec):
        def __init__(self):
            self.calls = []

        def on_epoch_begin(self, model):
            self.calls.append(("epoch_begin", type(model).__name__))

        def on_epoch_end(self, model):
            self.calls.append(("epoch_end", type(model).__name__))

        def on_train_begin(self, model):
            self.calls.append(("train_begin", type(model).__name__))

        def on_train_end(self, model):
            self.calls.append(("train_end", type(model).__name__))

    recorder = Recorder()
    model = Word2Vec(common_texts, epochs=3, vector_size=10, min_count=0, seed=42, callbacks=[recorder])
    names = [name for name, _ in recorder.calls]
    assert names == ["train_begin"] + ["epoch_begin", "epoch_end"] * 3 + ["train_end"]
    assert {kind for _, kind in recorder.calls} == {"Word2Vec"}  # the model itself is passed

    # callbacks are given to each train() call (gensim keeps none on the model)
    recorder.calls.clear()
    model.train(common_texts, total_examples=model.corpus_count, epochs=2, callbacks=[recorder])
    assert [name for name, _ in recorder.calls] == ["train_begin"] + ["epoch_begin", "epoch_end"] * 2 + ["train_end"]

    # the base class's hooks do nothing: a subclass may override only some
    class OnlyEnd(CallbackAny2Vec):
        def __init__(self):
            self.ends = 0

        def on_epoch_end(self, model):
            self.ends += 1

    only_end = OnlyEnd()
    Word2Vec(common_texts, epochs=2, vector_size=10, min_count=1, callbacks=[only_end])
    assert only_end.ends == 2


def test_callbacks_loss_logger():
    """The classic loss-logging callback: model.get_latest_training_loss() in on_epoch_end (compute_loss=True)."""
    from wordvec import CallbackAny2Vec, Word2Vec

    class LossLogger(CallbackAny2Vec):
        """Output loss at each epoch"""

        def __init__(self):
            self.epoch = 0
            self.losses = []

        def on_epoch_end(self, model):
            loss = model.get_latest_training_loss()
            self.losses.append(loss)
            self.epoch += 1

    loss_logger = LossLogger()
    Word2Vec(common_texts, epochs=4, vector_size=10, min_count=1, compute_loss=True, callbacks=[loss_logger])
    assert loss_logger.epoch == 4 and len(loss_logger.losses) == 4
    for loss in loss_logger.losses:
        assert _is_real(loss) and math.isfinite(loss) and loss >= 0.0
    assert loss_logger.losses[-1] > 0.0
