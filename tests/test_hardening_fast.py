"""Fast engine safety: a NaN stops training within one chunk, in every model x loss, and the public
single-step functions refuse bad ids instead of writing outside the matrices."""

from __future__ import annotations

import numpy as np
import pytest

from wordvec import _jit
from wordvec.config import TrainConfig
from wordvec.corpus import EncodedCorpus, Vocabulary
from wordvec.errors import TrainingError
from wordvec.fast import FastTrainer, HuffmanTree, cbow_hs_update, cbow_ns_update, sg_hs_update, sg_ns_update
from wordvec.fast import kernels

MODELS_LOSSES = [("skipgram", "ns"), ("cbow", "ns"), ("skipgram", "hs"), ("cbow", "hs"), ("skipgram", "softmax"),
                 ("cbow", "softmax")]


def corpus(V: int = 40, n: int = 20000, seed: int = 0) -> EncodedCorpus:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, n).astype(np.int32)
    offsets = np.arange(0, n + 1, 20).astype(np.int64)
    return EncodedCorpus(ids, offsets, Vocabulary([f"w{i}" for i in range(V)], np.bincount(ids, minlength=V)))


def test_kernels_do_not_assume_finite_math():
    assert "nnan" not in _jit.FASTMATH and "ninf" not in _jit.FASTMATH and "fast" not in _jit.FASTMATH
    for chunk, group in kernels.MODELS.values():
        for fn in (chunk, group):
            assert fn.targetoptions["fastmath"] == _jit.FASTMATH, fn
            assert fn.targetoptions["nogil"] is True
        # the tests' single step is the training loop's own step, compiled with the same options
        assert group.targetoptions == chunk.targetoptions


@pytest.mark.parametrize("model,loss", MODELS_LOSSES)
@pytest.mark.parametrize("where", ["W_in", "W_out"])
def test_a_nan_row_stops_training_in_the_first_chunk(model, loss, where):
    config = TrainConfig(model=model, loss=loss, dim=8, window=3, negative=3, epochs=3, threads=1,
                         min_count=1, sample=0.0, seed=2)
    trainer = FastTrainer(corpus(), config, progress=False, chunk_words=500)
    trainer.run(max_words=2000)  # a healthy start, so output rows are nonzero too
    done = trainer.words_done
    matrix = getattr(trainer, where)
    matrix[0] = np.nan  # one row only (hs: the root, on every path)
    with pytest.raises(TrainingError, match="diverged"):
        trainer.run()
    assert trainer.words_done == done  # the chunk that met the NaN is the one that stopped the run


def test_a_diverging_learning_rate_stops_within_one_chunk():
    config = TrainConfig(model="skipgram", loss="ns", dim=8, window=3, negative=3, epochs=2, threads=2,
                         min_count=1, sample=0.0, seed=2, lr=1e12)
    trainer = FastTrainer(corpus(), config, progress=False, chunk_words=500)
    with pytest.raises(TrainingError, match="diverged"):
        trainer.run()
    assert trainer.words_done < trainer.total_words // 2  # long before the epoch-end check


def weights(V=10, dim=4, rows_out=None):
    rng = np.random.default_rng(1)
    return (rng.random((V, dim), dtype=np.float32) - 0.5,
            (rng.random((rows_out or V, dim), dtype=np.float32) - 0.5))


@pytest.mark.parametrize("contexts,target,negatives", [
    ([1, 10], 3, [4]), ([-1], 3, [4]), ([1], 10, [4]), ([1], -2, [4]), ([1], 3, [10]), ([1], 3, [-5]),
    ([1], 3, [2**40]),
])
@pytest.mark.parametrize("fn", [sg_ns_update, cbow_ns_update])
def test_ns_steps_refuse_out_of_range_ids(fn, contexts, target, negatives):
    W_in, W_out = weights()
    before = (W_in.copy(), W_out.copy())
    with pytest.raises(IndexError):
        fn(W_in, W_out, contexts, target, negatives, 0.1)
    np.testing.assert_array_equal(W_in, before[0])
    np.testing.assert_array_equal(W_out, before[1])


@pytest.mark.parametrize("fn", [sg_hs_update, cbow_hs_update])
def test_hs_steps_refuse_bad_ids_and_small_output_matrices(fn):
    tree = HuffmanTree.from_counts(np.arange(1, 11))
    W_in, W_out = weights(rows_out=9)
    assert fn(W_in, W_out, [1, 2], 3, tree, 0.1) > 0
    with pytest.raises(IndexError):
        fn(W_in, W_out, [1, 12], 3, tree, 0.1)
    with pytest.raises(IndexError):
        fn(W_in, W_out, [1], 10, tree, 0.1)
    with pytest.raises(IndexError):
        fn(W_in, W_out[:3].copy(), [1], 3, tree, 0.1)
    with pytest.raises(TypeError):
        fn(W_in, W_out, [1], 3, "not a tree", 0.1)


