"""Models: the book's contexts, gradient checks of every model, batched == layer-per-word forms."""

from __future__ import annotations

import numpy as np
import pytest

from wordvec.errors import CorpusError, TrainingError
from wordvec.models import (
    CBOW,
    NegativeSamplingLoss,
    SimpleCBOW,
    SimpleSkipGram,
    SkipGram,
    UnigramSampler,
    contexts_in_sentences,
    convert_one_hot,
    create_contexts_target,
)
from wordvec.nn import SparseGrad

from gradcheck import dense, numerical_grad

# the book's toy corpus "you say goodbye and i say hello ." with first-seen ids
TOY = np.array([0, 1, 2, 3, 4, 1, 5, 6])


def reseeded_forward(model, contexts, target, seed=3):
    """Forward with the sampler reset, so every call draws the same negatives."""
    samplers = {id(s): s for s in _samplers(model)}
    for s in samplers.values():
        s.rng = np.random.default_rng(seed)
    return model.forward(contexts, target)


def _samplers(model):
    if hasattr(model, "sampler"):
        yield model.sampler
    for layer in getattr(model, "loss_layers", []):
        if hasattr(layer, "sampler"):
            yield layer.sampler


def check_model(model, contexts, target, atol=1e-7):
    reseeded_forward(model, contexts, target)
    model.backward()
    analytic = [dense(g).copy() for g in model.grads]
    assert len(model.params) == len(analytic) == len({id(p) for p in model.params})
    for p, g in zip(model.params, analytic):
        num = numerical_grad(lambda: reseeded_forward(model, contexts, target), p)
        np.testing.assert_allclose(g, num, atol=atol, rtol=1e-5)
    return analytic


def test_create_contexts_target_book_example():
    contexts, target = create_contexts_target(TOY, window_size=1)
    assert target.tolist() == [1, 2, 3, 4, 1, 5]
    assert contexts.tolist() == [[0, 2], [1, 3], [2, 4], [3, 1], [4, 5], [1, 6]]
    contexts2, target2 = create_contexts_target(TOY, window_size=2)
    assert target2.tolist() == [2, 3, 4, 1]
    assert contexts2[0].tolist() == [0, 1, 3, 4]


def test_contexts_in_sentences_matches_brute_force():
    rng = np.random.default_rng(0)
    lengths = [3, 0, 7, 5, 1, 9]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    ids = rng.integers(0, 50, offsets[-1])
    w = 2
    exp_c, exp_t = [], []
    for s, e in zip(offsets[:-1], offsets[1:]):
        for i in range(s + w, e - w):
            exp_t.append(ids[i])
            exp_c.append([ids[i + k] for k in (-2, -1, 1, 2)])
    contexts, target = contexts_in_sentences(ids, offsets, w)
    assert target.tolist() == exp_t and contexts.tolist() == exp_c
    with pytest.raises(CorpusError, match="5 words"):
        contexts_in_sentences(ids[:3], np.array([0, 3]), 2)


def test_convert_one_hot():
    oh = convert_one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert oh.shape == (2, 2, 3)
    assert oh.argmax(axis=-1).tolist() == [[0, 2], [1, 1]] and oh.sum() == 4


@pytest.mark.parametrize("model_cls", [SimpleCBOW, SimpleSkipGram])
def test_simple_models_gradients(model_cls):
    contexts, target = create_contexts_target(TOY, window_size=1)
    model = model_cls(7, 3, window_size=1, seed=0, dtype=np.float64)
    for p in model.params:
        p[...] = np.random.default_rng(1).standard_normal(p.shape)
    check_model(model, contexts, target)
    # one-hot input (the book's form) gives the same loss as ids
    assert model.forward(convert_one_hot(contexts, 7), convert_one_hot(target, 7)) == pytest.approx(
        model.forward(contexts, target)
    )


def _ns_data(window=2, n=6, vocab=9, seed=0):
    rng = np.random.default_rng(seed)
    contexts = rng.integers(0, vocab, (n, 2 * window))
    contexts[0, :2] = contexts[0, 2]  # repeated ids within a window
    target = rng.integers(0, vocab, n)
    counts = rng.integers(1, 20, vocab)
    return contexts, target, counts


def _randomise(model, seed=5):
    rng = np.random.default_rng(seed)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * 0.5


