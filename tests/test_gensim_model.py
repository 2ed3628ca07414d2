"""The gensim-style Word2Vec/FastText models: life cycle, continued training, files, callbacks,
and agreement with gensim itself where the two should agree exactly (vocabulary, queries)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import wordvec
from wordvec import CallbackAny2Vec, FastText, KeyedVectors, Word2Vec
from wordvec.errors import WordvecError


def topic_sentences(n: int = 600, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    topics = [["red", "green", "blue", "yellow", "purple"], ["one", "two", "three", "four", "five"]]
    return [list(rng.choice(topics[i % 2], size=6)) for i in range(n)]


SMALL = dict(vector_size=16, window=2, min_count=1, workers=1, sample=0, seed=3)


def test_constructor_trains_when_given_a_corpus_and_not_otherwise():
    model = Word2Vec(topic_sentences(), epochs=3, **SMALL)
    assert len(model.wv) == 10 and model.wv.vector_size == 16
    assert {w for w, _ in model.wv.most_similar("red", topn=4)} == {"green", "blue", "yellow", "purple"}
    assert model.corpus_count == 600 and model.corpus_total_words == 3600 and model.train_count == 1
    empty = Word2Vec(**SMALL)
    assert len(empty.wv) == 0 and empty.train_count == 0
    with pytest.raises(RuntimeError, match="build the vocabulary"):
        empty.train(topic_sentences(), total_examples=600, epochs=1)


def test_defaults_are_gensims():
    model = Word2Vec()
    assert (model.vector_size, model.alpha, model.window, model.min_count, model.sg, model.hs, model.negative,
            model.epochs, model.workers, model.min_alpha, model.sample) == \
        (100, 0.025, 5, 5, 0, 0, 5, 5, 3, 0.0001, 1e-3)
    assert model.config.model == "cbow" and model.config.learning_rate == 0.025
    assert FastText().min_n == 3 and FastText().max_n == 6 and FastText().bucket == 2_000_000


def test_a_generator_is_read_once():
    model = Word2Vec((s for s in topic_sentences()), epochs=2, **SMALL)
    assert len(model.wv) == 10 and model.corpus_count == 600


def test_constructor_equals_build_vocab_then_train():
    corpus = topic_sentences()
    straight = Word2Vec(corpus, epochs=3, **SMALL)
    manual = Word2Vec(epochs=3, **SMALL)
    manual.build_vocab(corpus)
    manual.train(corpus, total_examples=manual.corpus_count, epochs=manual.epochs)
    np.testing.assert_allclose(manual.wv.vectors, straight.wv.vectors, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("cls, extra", [(Word2Vec, {"sg": 1}), (Word2Vec, {"hs": 1, "negative": 0}),
                                        (FastText, {"sg": 1, "bucket": 5000})])
def test_save_load_continue_equals_training_straight_through(tmp_path, cls, extra):
    corpus = topic_sentences()
    straight = cls(corpus, epochs=2, **SMALL, **extra)
    straight.train(corpus, total_examples=straight.corpus_count, epochs=3)

    split = cls(corpus, epochs=2, **SMALL, **extra)
    split.save(tmp_path / "m.model")
    loaded = cls.load(tmp_path / "m.model")
    assert type(loaded) is cls and loaded.train_count == 1
    np.testing.assert_array_equal(loaded.wv.vectors, split.wv.vectors)
    loaded.train(corpus, total_examples=loaded.corpus_count, epochs=3)
    np.testing.assert_allclose(loaded.wv.vectors, straight.wv.vectors, rtol=1e-5, atol=1e-7)
    assert loaded.train_count == 2


def test_saved_model_is_a_zip_of_arrays_not_a_pickle(tmp_path):
    model = Word2Vec(topic_sentences(), epochs=1, **SMALL)
    path = tmp_path / "w2v.model"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["W_in.npy", "W_out.npy", "header.npy", "rng_states.npy"]
    assert b"pickle" not in path.read_bytes()[:64]
    np.load(path, allow_pickle=False)  # loads without pickles
    with pytest.raises(WordvecError, match="FastText"):
        FastText.load(path)  # a Word2Vec file is not a FastText


def test_damaged_model_files_give_one_line_errors(tmp_path):
    model = Word2Vec(topic_sentences(), epochs=1, **SMALL)
    path = tmp_path / "m.model"
    model.save(path)
    data = bytearray(path.read_bytes())
    (tmp_path / "cut.model").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.model").write_bytes(b"not a model at all")
    for name in ("cut.model", "junk.model"):
        with pytest.raises(WordvecError) as info:
            Word2Vec.load(tmp_path / name)
        assert "\n" not in str(info.value) and "not a readable wordvec model" in str(info.value)
    arrays = dict(np.load(path))
    arrays["W_in"] = arrays["W_in"][:-1]  # one row short for the vocabulary
    np.savez(tmp_path / "short.npz", **arrays)
    with pytest.raises(WordvecError, match="W_in has shape"):
        Word2Vec.load(tmp_path / "short.npz")


def test_load_with_mmap_maps_weights_and_still_trains(tmp_path):
    model = Word2Vec(topic_sentences(), epochs=1, **SMALL)
    model.save(tmp_path / "m.model")
    mapped = Word2Vec.load(tmp_path / "m.model", mmap="r")
    assert isinstance(mapped._W_in, np.memmap) and not mapped._W_in.flags.writeable
    np.testing.assert_array_equal(mapped.wv.vectors, model.wv.vectors)
    mapped.train(topic_sentences(), total_examples=600, epochs=1)  # on a private copy
    assert not isinstance(mapped._W_in, np.memmap)
    np.testing.assert_array_equal(Word2Vec.load(tmp_path / "m.model").wv.vectors, model.wv.vectors)


def test_vocabulary_update_adds_words_and_keeps_trained_rows():
    model = Word2Vec(topic_sentences(), epochs=2, **SMALL)
    before = model.wv.vectors.copy()
    more = [["red", "crimson", "scarlet", "green"], ["crimson", "scarlet", "blue"]] * 50
    model.build_vocab(more, update=True)
    assert model.wv.index_to_key[:10] == Word2Vec(topic_sentences(), epochs=0, **SMALL).wv.index_to_key
    assert set(model.wv.index_to_key[10:]) == {"crimson", "scarlet"}
    np.testing.assert_array_equal(model.wv.vectors[:10], before)
    assert model.wv.get_vecattr("red", "count") > Word2Vec(topic_sentences(), epochs=0, **SMALL).wv.get_vecattr(
        "red", "count")
    assert model.corpus_count == 100
    model.sg = 1  # settings may change between train() calls, as in gensim
    model.train(more, total_examples=model.corpus_count, epochs=20)
    colours = {"red", "green", "blue", "yellow", "purple", "scarlet"}
    assert {w for w, _ in model.wv.most_similar("crimson", topn=5)} <= colours  # the new word joined its topic
    with pytest.raises(RuntimeError, match="has none"):
        Word2Vec(**SMALL).build_vocab(more, update=True)


def test_fasttext_update_keeps_ngram_rows_and_answers_unseen_words():
    model = FastText(topic_sentences(), epochs=2, bucket=5000, **SMALL)
    assert not model.wv.has_index_for("reddish") and model.wv["reddish"].shape == (16,)
    old = model._ngrams
    rows = model._W_in[len(model.wv):].copy()
    model.build_vocab([["reddish", "greenish"]] * 5, update=True)
    assert model.wv.has_index_for("reddish")
    at = np.searchsorted(model._ngrams.buckets, old.buckets)
    np.testing.assert_array_equal(model._W_in[len(model.wv) + at], rows)  # every old bucket kept its row
    # an unseen word of only unused n-grams still has a (starting-value) vector, as in gensim
    assert np.isfinite(model.wv["qqqzzz"]).all() and np.abs(model.wv["qqqzzz"]).sum() > 0


def test_vocabulary_matches_gensims(ptb_train):
    gensim = pytest.importorskip("gensim")
    from gensim.models.word2vec import LineSentence

    ours = Word2Vec(epochs=1, min_count=5)
    ours.build_vocab(corpus_file=ptb_train)
    theirs = gensim.models.Word2Vec(min_count=5)
    theirs.build_vocab(LineSentence(ptb_train))
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert ours.corpus_count == theirs.corpus_count and ours.corpus_total_words == theirs.corpus_total_words
    capped = Word2Vec(max_final_vocab=3000)
    capped.build_vocab(corpus_file=ptb_train)
    theirs = gensim.models.Word2Vec(max_final_vocab=3000)
    theirs.build_vocab(LineSentence(ptb_train))
    assert capped.wv.index_to_key == theirs.wv.index_to_key and capped.effective_min_count == \
        theirs.effective_min_count


def test_trim_rule_and_sorted_vocab():
    from wordvec.model import RULE_DISCARD, RULE_KEEP, RULE_DEFAULT

    corpus = [["a", "b", "b", "c", "c", "c"]] * 2

    def rule(word, count, min_count):
        return {"a": RULE_KEEP, "c": RULE_DISCARD}.get(word, RULE_DEFAULT)

    model = Word2Vec(min_count=5, trim_rule=rule, **{k: v for k, v in SMALL.items() if k != "min_count"})
    model.build_vocab(corpus)
    assert model.wv.index_to_key == ["a"]  # b: 4 < min_count; a kept, c discarded by the rule
    unsorted = Word2Vec(sorted_vocab=0, **SMALL)
    unsorted.build_vocab(corpus)
    assert unsorted.wv.index_to_key == ["a", "b", "c"]


def test_callbacks_objects_and_functions():
    calls = []

    class Recorder(CallbackAny2Vec):
        def on_train_begin(self, model):
            calls.append("train_begin")

        def on_epoch_begin(self, model):
            calls.append("epoch_begin")

        def on_epoch_end(self, model):
            calls.append(("epoch_end", model.get_latest_training_loss(), model.wv.vectors.sum()))

        def on_train_end(self, model):
            calls.append("train_end")

    seen = []
    Word2Vec(topic_sentences(), epochs=3, compute_loss=True, callbacks=[Recorder(), lambda e, info: seen.append(e)],
             **SMALL)
    assert [c if isinstance(c, str) else c[0] for c in calls] == \
        ["train_begin"] + ["epoch_begin", "epoch_end"] * 3 + ["train_end"]
    losses = [c[1] for c in calls if not isinstance(c, str)]
    assert losses[0] > 0 and losses[0] < losses[1] < losses[2]  # cumulative within one train() call
    sums = [c[2] for c in calls if not isinstance(c, str)]
    assert len(set(sums)) == 3  # model.wv follows the training
    assert seen == [0, 1, 2]
    with pytest.raises(TypeError, match="callback"):
        Word2Vec(topic_sentences(), callbacks=[42], **SMALL)


def test_training_loss_is_exact_where_gensims_float32_total_stalls(ptb_train):
    losses = []

    class Epochs(CallbackAny2Vec):
        def on_epoch_end(self, model):
            losses.append(model.get_latest_training_loss())

    model = Word2Vec(corpus_file=ptb_train, sg=1, vector_size=20, epochs=3, workers=2, compute_loss=True,
                     callbacks=[Epochs()])
    total = model.get_latest_training_loss()
    assert total > 2**24  # past where a float32 total stops taking steps of ~1
    assert total == pytest.approx(losses[-1])
    per_epoch = np.diff([0.0, *losses])
    history = np.array(model.history["epoch_loss"])  # mean loss per pair, from the engine
    pairs = per_epoch / history  # the pairs each epoch trained: about the same in every epoch
    assert np.all(per_epoch > 0) and pairs.max() / pairs.min() < 1.05
    assert Word2Vec(topic_sentences(), epochs=1, **SMALL).get_latest_training_loss() == 0.0  # compute_loss off


def test_predict_output_word_finds_the_topic():
    model = Word2Vec(topic_sentences(2000), epochs=5, negative=5, **SMALL)
    top = model.predict_output_word(["red", "green", "blue"], topn=5)
    assert len(top) == 5 and all(isinstance(w, str) and 0 <= p <= 1 for w, p in top)
    assert {w for w, _ in top} <= {"red", "green", "blue", "yellow", "purple"}
    assert model.predict_output_word(["nosuchword"]) is None
    with pytest.raises(RuntimeError, match="negative sampling"):
        Word2Vec(topic_sentences(), hs=1, negative=0, epochs=1, **SMALL).predict_output_word(["red"])


def test_wordvec_names_and_refusals():
    model = Word2Vec(model="skipgram", dim=12, lr=0.01, threads=1, loss="softmax", epochs=1, min_count=1)
    assert (model.sg, model.vector_size, model.alpha, model.workers, model.loss) == (1, 12, 0.01, 1, "softmax")
    assert model.fit(topic_sentences(100)).wv.vector_size == 12
    for bad, match in [({"cbow_mean": 0}, "cbow_mean"), ({"shrink_windows": False}, "shrink_windows"),
                       ({"null_word": 1}, "null_word"), ({"hs": 0, "negative": 0}, "nothing to train"),
                       ({"engine": "reference"}, "wordvec.train"), ({"vector_size": 0}, "vector_size"),
                       ({"max_vocab_size": 10_000}, "max_final_vocab")]:
        with pytest.raises(ValueError, match=match):
            Word2Vec(**bad)
    with pytest.raises(TypeError, match="unexpected keyword"):
        Word2Vec(no_such_option=1)
    with pytest.raises(TypeError, match="corpus_file"):
        Word2Vec("ptb.txt")  # a path is not a sentence iterable
    with pytest.warns(UserWarning, match="one loss"):
        Word2Vec(hs=1)


def test_linesentence_is_read_by_the_tokenizer(ptb_valid):
    from gensim.models.word2vec import LineSentence as GensimLineSentence

    ours = Word2Vec(epochs=1, min_count=2)
    ours.build_vocab(wordvec.LineSentence(ptb_valid))
    theirs = Word2Vec(epochs=1, min_count=2)
    theirs.build_vocab(list(GensimLineSentence(ptb_valid)))
    assert ours.wv.index_to_key == theirs.wv.index_to_key


def test_keyedvectors_methods_agree_with_gensim():
    gensim = pytest.importorskip("gensim")
    from gensim.test.utils import datapath

    theirs = gensim.models.KeyedVectors.load_word2vec_format(datapath("euclidean_vectors.bin"), binary=True)
    ours = KeyedVectors.load_word2vec_format(datapath("euclidean_vectors.bin"), binary=True)
    a, b, c = ours.index_to_key[3], ours.index_to_key[7], ours.index_to_key[20]
    np.testing.assert_allclose(ours.distances(a), theirs.distances(a), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.distances(a, [b, c]), theirs.distances(a, [b, c]), rtol=1e-5, atol=1e-6)
    assert ours.rank(a, b) == theirs.rank(a, b) and ours.closer_than(a, c) == theirs.closer_than(a, c)
    for kw in ({}, {"post_normalize": True}, {"weights": [1.0, -0.5, 2.0], "pre_normalize": False}):
        np.testing.assert_allclose(ours.get_mean_vector([a, b, c], **kw), theirs.get_mean_vector([a, b, c], **kw),
                                   rtol=1e-5, atol=1e-7)
    assert ours.most_similar_to_given(a, [b, c]) == theirs.most_similar_to_given(a, [b, c])
    assert [w for w, _ in ours.similar_by_word(a, 5)] == [w for w, _ in theirs.similar_by_word(a, 5)]
    assert ours.relative_cosine_similarity(a, b) == pytest.approx(theirs.relative_cosine_similarity(a, b), rel=1e-5)
    assert [w for _, w in ours.rank_by_centrality([a, b, c])] == [w for _, w in theirs.rank_by_centrality([a, b, c])]
    ours_pairs, theirs_pairs = ours.evaluate_word_pairs(datapath("wordsim353.tsv")), \
        theirs.evaluate_word_pairs(datapath("wordsim353.tsv"))
    assert ours_pairs[0][0] == pytest.approx(theirs_pairs[0][0], rel=1e-5)
    assert ours_pairs[1][0] == pytest.approx(theirs_pairs[1][0], rel=1e-5)
    assert ours_pairs[2] == pytest.approx(theirs_pairs[2])
    for dummy in (False, True):
        score, sections = ours.evaluate_word_analogies(datapath("questions-words.txt"), dummy4unknown=dummy)
        g_score, g_sections = theirs.evaluate_word_analogies(datapath("questions-words.txt"), dummy4unknown=dummy)
        assert score == pytest.approx(g_score)
        assert [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in sections] == \
            [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in g_sections]


def test_empty_keyedvectors_and_add_vectors():
    kv = KeyedVectors(4)
    assert len(kv) == 0 and kv.vector_size == 4
    kv.add_vectors(["a", "b"], np.eye(2, 4, dtype=np.float32))
    kv.add_vectors(["b", "c"], np.ones((2, 4), np.float32))  # b kept (replace=False)
    assert kv.index_to_key == ["a", "b", "c"] and kv["b"][1] == 1 and kv["b"][0] == 0
    kv.add_vectors(["b"], np.full((1, 4), 2, np.float32), replace=True)
    assert kv["b"].tolist() == [2, 2, 2, 2]
    kv["d"] = np.arange(4, dtype=np.float32)
    assert kv.most_similar("d", topn=1)[0][0] in ("b", "c")
    with pytest.raises(ValueError, match="shape"):
        kv.add_vectors(["e"], np.ones((1, 3)))


def test_native_vectors_load_memory_mapped(tmp_path):
    rng = np.random.default_rng(0)
    kv = KeyedVectors(rng.standard_normal((500, 8)).astype(np.float32), [f"w{i}" for i in range(500)])
    kv.save(tmp_path / "v.wordvectors")  # gensim-style name without extension: native
    mapped = KeyedVectors.load(tmp_path / "v.wordvectors", mmap="r")
    assert isinstance(mapped.vectors.base, np.memmap) and not mapped.vectors.flags.writeable  # a view, no copy
    assert mapped.most_similar("w3", topn=3) == kv.most_similar("w3", topn=3)
    with pytest.raises(ValueError, match="native"):
        kv.save_word2vec_format(tmp_path / "v.txt")
        KeyedVectors.load(tmp_path / "v.txt", mmap="r")


def test_a_model_file_cannot_make_load_train(tmp_path):
    import json

    model = Word2Vec(topic_sentences(), epochs=1, **SMALL)
    model.save(tmp_path / "m.model")
    arrays = dict(np.load(tmp_path / "m.model"))
    header = json.loads(arrays["header"].tobytes())
    header["params"]["corpus_file"] = str(tmp_path / "m.model")  # a hostile file naming a corpus
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    with open(tmp_path / "hostile.model", "wb") as out:
        np.savez(out, **arrays)
    with pytest.raises(WordvecError, match="unexpected settings"):
        Word2Vec.load(tmp_path / "hostile.model")
    header["params"].pop("corpus_file")
    header["corpus_count"] = "many"
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    with open(tmp_path / "bad.model", "wb") as out:
        np.savez(out, **arrays)
    with pytest.raises(WordvecError, match="bad header field"):
        Word2Vec.load(tmp_path / "bad.model")
