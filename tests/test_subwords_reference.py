"""The subword model in the reference engine: the ragged mean-of-rows layer gradient-checked in
float64, the book's CBOW / skip-gram with it, one fast step against one reference step, and the
engine trained end to end."""

from __future__ import annotations

import numpy as np
import pytest

import wordvec
from gradcheck import FixedNegatives, dense, numerical_grad
from wordvec.fast import InputRows, update
from wordvec.models import word2vec
from wordvec.nn import Embedding, EmbeddingMean, RaggedEmbeddingMean
from wordvec.subwords import NgramTable
from wordvec.vectors import SubwordVectors

WORDS = ["walk", "walks", "walked", "talk", "talks", "talked", "a", "the", "ok", "<odd>"]
V, DIM, LR = len(WORDS), 6, 0.05


@pytest.fixture(scope="module")
def table():
    return NgramTable.build(WORDS, 2, 4, 97)  # a small bucket count: some n-grams share a row


@pytest.mark.parametrize("shape", [(5,), (4, 3)])
@pytest.mark.parametrize("sparse", [True, False])
def test_ragged_mean_gradient_matches_finite_differences(table, shape, sparse):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((table.n_rows, DIM))
    idx = rng.integers(0, V, shape)
    idx.flat[0] = idx.flat[-1]  # a repeated word
    R = rng.standard_normal((shape[0], DIM))
    layer = RaggedEmbeddingMean(W, table.offsets, table.rows, sparse=sparse)

    def loss():
        return float(np.sum(np.tanh(layer.forward(idx)) * R))

    h = layer.forward(idx)
    layer.backward((1 - np.tanh(h) ** 2) * R)
    np.testing.assert_allclose(dense(layer.grads[0]), numerical_grad(loss, W), rtol=1e-5, atol=1e-8)


def test_ragged_mean_is_the_mean_of_each_items_rows(table):
    W = np.random.default_rng(2).standard_normal((table.n_rows, DIM))
    layer = RaggedEmbeddingMean(W, table.offsets, table.rows)
    idx = np.array([[0, 3], [6, 6]])
    for n, words in enumerate(idx):
        rows = np.concatenate([table.rows[table.offsets[w]:table.offsets[w + 1]] for w in words])
        np.testing.assert_allclose(layer.forward(idx)[n], W[rows].mean(axis=0))


def test_one_row_per_word_is_embedding_and_embedding_mean():
    W = np.random.default_rng(3).standard_normal((8, DIM))
    offsets, rows = np.arange(9), np.arange(8)
    ids, window = np.array([3, 1, 3]), np.array([[0, 2, 2], [7, 1, 5]])
    for idx, book in ((ids, Embedding(W)), (window, EmbeddingMean(W))):
        ragged = RaggedEmbeddingMean(W, offsets, rows)
        np.testing.assert_allclose(ragged.forward(idx), book.forward(idx))
        dout = np.random.default_rng(4).standard_normal((len(idx), DIM))
        ragged.backward(dout)
        book.backward(dout)
        np.testing.assert_allclose(dense(ragged.grads[0]), dense(book.grads[0]))


def test_ragged_layer_refuses_bad_tables():
    W = np.zeros((4, 2))
    with pytest.raises(ValueError):
        RaggedEmbeddingMean(W, [0, 1, 1], [0])  # a word without rows
    with pytest.raises(ValueError):
        RaggedEmbeddingMean(W, [0, 1], [4])  # a row outside W
    with pytest.raises(ValueError):
        RaggedEmbeddingMean(W, [0, 1], [0]).forward(np.array([1]))  # a word outside the table


def _reference(cls, table, negatives, dtype=np.float32, seed=0):
    model = cls(V, DIM, 2, np.ones(V), sample_size=len(negatives), sparse=False, seed=0, dtype=dtype,
                input_rows=table)
    rng = np.random.default_rng(seed)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * 0.3
    samplers = [model.ns_loss] if cls is word2vec.CBOW else model.loss_layers
    for layer in samplers:
        layer.sampler = FixedNegatives(negatives)
    return model


