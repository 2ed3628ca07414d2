"""One update of each fast kernel against the reference engine's layers (the book's Embedding,
EmbeddingDot, SigmoidWithLoss and negative-sampling loss) from the same weights and the same
negatives, and hierarchical softmax against a small NumPy implementation whose gradient is itself
checked by finite differences.

Direction: the fast kernels follow word2vec, where an input row (`contexts`) predicts an output row
(`target`). For skip-gram that is the book's SkipGram with the roles named the other way round
(book "target" = our input word, book "context" = our output word); the book's batch of pairs
sharing one set of negatives is exactly our group of context words with shared negatives (the
kernels use one group per half window). CBOW follows word2vec's
convention of passing the full gradient of the context mean to every context row, i.e. n_context
times the reference layers' input gradient; the output update and the loss are identical.
"""

from __future__ import annotations

import numpy as np
import pytest

from wordvec.fast import HuffmanTree, cbow_hs_update, cbow_ns_update, sg_hs_update, sg_ns_update
from wordvec.models import word2vec

V, DIM, LR = 30, 12, 0.05


class FixedNegatives:
    """Sampler stand-in: every target gets the same given negatives."""

    def __init__(self, negatives):
        self.negatives = np.asarray(negatives)

    def get_negative_sample(self, target):
        target = np.asarray(target)
        return np.broadcast_to(self.negatives, target.shape + self.negatives.shape).copy()


def weights(seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((V, DIM)) * 0.3).astype(np.float32), (rng.standard_normal((V, DIM)) * 0.3).astype(np.float32)


def reference_model(cls, W_in, W_out, negatives, window):
    model = cls(V, DIM, window, np.ones(V), sample_size=len(negatives), sparse=False, seed=0)
    model.params[0][...] = W_in
    model.params[1][...] = W_out
    if cls is word2vec.CBOW:
        model.ns_loss.sampler = FixedNegatives(negatives)
    else:
        for layer in model.loss_layers:
            layer.sampler = FixedNegatives(negatives)
    return model


# 5 negatives = the benchmark setting; other counts exercise the kernel's grouped products (six
# output rows per score pass, three per update pass) with partial groups
@pytest.mark.parametrize("seed,n_neg", [(0, 5), (1, 5), (2, 5), (3, 5), (4, 1), (5, 2), (6, 3), (7, 7), (8, 12)])
def test_skipgram_ns_step_equals_reference_layers(seed, n_neg):
    rng = np.random.default_rng(100 + seed)
    W_in, W_out = weights(seed)
    words = rng.permutation(V)
    contexts, target, negatives = words[:4], int(words[4]), words[5:5 + n_neg]
    ref = reference_model(word2vec.SkipGram, W_in, W_out, negatives, window=1)
    # book SkipGram: h = W_in[book target]; its "contexts" are scored in W_out
    loss = ref.forward(np.full((len(contexts), 1), target), contexts)
    ref.backward()
    m = len(contexts)  # the book averages over the batch; word2vec sums the pairs
    ref_in = W_in - LR * m * ref.grads[0]
    ref_out = W_out - LR * m * ref.grads[1]

    A, B = W_in.copy(), W_out.copy()
    nll = sg_ns_update(A, B, contexts, target, negatives, LR)
    assert nll == pytest.approx(loss * m, rel=1e-5)
    np.testing.assert_allclose(A, ref_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B, ref_out, rtol=1e-5, atol=1e-6)
    assert not np.allclose(A, W_in) and not np.allclose(B, W_out)


@pytest.mark.parametrize("seed", range(4))
def test_cbow_ns_step_equals_reference_layers(seed):
    rng = np.random.default_rng(200 + seed)
    W_in, W_out = weights(seed)
    words = rng.permutation(V)
    contexts, target, negatives = words[:4], int(words[4]), words[5:10]
    ref = reference_model(word2vec.CBOW, W_in, W_out, negatives, window=2)
    loss = ref.forward(contexts[None, :], np.array([target]))
    ref.backward()

    A, B = W_in.copy(), W_out.copy()
    nll = cbow_ns_update(A, B, contexts, target, negatives, LR)
    assert nll == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(B, W_out - LR * ref.grads[1], rtol=1e-5, atol=1e-6)
    # word2vec's convention: every context row gets the gradient of the mean times n_context
    np.testing.assert_allclose(A, W_in - LR * len(contexts) * ref.grads[0], rtol=1e-5, atol=1e-6)


