"""Trainer (shuffling, history, clipping, errors, plot) and the reference engine's train()."""

from __future__ import annotations

import math

import matplotlib  # noqa: F401  (in the `test` extra: Trainer.plot is tested, never skipped)
import numpy as np
import pytest

from wordvec.config import TrainConfig
from wordvec.corpus import book_corpus, load_corpus
from wordvec.errors import TrainingError
from wordvec.models import CBOW, SimpleCBOW, create_contexts_target, train
from wordvec.nn import SGD, Adam, LazyAdam, Trainer
from wordvec.vectors import KeyedVectors

TOY = np.array([0, 1, 2, 3, 4, 1, 5, 6])  # you say goodbye and i say hello .


def toy_fit(seed=0, **kwargs):
    contexts, target = create_contexts_target(TOY, 1)
    model = SimpleCBOW(7, 5, seed=0)
    trainer = Trainer(model, Adam(), seed=seed, progress=False)
    trainer.fit(contexts, target, **{"max_epoch": 300, "batch_size": 3, "eval_interval": 2, **kwargs})
    return trainer, model


def test_simple_cbow_learns_toy_corpus():
    trainer, model = toy_fit()
    assert len(trainer.epoch_losses) == 300 and len(trainer.loss_list) == 300  # 2 batches/epoch
    assert trainer.epoch_losses[-1] < 0.5 * trainer.epoch_losses[0]
    assert trainer.loss_list[0] == pytest.approx(math.log(7), abs=0.01)  # near-uniform start
    contexts, target = create_contexts_target(TOY, 1)
    model.forward(contexts, target)
    # "say" is the target whose contexts (you, goodbye) and (i, hello) are predicted well enough
    assert model.loss_layer.y.argmax(axis=1)[0] == 1


def test_seeded_shuffling_is_reproducible_and_seed_matters():
    a, _ = toy_fit(seed=1, max_epoch=5)
    b, _ = toy_fit(seed=1, max_epoch=5)
    c, _ = toy_fit(seed=2, max_epoch=5)
    assert a.loss_list == b.loss_list
    assert a.loss_list != c.loss_list


def test_history_words_and_callbacks():
    seen = []
    contexts, target = create_contexts_target(TOY, 1)
    trainer = Trainer(SimpleCBOW(7, 5, seed=0), SGD(lr=0.5), progress=False)
    trainer.fit(contexts, target, max_epoch=3, batch_size=4, eval_interval=1,
                callbacks=[lambda epoch, info: seen.append((epoch, info))])
    assert [e for e, _ in seen] == [0, 1, 2]  # counted from 0, as the fast engine
    assert [info["loss"] for _, info in seen] == trainer.epoch_losses
    assert all(info["pairs"] == 6 and info["words_per_sec"] > 0 for _, info in seen)
    h = trainer.history
    assert h["step_words"] == [4, 6, 10, 12, 16, 18]  # 6 pairs: batches of 4 and 2
    assert len(h["step_loss"]) == 6 and h["eval_interval"] == 1


def test_gradient_clipping_limits_the_step():
    contexts, target = create_contexts_target(TOY, 1)
    model = SimpleCBOW(7, 5, seed=0)
    before = [p.copy() for p in model.params]
    Trainer(model, SGD(lr=1.0), progress=False).fit(contexts, target, max_epoch=1, batch_size=6, max_grad=1e-3)
    step = math.sqrt(sum(np.sum((p - b) ** 2) for p, b in zip(model.params, before)))
    assert 0 < step <= 1e-3 * 1.001


def test_divergence_raises_training_error():
    contexts, target = create_contexts_target(TOY, 1)
    model = SimpleCBOW(7, 5, seed=0)
    model.params[0][...] = np.nan
    with pytest.raises(TrainingError, match="loss became nan"):
        Trainer(model, SGD(), progress=False).fit(contexts, target, max_epoch=1, batch_size=3)


def test_plot_writes_png(tmp_path):
    trainer, _ = toy_fit(max_epoch=20)
    path = tmp_path / "loss.png"
    trainer.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(TrainingError):
        Trainer(SimpleCBOW(7, 5), SGD(), progress=False).plot(tmp_path / "x.png")


def test_cbow_with_lazy_adam_fits_a_repeating_corpus():
    """Negative-sampling CBOW separates the true centre word from the others on a tiny corpus."""
    ids = np.tile(np.arange(10), 60)
    contexts, target = create_contexts_target(ids, 2)
    model = CBOW(10, 16, 2, np.bincount(ids), sample_size=3, seed=0)
    trainer = Trainer(model, LazyAdam(lr=0.05), seed=0, progress=False)
    trainer.fit(contexts, target, max_epoch=15, batch_size=20, eval_interval=10)
    assert trainer.epoch_losses[-1] < 0.3 * trainer.epoch_losses[0]
    h = model.word_vecs[contexts[:50]].mean(axis=1)
    scores = h @ model.params[1].T
    assert np.mean(scores.argmax(axis=1) == target[:50]) > 0.9