@pytest.mark.parametrize("bad", [
    dict(W_in=np.zeros((10, 4))),  # float64
    dict(W_in=np.zeros((10, 4), np.float32)[:, ::2]),  # not contiguous
    dict(W_out=np.zeros((10, 5), np.float32)),  # other width
    dict(contexts=[1.5]), dict(lr=float("nan")), dict(lr=-1.0), dict(lr=float("inf")),
])
def test_steps_refuse_bad_arrays_and_rates(bad):
    W_in, W_out = weights()
    args = dict(W_in=W_in, W_out=W_out, contexts=[1, 2], target=3, negatives=[4, 5], lr=0.1)
    args.update(bad)
    with pytest.raises((TypeError, ValueError)):
        sg_ns_update(args["W_in"], args["W_out"], args["contexts"], args["target"], args["negatives"], args["lr"])


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_an_empty_huffman_path_changes_nothing(model):
    # one word: its path in the tree is empty, so no output row and no gradient (the gradient
    # buffer must not be added unfilled)
    from wordvec.fast import InputRows, update

    tree = HuffmanTree.from_counts(np.array([5]))
    rng = np.random.default_rng(3)
    W_in = rng.random((4, 6), dtype=np.float32)
    W_out = rng.random((1, 6), dtype=np.float32)
    before = (W_in.copy(), W_out.copy())
    table = InputRows.from_lists([[0, 1, 2]], 4)  # several rows: the buffered path
    assert update(W_in, W_out, [0, 0], 0, 0.1, model=model, loss="hs", tree=tree, input_rows=table) == 0.0
    np.testing.assert_array_equal(W_in, before[0])
    np.testing.assert_array_equal(W_out, before[1])


def test_a_one_word_vocabulary_trains_with_every_loss():
    ids = np.zeros(400, np.int32)
    one = EncodedCorpus(ids, np.arange(0, 401, 8).astype(np.int64), Vocabulary(["a"], [400]))
    for model, loss in MODELS_LOSSES:
        config = TrainConfig(model=model, loss=loss, dim=4, window=2, negative=2, epochs=1, threads=1,
                             min_count=1, sample=0.0, seed=1)
        trainer = FastTrainer(one, config, progress=False)
        start = trainer.W_in.copy()
        trainer.run()
        assert np.isfinite(trainer.W_in).all()
        if loss == "hs":
            np.testing.assert_array_equal(trainer.W_in, start)  # nothing to learn from an empty path


@pytest.mark.parametrize("offsets, rows, n_rows, error", [
    (np.array([0, 1], np.int32), np.array([0], np.int32), 3, TypeError),  # offsets not int64
    (np.array([0, 1], np.int64), np.array([0], np.int64), 3, TypeError),
    (np.array([0, 1], np.int64), np.array([10**6], np.int32), 3, ValueError),
    (np.array([0, 1], np.int64), np.array([-5], np.int32), 3, ValueError),
    (np.array([0, 5], np.int64), np.array([0], np.int32), 3, ValueError),
    (np.array([0, 1, 1], np.int64), np.array([0], np.int32), 3, ValueError),  # a word with no rows
    (np.array([[0, 1]], np.int64), np.array([0], np.int32), 3, TypeError),
    (np.array([0, 1], np.int64), np.array([0], np.int32), 0, ValueError),
])
def test_input_row_tables_are_checked_when_made(offsets, rows, n_rows, error):
    from wordvec.fast import InputRows

    with pytest.raises(error):
        InputRows(offsets, rows, n_rows)


def test_a_valid_table_is_frozen():
    from wordvec.fast import InputRows

    table = InputRows.from_lists([[0, 1], [2]], 3)
    with pytest.raises(ValueError):
        table.rows[0] = 7


@pytest.mark.parametrize("lr", [1e39, 1e-50, True])
def test_steps_refuse_rates_that_are_not_positive_finite_float32(lr):
    W_in, W_out = weights()
    with pytest.raises(ValueError):
        sg_ns_update(W_in, W_out, [1, 2], 3, [4], lr)


def test_steps_refuse_one_matrix_as_both_weights():
    W_in, _ = weights()
    with pytest.raises(ValueError, match="separate"):
        sg_ns_update(W_in, W_in, [1, 2], 3, [4], 0.1)