def test_ns_skips_a_negative_equal_to_the_target():
    W_in, W_out = weights(7)
    A, B = W_in.copy(), W_out.copy()
    nll_with = sg_ns_update(A, B, [1, 2], 3, [4, 3, 5], LR)
    C, D = W_in.copy(), W_out.copy()
    nll_without = sg_ns_update(C, D, [1, 2], 3, [4, 5], LR)
    assert nll_with == pytest.approx(nll_without, rel=1e-6)
    np.testing.assert_allclose(A, C, rtol=1e-6)
    np.testing.assert_allclose(B, D, rtol=1e-6)


def test_empty_window_changes_nothing():
    W_in, W_out = weights(8)
    A, B = W_in.copy(), W_out.copy()
    assert sg_ns_update(A, B, [], 3, [4, 5], LR) == 0.0
    assert cbow_ns_update(A, B, [], 3, [4, 5], LR) == 0.0
    np.testing.assert_array_equal(A, W_in)
    np.testing.assert_array_equal(B, W_out)


# ---- hierarchical softmax against NumPy ----


def hs_loss(x, W_out, codes, points):
    """NLL of the branch decisions along a path (label = 1 - code), float64."""
    f = W_out[points].astype(np.float64) @ x.astype(np.float64)
    sign = 1.0 - 2.0 * codes  # +1 for label 1, -1 for label 0
    return float(np.sum(np.logaddexp(0.0, -sign * f)))


def hs_grads(x, W_out, codes, points):
    """(d loss / d x, d loss / d W_out[points]) in float64."""
    x = x.astype(np.float64)
    rows = W_out[points].astype(np.float64)
    err = 1.0 / (1.0 + np.exp(-(rows @ x))) - (1.0 - codes)  # sigmoid(f) - label
    return err @ rows, err[:, None] * x[None, :]


def test_numpy_hs_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(DIM)
    W = rng.standard_normal((V, DIM))
    codes, points = np.array([0, 1, 1, 0]), np.array([7, 3, 11, 2])
    gx, gW = hs_grads(x, W, codes, points)
    eps = 1e-6
    for d in range(DIM):
        step = np.zeros(DIM)
        step[d] = eps
        num = (hs_loss(x + step, W, codes, points) - hs_loss(x - step, W, codes, points)) / (2 * eps)
        assert num == pytest.approx(gx[d], rel=1e-6, abs=1e-8)
    W2 = W.copy()
    W2[3, 5] += eps
    W3 = W.copy()
    W3[3, 5] -= eps
    num = (hs_loss(x, W2, codes, points) - hs_loss(x, W3, codes, points)) / (2 * eps)
    assert num == pytest.approx(gW[1, 5], rel=1e-6)


@pytest.fixture
def tree():
    counts = np.random.default_rng(3).integers(1, 1000, size=V)
    return HuffmanTree.from_counts(counts)


@pytest.mark.parametrize("target", [0, 5, 17, 29])
def test_skipgram_hs_step_equals_numpy(tree, target):
    W_in, W_out = weights(target)
    W_out = W_out[: V - 1].copy()
    codes, points = tree.path(target)
    codes = codes.astype(np.float64)
    A, B = W_in.copy(), W_out.copy()
    context = (target + 3) % V
    nll = sg_hs_update(A, B, [context], target, tree, LR)
    assert nll == pytest.approx(hs_loss(W_in[context], W_out, codes, points), rel=1e-5)
    gx, gW = hs_grads(W_in[context], W_out, codes, points)
    expect_in = W_in.astype(np.float64)
    expect_in[context] -= LR * gx
    expect_out = W_out.astype(np.float64)
    expect_out[points] -= LR * gW
    np.testing.assert_allclose(A, expect_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B, expect_out, rtol=1e-5, atol=1e-6)