def test_run_in_pieces_and_restored_state_equal_one_fit():
    """run(max_words) stops between batches; a new Trainer loaded from state_dict() continues it
    (shuffle generator, permutation position, partial loss sums) to exactly fit()'s result."""
    contexts, target = create_contexts_target(TOY, 1)
    whole, model = toy_fit(seed=4, max_epoch=7)

    part_model = SimpleCBOW(7, 5, seed=0)
    part = Trainer(part_model, Adam(), seed=4, progress=False)
    kwargs = dict(epochs=7, batch_size=3, eval_interval=2)
    assert part.run(contexts, target, max_words=5, **kwargs) is False
    assert part.words_done == 6 and part.current_epoch == 1 and part.order is None  # epoch 1's 2 batches
    assert part.run(contexts, target, max_words=1, **kwargs) is False
    assert part.batch == 1 and part.order is not None  # inside epoch 2
    state = part.state_dict()
    optimizer_state = part.optimizer.state_dict()

    next_model = SimpleCBOW(7, 5, seed=99)
    for p, q in zip(next_model.params, part_model.params):
        p[...] = q
    resumed = Trainer(next_model, Adam(), seed=123, progress=False)
    resumed.optimizer.load_state_dict(optimizer_state)
    resumed.load_state_dict(state)
    assert resumed.run(contexts, target, **kwargs) is True
    for p, q in zip(next_model.params, model.params):
        np.testing.assert_array_equal(p, q)
    assert resumed.history == whole.history


def test_request_stop_from_a_callback_stops_at_the_epoch_end():
    contexts, target = create_contexts_target(TOY, 1)
    trainer = Trainer(SimpleCBOW(7, 5, seed=0), SGD(lr=0.5), progress=False)
    seen = []

    def stop_once(epoch, info):
        seen.append(epoch)
        if epoch == 0:
            trainer.request_stop()

    assert trainer.run(contexts, target, epochs=3, batch_size=2, callbacks=[stop_once]) is False
    assert seen == [0] and trainer.current_epoch == 1
    assert trainer.run(contexts, target, epochs=3, batch_size=2, callbacks=[stop_once]) is True
    assert seen == [0, 1, 2] and trainer.words_done == 18


# --- the engine -------------------------------------------------------------------------

def _tiny_corpus():
    sentences = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "rug", "today"]] * 30
    return load_corpus(sentences, min_count=1)


@pytest.mark.parametrize("model", ["cbow", "skipgram"])
def test_engine_returns_keyed_vectors(model):
    corpus = _tiny_corpus()
    epochs_seen = []
    config = TrainConfig(model=model, engine="reference", dim=8, window=2, negative=2, epochs=3, batch_size=16, seed=3)
    kv = train(corpus, config, progress=False, callbacks=[lambda e, info: epochs_seen.append((e, info["lr"]))])
    assert isinstance(kv, KeyedVectors)
    assert kv.vectors.dtype == np.float32 and kv.vectors.shape == (len(corpus.vocab), 8)
    assert list(kv.index_to_key) == list(corpus.vocab.index_to_key)
    assert np.array_equal(kv.counts, corpus.vocab.counts)
    meta = kv.metadata
    assert meta["engine"] == "reference" and meta["config"]["model"] == model
    assert len(meta["loss_history"]["epoch_loss"]) == 3 and epochs_seen == [(0, 0.001), (1, 0.001), (2, 0.001)]
    # windows stay inside sentences: 2 + 3 centre words per sentence pair
    assert meta["training_pairs"] == 30 * (2 + 3)
    again = train(corpus, config, progress=False)
    assert np.array_equal(again.vectors, kv.vectors)  # seeded: reproducible


def test_config_rejects_a_loss_the_engine_does_not_train():
    with pytest.raises(ValueError, match="reference engine trains loss ns, not 'hs'"):
        TrainConfig(model="cbow", engine="reference", loss="hs")


def test_engine_cbow_on_ptb_finds_neighbours(ptb_train):
    """One epoch of the book's CBOW on PTB (about 10 s): the loss falls and neighbours make sense."""
    corpus = book_corpus(str(ptb_train))
    config = TrainConfig(model="cbow", engine="reference", dim=100, window=5, negative=5, epochs=1, batch_size=100)
    kv = train(corpus, config, progress=False)
    steps = kv.metadata["loss_history"]["step_loss"]
    assert steps[0] == pytest.approx(6 * math.log(2), abs=0.05)
    assert np.mean(steps[-25:]) < 2.4 < np.mean(steps[:25])
    you = [w for w, _ in kv.most_similar("you", topn=5)]
    year = [w for w, _ in kv.most_similar("year", topn=5)]
    assert {"we", "i", "they"} & set(you)
    assert {"month", "week"} & set(year)