@pytest.mark.parametrize("cls", [word2vec.CBOW, word2vec.SkipGram])
def test_subword_models_gradients_match_finite_differences(table, cls):
    model = _reference(cls, table, [1, 8], dtype=np.float64)
    contexts = np.array([[0, 3, 5, 5], [9, 2, 1, 0]])
    target = np.array([4, 7])

    def loss():
        return model.forward(contexts, target)

    loss()
    model.backward()
    analytic = [dense(g).copy() for g in model.grads]
    assert model.params[0].shape == (table.n_rows, DIM)
    for p, g in zip(model.params, analytic):
        np.testing.assert_allclose(g, numerical_grad(loss, p), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("word", range(V))
def test_one_fast_skipgram_step_equals_one_reference_step(table, word):
    negatives = [w for w in (2, 8, 5) if w != (word + 1) % V]
    target = (word + 1) % V
    ref = _reference(word2vec.SkipGram, table, negatives, seed=word)
    W_in, W_out = ref.params[0].copy(), ref.params[1].copy()
    # the book's skip-gram: its "target" is our input word, its "contexts" our output word
    loss = ref.forward(np.array([[target]]), np.array([word]))
    ref.backward()
    n_rows = table.offsets[word + 1] - table.offsets[word]
    A, B = W_in.copy(), W_out.copy()
    nll = update(A, B, [word], target, LR, model="skipgram", loss="ns", negatives=negatives,
                 input_rows=table.input_rows())
    assert nll == pytest.approx(loss, rel=1e-5)
    # SGD passes the whole gradient of the mean to each row (fastText): n_rows x the layer's
    np.testing.assert_allclose(A, W_in - LR * n_rows * dense(ref.grads[0]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(B, W_out - LR * dense(ref.grads[1]), rtol=1e-4, atol=1e-6)
    assert not np.allclose(A[V:], W_in[V:])  # the n-gram rows moved


@pytest.mark.parametrize("contexts", [[0, 3], [1, 4, 6, 9], [2, 2, 5]])
def test_one_fast_cbow_step_equals_one_reference_step(table, contexts):
    negatives, target = [7, 8], 5 if 5 not in contexts else 0
    ref = _reference(word2vec.CBOW, table, negatives, seed=len(contexts))
    W_in, W_out = ref.params[0].copy(), ref.params[1].copy()
    loss = ref.forward(np.array([contexts]), np.array([target]))
    ref.backward()
    pooled = sum(table.offsets[w + 1] - table.offsets[w] for w in contexts)
    A, B = W_in.copy(), W_out.copy()
    nll = update(A, B, contexts, target, LR, model="cbow", loss="ns", negatives=negatives,
                 input_rows=InputRows(table.offsets.copy(), table.rows.copy(), table.n_rows))
    assert nll == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(A, W_in - LR * pooled * dense(ref.grads[0]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(B, W_out - LR * dense(ref.grads[1]), rtol=1e-4, atol=1e-6)


def test_reference_engine_trains_the_subword_model():
    rng = np.random.default_rng(0)
    stems = ["walk", "talk", "jump", "play"]
    sentences = [[s + rng.choice(["", "s", "ed", "ing"]) for s in rng.choice(stems, 8)] for _ in range(100)]
    kv = wordvec.train(sentences, engine="reference", model="skipgram", subwords=True, minn=3, maxn=5,
                       bucket=5000, dim=8, epochs=1, min_count=1, seed=2, window=2)
    assert isinstance(kv, SubwordVectors)
    table = NgramTable.build(kv.index_to_key, 3, 5, 5000)
    assert kv.ngram_buckets.tolist() == table.buckets.tolist()
    assert np.abs(kv.ngram_vectors).sum() > 0 and np.isfinite(kv.vectors).all()
    assert kv["walkings"].shape == (8,)