def test_skipgram_hs_window_is_sequential_pairs(tree):
    # with several contexts each pair is one step after the previous one (word2vec's order)
    W_in, W_out = weights(11)
    W_out = W_out[: V - 1].copy()
    A, B = W_in.copy(), W_out.copy()
    sg_hs_update(A, B, [2, 8, 9], 4, tree, LR)
    C, D = W_in.copy(), W_out.copy()
    for c in (2, 8, 9):
        sg_hs_update(C, D, [c], 4, tree, LR)
    # two calls of the kernel, compiled loops may vectorise differently: equal up to rounding,
    # far tighter than the gap to updating all three pairs from the same starting rows
    np.testing.assert_allclose(A, C, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(B, D, rtol=1e-6, atol=1e-8)
    E, F = W_in.copy(), W_out.copy()
    for c in (2, 8, 9):  # simultaneous: every pair sees the original output rows
        G, H = W_in.copy(), W_out.copy()
        sg_hs_update(G, H, [c], 4, tree, LR)
        E[c] = G[c]
        F += H - W_out
    assert np.abs(F - B).max() > 1e-5


@pytest.mark.parametrize("target", [1, 12, 28])
def test_cbow_hs_step_equals_numpy(tree, target):
    W_in, W_out = weights(target + 50)
    W_out = W_out[: V - 1].copy()
    codes, points = tree.path(target)
    codes = codes.astype(np.float64)
    contexts = np.array([(target + k) % V for k in (1, 2, 5, 9)])
    h = W_in[contexts].astype(np.float64).mean(axis=0)
    A, B = W_in.copy(), W_out.copy()
    nll = cbow_hs_update(A, B, contexts, target, tree, LR)
    assert nll == pytest.approx(hs_loss(h, W_out, codes, points), rel=1e-5)
    gh, gW = hs_grads(h, W_out, codes, points)
    expect_in = W_in.astype(np.float64)
    expect_in[contexts] -= LR * gh  # full gradient of the mean to each context row (word2vec)
    expect_out = W_out.astype(np.float64)
    expect_out[points] -= LR * gW
    np.testing.assert_allclose(A, expect_in, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B, expect_out, rtol=1e-5, atol=1e-6)


def cbow_ns_sequential(W_in, W_out, contexts, target, negatives, lr):
    """word2vec's CBOW/NS step, row by row: each output row is scored and updated in turn."""
    h = W_in[contexts].mean(axis=0)
    neu1e = np.zeros_like(h)
    nll = 0.0
    for k, t in enumerate([target, *negatives]):
        if k > 0 and t == target:
            continue
        label = 1.0 if k == 0 else 0.0
        f = float(h @ W_out[t])
        sig = 1.0 / (1.0 + np.exp(-f))
        nll -= np.log(sig if label else 1.0 - sig)
        g = (label - sig) * lr
        neu1e += g * W_out[t]
        W_out[t] += g * h
    for c in contexts:
        W_in[c] += neu1e
    return nll


@pytest.mark.parametrize("negatives", [[5, 6, 7, 8, 9], [5, 6, 5, 8, 6], [5, 3, 3, 7], [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 4],
                                       [3, 5, 6, 7, 8, 9, 10, 11]])
def test_cbow_ns_step_is_word2vec_order(negatives):
    # distinct targets take the grouped path (all scores first), repeated ones the row-by-row path;
    # both equal word2vec's sequential step (3 = the target, skipped as a negative)
    W_in, W_out = weights(11)
    contexts, target = [0, 1, 2, 1], 3
    A, B = W_in.copy(), W_out.copy()
    nll = cbow_ns_update(A, B, contexts, target, negatives, LR)
    C, D = W_in.astype(np.float64), W_out.astype(np.float64)
    expect = cbow_ns_sequential(C, D, contexts, target, negatives, LR)
    assert nll == pytest.approx(expect, rel=1e-5)
    np.testing.assert_allclose(A, C, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B, D, rtol=1e-5, atol=1e-6)
