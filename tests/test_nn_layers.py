"""Layers against numerical gradients (float64 central differences) and against the math."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from wordvec.nn import (
    Affine,
    Embedding,
    EmbeddingDot,
    EmbeddingMean,
    MatMul,
    ReLU,
    Sigmoid,
    SigmoidWithLoss,
    Softmax,
    SoftmaxWithLoss,
    SparseGrad,
    log_softmax,
    sigmoid,
    sigmoid_cross_entropy,
    softmax,
    softmax_cross_entropy,
)
from wordvec.nn.sparse import merge_grads, scatter_add, sum_rows

from gradcheck import dense, numerical_grad

RNG = np.random.default_rng(42)


def check_layer(layer, inputs: list[np.ndarray], *, grad_inputs=(0,), atol=1e-7):
    """Check backward of `layer` for loss = sum(forward(*inputs) * R) against numerics."""
    out = layer.forward(*inputs)
    weights = RNG.standard_normal(out.shape)

    def loss() -> float:
        return float(np.sum(layer.forward(*inputs) * weights))

    layer.forward(*inputs)
    dx = layer.backward(weights.copy())
    analytic = [dense(g).copy() for g in layer.grads]
    for i in grad_inputs:
        np.testing.assert_allclose(dx, numerical_grad(loss, inputs[i]), atol=atol, rtol=1e-5)
    for p, g in zip(layer.params, analytic):
        np.testing.assert_allclose(g, numerical_grad(loss, p), atol=atol, rtol=1e-5)


def test_matmul_gradients():
    check_layer(MatMul(RNG.standard_normal((4, 3))), [RNG.standard_normal((5, 4))])


def test_matmul_with_leading_batch_axes():
    check_layer(MatMul(RNG.standard_normal((4, 3))), [RNG.standard_normal((2, 5, 4))])


def test_affine_gradients():
    check_layer(Affine(RNG.standard_normal((4, 3)), RNG.standard_normal(3)), [RNG.standard_normal((5, 4))])


@pytest.mark.parametrize("layer_cls", [Sigmoid, Softmax])
def test_activation_gradients(layer_cls):
    check_layer(layer_cls(), [RNG.standard_normal((5, 4)) * 3])


def test_relu_gradients_away_from_kink():
    x = RNG.standard_normal((6, 5))
    x[np.abs(x) < 0.1] = 0.5  # central differences are meaningless at 0
    check_layer(ReLU(), [x])
    assert np.array_equal(ReLU().forward(x), np.maximum(x, 0))


@pytest.mark.parametrize("sparse", [True, False])
def test_embedding_repeated_ids(sparse):
    W = RNG.standard_normal((7, 3))
    idx = np.array([[1, 3, 1], [3, 3, 6]])  # repeats within and across rows
    layer = Embedding(W, sparse=sparse)
    assert np.array_equal(layer.forward(idx), W[idx])
    dout = RNG.standard_normal((2, 3, 3))
    layer.backward(dout)
    expected = np.zeros_like(W)
    np.add.at(expected, idx, dout)  # oracle
    np.testing.assert_allclose(dense(layer.grads[0]), expected, atol=1e-12)
    assert isinstance(layer.grads[0], SparseGrad) == sparse
    check_layer(Embedding(W, sparse=sparse), [idx], grad_inputs=())


def test_embedding_equals_one_hot_matmul():
    W = RNG.standard_normal((6, 4))
    idx = np.array([0, 5, 2, 2])
    one_hot = np.eye(6)[idx]
    emb, mm = Embedding(W), MatMul(W)
    np.testing.assert_allclose(emb.forward(idx), mm.forward(one_hot))
    dout = RNG.standard_normal((4, 4))
    emb.backward(dout)
    mm.backward(dout)
    np.testing.assert_allclose(emb.grads[0].to_dense(), mm.grads[0], atol=1e-12)


@pytest.mark.parametrize("sparse", [True, False])
@pytest.mark.parametrize("idx", [np.array([2, 0, 2, 4]), np.array([[2, 0, 2], [1, 1, 4], [0, 3, 3], [2, 2, 2]])])
def test_embedding_dot_gradients(sparse, idx):
    W = RNG.standard_normal((5, 3))
    h = RNG.standard_normal((4, 3))
    check_layer(EmbeddingDot(W, sparse=sparse), [h, idx], grad_inputs=(0,))


def test_batched_embedding_dot_equals_separate_layers():
    W = RNG.standard_normal((6, 4))
    h = RNG.standard_normal((3, 4))
    idx = np.array([[0, 5, 5], [2, 2, 1], [4, 0, 3]])
    dout = RNG.standard_normal((3, 3))
    batched = EmbeddingDot(W)
    out = batched.forward(h, idx)
    dh = batched.backward(dout)
    singles = [EmbeddingDot(W) for _ in range(3)]
    outs = [layer.forward(h, idx[:, k]) for k, layer in enumerate(singles)]
    dhs = [layer.backward(dout[:, k]) for k, layer in enumerate(singles)]
    np.testing.assert_allclose(out, np.stack(outs, axis=1))
    np.testing.assert_allclose(dh, sum(dhs))
    np.testing.assert_allclose(
        batched.grads[0].to_dense(), merge_grads([layer.grads[0] for layer in singles]).to_dense(), atol=1e-12
    )


@pytest.mark.parametrize("sparse", [True, False])
def test_embedding_mean_gradients_and_equals_window_of_embeddings(sparse):
    W = RNG.standard_normal((6, 3))
    idx = np.array([[1, 1, 4, 0], [5, 2, 2, 2], [0, 3, 1, 1]])
    check_layer(EmbeddingMean(W, sparse=sparse), [idx], grad_inputs=())
    layer = EmbeddingMean(W, sparse=sparse)
    singles = [Embedding(W) for _ in range(4)]
    h = layer.forward(idx)
    np.testing.assert_allclose(h, sum(e.forward(idx[:, i]) for i, e in enumerate(singles)) / 4)
    dh = RNG.standard_normal(h.shape)
    layer.backward(dh)
    for e in singles:
        e.backward(dh / 4)
    np.testing.assert_allclose(dense(layer.grads[0]), merge_grads([e.grads[0] for e in singles]).to_dense(), atol=1e-12)


def test_softmax_with_loss_labels_and_one_hot():
    x = RNG.standard_normal((6, 5))
    t = RNG.integers(0, 5, 6)
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(p[np.arange(6), t]).mean())
    assert SoftmaxWithLoss().forward(x, np.eye(5)[t]) == pytest.approx(loss)
    dx = layer.backward()
    np.testing.assert_allclose(dx, numerical_grad(lambda: SoftmaxWithLoss().forward(x, t), x), atol=1e-8)


def test_sigmoid_with_loss_gradients_and_sum_over_columns():
    x = RNG.standard_normal((5, 3)) * 2
    t = (RNG.random((5, 3)) < 0.5).astype(float)
    layer = SigmoidWithLoss()
    loss = layer.forward(x, t)
    per_column = sum(SigmoidWithLoss().forward(x[:, k], t[:, k]) for k in range(3))
    assert loss == pytest.approx(per_column)
    dx = layer.backward()
    np.testing.assert_allclose(dx, numerical_grad(lambda: SigmoidWithLoss().forward(x, t), x), atol=1e-8)


def test_functions_are_stable_for_huge_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-800.0, -900.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(x)
        sm = softmax(x)
        lsm = log_softmax(x)
        ce = softmax_cross_entropy(x, np.array([1, 0]))
        bce = sigmoid_cross_entropy(x, np.ones_like(x))
        loss = SigmoidWithLoss().forward(np.array([1e4, -1e4], dtype=np.float32), np.array([1.0, 0.0]))
    assert np.all(np.isfinite(s)) and s[0, 0] == 1.0 and s[0, 1] == 0.0
    np.testing.assert_allclose(sm.sum(axis=1), 1.0)
    assert lsm[0, 1] == pytest.approx(-2000.0)
    assert ce == pytest.approx((2000.0 + 0.0) / 2)  # -log p: 2000 for row 0 (label 1), ~0 for row 1 (label 0)
    assert bce[0, 1] == pytest.approx(1000.0) and bce[0, 0] == 0.0
    assert loss == 0.0


def test_sum_rows_and_scatter_add_match_add_at():
    rows = RNG.integers(0, 20, 300)
    values = RNG.standard_normal((300, 4))
    unique, summed = sum_rows(rows, values)
    expected = np.zeros((20, 4))
    np.add.at(expected, rows, values)
    assert np.array_equal(unique, np.unique(rows))
    np.testing.assert_allclose(summed, expected[unique], atol=1e-12)
    target = RNG.standard_normal((20, 4))
    before = target.copy()
    scatter_add(target, rows, values)
    np.testing.assert_allclose(target, before + expected, atol=1e-12)


def test_sparse_grad_concat_coalesce_dense():
    a = SparseGrad(np.array([3, 1]), np.ones((2, 2)), (5, 2))
    b = SparseGrad(np.array([1, 4, 1]), np.full((3, 2), 2.0), (5, 2))
    c = SparseGrad.concat([a, b]).coalesce()
    assert c.rows.tolist() == [1, 3, 4]
    np.testing.assert_allclose(c.values, [[5, 5], [1, 1], [2, 2]])
    np.testing.assert_allclose(merge_grads([a, b.to_dense()]), c.to_dense())
    assert c.norm_squared() == pytest.approx(np.sum(c.to_dense() ** 2))


def test_outer_rows_grad_matches_dense_outer_products():
    from wordvec.nn.sparse import outer_rows_grad

    idx = RNG.integers(0, 9, (5, 7))
    weights = RNG.standard_normal((5, 7))
    h = RNG.standard_normal((5, 3))
    expected = np.zeros((9, 3))
    np.add.at(expected, idx, weights[:, :, None] * h[:, None, :])
    grad = outer_rows_grad(idx, weights, h, (9, 3))
    assert grad.coalesced and np.all(np.diff(grad.rows) > 0)
    np.testing.assert_allclose(grad.to_dense(), expected, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, st.integers(1, 60), elements=st.integers(0, 15)), st.integers(1, 4))
def test_sum_rows_property(rows, width):
    values = np.arange(len(rows) * width, dtype=np.float64).reshape(len(rows), width) % 7 - 3
    unique, summed = sum_rows(rows, values)
    expected = np.zeros((16, width))
    np.add.at(expected, rows, values)  # oracle
    assert np.array_equal(unique, np.unique(rows))
    np.testing.assert_allclose(summed, expected[unique])
