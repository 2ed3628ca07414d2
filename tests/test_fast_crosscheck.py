"""One step of every fast model x loss against an oracle, from the same weights and the same rows:
negative sampling against the reference engine's layers (the book's Embedding, EmbeddingDot,
SigmoidWithLoss and negative-sampling loss), full softmax against the book's SimpleCBOW and
SimpleSkipGram, and every loss, with one input row per word and with several (the subword model's
table), against a float64 NumPy step whose gradients are checked by finite differences.

Direction: the fast kernels follow word2vec, where an input row (`contexts`) predicts an output row
(`target`). For skip-gram that is the book's SkipGram with the roles named the other way round
(book "target" = our input word, book "context" = our output word); the book's batch of pairs
sharing one set of negatives is exactly our group of context words with shared negatives (the
kernels use one group per half window); the whole group is one gradient step from the weights
at its start. CBOW follows word2vec's
convention of passing the full gradient of the context mean to every context row, i.e. n_context
times the reference layers' input gradient; the output update and the loss are identical.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from gradcheck import FixedNegatives, numerical_grad
from wordvec.fast import HuffmanTree, InputRows, cbow_hs_update, cbow_ns_update, sg_hs_update, sg_ns_update, update
from wordvec.models import simple, word2vec

V, DIM, LR = 30, 12, 0.05


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


def test_skipgram_hs_group_is_one_step_from_the_starting_weights(tree):
    # several contexts = one batch: every pair is scored against the group's starting rows and the
    # gradients are summed (the reference layers' batch step, Ji et al.'s shared-target group)
    W_in, W_out = weights(11)
    W_out = W_out[: V - 1].copy()
    A, B = W_in.copy(), W_out.copy()
    sg_hs_update(A, B, [2, 8, 9], 4, tree, LR)
    E, F = W_in.copy(), W_out.copy()
    for c in (2, 8, 9):  # each pair alone from the starting weights, changes summed
        G, H = W_in.copy(), W_out.copy()
        sg_hs_update(G, H, [c], 4, tree, LR)
        E += G - W_in
        F += H - W_out
    np.testing.assert_allclose(A, E, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(B, F, rtol=1e-5, atol=1e-7)
    C, D = W_in.copy(), W_out.copy()
    for c in (2, 8, 9):  # one after another (word2vec's C order) is a different step
        sg_hs_update(C, D, [c], 4, tree, LR)
    assert np.abs(D - B).max() > 1e-5


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


@pytest.mark.parametrize("negatives", [[5, 6, 7, 8, 9], [5, 6, 5, 8, 6], [5, 3, 3, 7], [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 4],
                                       [3, 5, 6, 7, 8, 9, 10, 11]])
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_repeated_negatives_add_their_gradients(model, negatives):
    # a negative drawn twice is two terms of the loss: its row gets both gradients (3 = the target,
    # skipped as a negative, as word2vec does)
    W_in, W_out = weights(11)
    contexts, target = [0, 1, 2, 1], 3
    A, B = W_in.copy(), W_out.copy()
    nll = update(A, B, contexts, target, LR, model=model, loss="ns", negatives=negatives)
    rows = [[w] for w in range(V)]
    expect_nll, C, D = numpy_step(W_in, W_out, rows, contexts, target, model, "ns", negatives=negatives)
    assert nll == pytest.approx(expect_nll, rel=1e-5)
    np.testing.assert_allclose(A, C, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B, D, rtol=1e-5, atol=1e-6)


# ---- every model x loss, one or several input rows per word, against a float64 NumPy step ----


def ns_rows(target, negatives):
    T = np.array([target, *negatives])
    labels = np.array([1.0] + [0.0] * len(negatives))
    keep = np.ones(len(T), bool)
    keep[1:] = T[1:] != target
    return T[keep], labels[keep]


def member_loss(h, W_out, loss, target, negatives=None, tree=None):
    """NLL of one hidden vector (float64) and its gradients: (nll, dL/dh, [(row, dL/drow)])."""
    if loss == "softmax":
        f = W_out @ h
        p = np.exp(f - f.max())
        p /= p.sum()
        nll = -np.log(p[target])
        err = p.copy()
        err[target] -= 1.0
        return nll, err @ W_out, list(zip(range(len(W_out)), err[:, None] * h[None, :]))
    if loss == "ns":
        T, labels = ns_rows(target, negatives)
    else:
        codes, T = tree.path(target)
        labels = 1.0 - codes.astype(np.float64)
    f = W_out[T] @ h
    sign = 2.0 * labels - 1.0
    nll = float(np.sum(np.logaddexp(0.0, -sign * f)))
    err = 1.0 / (1.0 + np.exp(-f)) - labels
    return nll, err @ W_out[T], list(zip(T, err[:, None] * h[None, :]))


def numpy_step(W_in, W_out, rows, contexts, target, model, loss, **loss_args):
    """The fast step in float64: each member's hidden vector is the mean of its words' rows
    (`rows[w]` lists word w's input rows); all members see the starting weights; the gradient of
    the hidden vector goes, undivided, to every one of its rows (word2vec's CBOW, fastText)."""
    W_in, W_out = W_in.astype(np.float64), W_out.astype(np.float64)
    new_in, new_out = W_in.copy(), W_out.copy()
    members = [[c] for c in contexts] if model == "skipgram" else [list(contexts)]
    total = 0.0
    for words in members:
        member_rows = [r for w in words for r in rows[w]]
        if not member_rows:
            continue
        h = W_in[member_rows].mean(axis=0)
        nll, dh, douts = member_loss(h, W_out, loss, target, **loss_args)
        total += nll
        for r in member_rows:
            new_in[r] -= LR * dh
        for row, g in douts:
            new_out[row] -= LR * g
    return total, new_in, new_out


@pytest.mark.parametrize("loss", ["ns", "hs", "softmax"])
def test_numpy_step_gradients_match_finite_differences(loss, tree):
    rng = np.random.default_rng(5)
    W_out = rng.standard_normal((V, DIM)) * 0.3
    h = rng.standard_normal(DIM) * 0.3
    args = {"ns": dict(negatives=[5, 9, 2]), "hs": dict(tree=tree), "softmax": {}}[loss]
    _, dh, douts = member_loss(h, W_out, loss, 7, **args)
    np.testing.assert_allclose(numerical_grad(lambda: member_loss(h, W_out, loss, 7, **args)[0], h), dh,
                               rtol=1e-5, atol=1e-8)
    dW = np.zeros_like(W_out)
    for row, g in douts:
        dW[row] += g
    np.testing.assert_allclose(numerical_grad(lambda: member_loss(h, W_out, loss, 7, **args)[0], W_out), dW,
                               rtol=1e-5, atol=1e-8)


SUBWORD_ROWS = [[w, V + (w % 7), V + 7 + (w * 3) % 5] for w in range(V)]  # word row + 2 shared "n-gram" rows


@pytest.mark.parametrize("rows", ["words", "subwords"])
@pytest.mark.parametrize("loss", ["ns", "hs", "softmax"])
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_every_model_and_loss_equals_the_numpy_step(model, loss, rows, tree):
    rng = np.random.default_rng(zlib.crc32(f"{model}/{loss}/{rows}".encode()))  # the same weights every run
    lists = [[w] for w in range(V)] if rows == "words" else SUBWORD_ROWS
    n_in = V if rows == "words" else V + 12
    W_in = (rng.standard_normal((n_in, DIM)) * 0.3).astype(np.float32)
    W_out = (rng.standard_normal((V - 1 if loss == "hs" else V, DIM)) * 0.3).astype(np.float32)
    contexts, target = [4, 11, 20, 27], 16
    args = {"ns": dict(negatives=[1, 5, 9, 2, 30 - 1]), "hs": dict(tree=tree), "softmax": {}}[loss]
    A, B = W_in.copy(), W_out.copy()
    nll = update(A, B, contexts, target, LR, model=model, loss=loss,
                 input_rows=InputRows.from_lists(lists, n_in), **args)
    expect_nll, C, D = numpy_step(W_in, W_out, lists, contexts, target, model, loss, **args)
    assert nll == pytest.approx(expect_nll, rel=1e-5)
    np.testing.assert_allclose(A, C, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(B, D, rtol=1e-4, atol=1e-6)
    assert not np.allclose(A, W_in) and not np.allclose(B, W_out)


# ---- full softmax against the book's SimpleCBOW / SimpleSkipGram ----


@pytest.mark.parametrize("seed", range(3))
def test_cbow_softmax_step_equals_simple_cbow(seed):
    rng = np.random.default_rng(300 + seed)
    W_in, W_out = weights(seed)
    contexts, target = rng.permutation(V)[:4], int(rng.integers(V))
    ref = simple.SimpleCBOW(V, DIM, window_size=2)
    ref.params[0][...] = W_in
    ref.params[1][...] = W_out.T
    loss = ref.forward(contexts[None, :], np.array([target]))
    ref.backward()
    A, B = W_in.copy(), W_out.copy()
    nll = update(A, B, contexts, target, LR, model="cbow", loss="softmax")
    assert nll == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(B, W_out - LR * ref.grads[1].T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(A, W_in - LR * len(contexts) * ref.grads[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_skipgram_softmax_step_equals_simple_skipgram(seed):
    rng = np.random.default_rng(400 + seed)
    W_in, W_out = weights(seed)
    contexts, target = rng.permutation(V)[:3], int(rng.integers(V))
    # the book's skip-gram: its centre word is our input (context) word, and each of its 2 context
    # slots is scored against our target: both slots hold it, so its loss and gradients are doubled
    ref = simple.SimpleSkipGram(V, DIM, window_size=1)
    ref.params[0][...] = W_in
    ref.params[1][...] = W_out.T
    loss = ref.forward(np.full((len(contexts), 2), target), contexts)
    ref.backward()
    m = len(contexts)  # the book averages over the batch; we sum the pairs
    A, B = W_in.copy(), W_out.copy()
    nll = update(A, B, contexts, target, LR, model="skipgram", loss="softmax")
    assert nll == pytest.approx(loss * m / 2, rel=1e-5)
    np.testing.assert_allclose(A, W_in - LR * m / 2 * ref.grads[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(B, W_out - LR * m / 2 * ref.grads[1].T, rtol=1e-5, atol=1e-6)


def test_input_rows_compose_the_mean_of_each_words_rows():
    rng = np.random.default_rng(9)
    W = rng.standard_normal((V + 12, DIM)).astype(np.float32)
    table = InputRows.from_lists(SUBWORD_ROWS, V + 12)
    composed = table.compose(W)
    for w in (0, 5, V - 1):
        np.testing.assert_allclose(composed[w], W[SUBWORD_ROWS[w]].mean(axis=0), rtol=1e-5, atol=1e-7)
    words = InputRows.words(V)
    assert words.is_identity and not table.is_identity
    np.testing.assert_array_equal(words.compose(W), W[:V])
    with pytest.raises(ValueError):
        InputRows.from_lists([[0], []], 3)
    with pytest.raises(ValueError):
        InputRows.from_lists([[0], [3]], 3)