@pytest.mark.parametrize("model_cls", [CBOW, SkipGram])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("sparse", [True, False])
def test_negative_sampling_models_gradients(model_cls, batched, sparse):
    contexts, target, counts = _ns_data()
    model = model_cls(9, 4, 2, counts, sample_size=3, seed=0, batched=batched, sparse=sparse, dtype=np.float64)
    _randomise(model)
    grads = check_model(model, contexts, target)
    assert isinstance(model.grads[0], SparseGrad) == sparse
    assert grads[0].shape == grads[1].shape == (9, 4)
    assert model.word_vecs is model.params[0]


class FixedSampler:
    """Deterministic negatives (target + 1 + j) mod V, the same whichever way they are requested."""

    def __init__(self, vocab_size, k):
        self.vocab_size, self.sample_size = vocab_size, k

    def get_negative_sample(self, target):
        target = np.asarray(target)
        return (target[..., None] + 1 + np.arange(self.sample_size)) % self.vocab_size


@pytest.mark.parametrize("model_cls", [CBOW, SkipGram])
def test_batched_and_layer_per_word_forms_agree(model_cls):
    contexts, target, counts = _ns_data(n=8)
    models = []
    for batched in (True, False):
        m = model_cls(9, 4, 2, counts, sample_size=3, seed=0, batched=batched, dtype=np.float64)
        _randomise(m)
        fixed = FixedSampler(9, 3)
        for layer in [getattr(m, "ns_loss", None)] + list(getattr(m, "loss_layers", [])):
            if layer is not None:
                layer.sampler = fixed
        models.append(m)
    losses = [m.forward(contexts, target) for m in models]
    for m in models:
        m.backward()
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    for ga, gb in zip(models[0].grads, models[1].grads):
        np.testing.assert_allclose(ga.to_dense(), gb.to_dense(), atol=1e-12)


def test_initial_negative_sampling_loss_is_book_value():
    """With ~zero weights every score is 0: loss = (1 + k) * ln 2 (the book's 4.16 for k = 5)."""
    contexts, target, counts = _ns_data(n=50)
    model = CBOW(9, 8, 2, counts, sample_size=5, seed=0)
    assert model.forward(contexts, target) == pytest.approx(6 * np.log(2), abs=1e-3)


def test_unigram_sampler_distribution_and_no_collisions():
    counts = np.array([50, 0, 3, 1000, 200, 7])
    sampler = UnigramSampler(counts, power=0.75, sample_size=4, seed=0)
    p = counts**0.75 / np.sum(counts**0.75)
    draws = sampler.draw(400_000)
    freq = np.bincount(draws, minlength=6) / draws.size
    np.testing.assert_allclose(freq, p, atol=3e-3)
    assert freq[1] == 0
    target = np.full((1000, 3), 3)
    neg = UnigramSampler(counts, 0.75, 4, seed=1).get_negative_sample(target)
    assert neg.shape == (1000, 3, 4)
    assert not np.any(neg == 3)  # word 3 has p ~ 0.8: many collisions were redrawn
    free = np.bincount(neg.ravel(), minlength=6) / neg.size
    np.testing.assert_allclose(free[[0, 2, 4, 5]], p[[0, 2, 4, 5]] / (1 - p[3]), atol=1e-2)
    again = UnigramSampler(counts, 0.75, 4, seed=1).get_negative_sample(target)
    assert np.array_equal(neg, again)


def test_unigram_sampler_rejects_degenerate_counts():
    with pytest.raises(TrainingError):
        UnigramSampler(np.array([5, 0, 0]))
    with pytest.raises(TrainingError):
        UnigramSampler(np.array([[1, 2]]))


def test_negative_sampling_loss_labels_target_first():
    counts = np.ones(6)
    W = np.zeros((6, 2))
    W[2] = [10.0, 0.0]  # target row scores high against h, everything else scores 0
    loss = NegativeSamplingLoss(W, counts, sample_size=2, seed=0)
    h = np.array([[1.0, 0.0]])
    value = loss.forward(h, np.array([2]))
    assert value == pytest.approx(np.log1p(np.exp(-10.0)) + 2 * np.log(2), rel=1e-9)
    assert not np.any(loss.negatives == 2)
