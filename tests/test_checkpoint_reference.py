"""Checkpoints of the reference engine: optimizer/loop state round-trips, a run stopped by a signal
mid-epoch resumes to bit-identical vectors, and a checkpoint of the other engine is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from wordvec import checkpoint
from wordvec.config import TrainConfig
from wordvec.corpus import load_corpus
from wordvec.errors import TrainingError, TrainingInterrupted, WordvecError
from wordvec.models import train as reference_train
from wordvec.models.engine import ReferenceTrainer
from wordvec.nn.optim import OPTIMIZERS, make_optimizer
from wordvec.nn.sparse import SparseGrad
from wordvec.vectors import KeyedVectors


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(200)]
    weights = 1.0 / np.arange(1, 201)
    lines = [" ".join(rng.choice(words, size=10, p=weights / weights.sum())) for _ in range(600)]
    path = tmp_path_factory.mktemp("ref") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def corpus(corpus_file):
    return load_corpus(corpus_file, min_count=1)


def ref_config(model="cbow", optimizer="adam", **extra) -> TrainConfig:
    options = dict(model=model, engine="reference", dim=12, window=2, negative=3, epochs=2, batch_size=50,
                   optimizer=optimizer, min_count=1, seed=11)
    options.update(extra)
    return TrainConfig(**options)


# --- optimizer state --------------------------------------------------------------------

def _json_round_trip(state: dict) -> dict:
    """What a checkpoint keeps: arrays as they are, everything else through JSON."""
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    scalars = json.loads(json.dumps({k: v for k, v in state.items() if not isinstance(v, np.ndarray)}))
    return {**scalars, **arrays}


def _grads(rng, shapes, sparse: bool):
    grads = []
    for shape in shapes:
        if sparse:
            rows = rng.integers(0, shape[0], size=7)  # duplicates included
            grads.append(SparseGrad(rows, rng.standard_normal((7, shape[1])).astype(np.float32), shape))
        else:
            grads.append(rng.standard_normal(shape).astype(np.float32))
    return grads


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("sparse", [True, False])
def test_optimizer_state_round_trips(name, sparse):
    rng = np.random.default_rng(0)
    shapes = [(30, 4), (30, 4)]
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    steps = [_grads(rng, shapes, sparse) for _ in range(12)]

    a = make_optimizer(name, 0.05)
    assert _json_round_trip(a.state_dict())["type"] == type(a).__name__  # before any step: no arrays
    pa = [p.copy() for p in params]
    for g in steps[:5]:
        a.update(pa, g)
    saved = _json_round_trip(a.state_dict())
    pb = [p.copy() for p in pa]
    for g in steps[5:]:
        a.update(pa, g)

    b = make_optimizer(name, 0.999)  # hyperparameters come from the state
    b.load_state_dict(saved)
    assert b.lr == 0.05
    for g in steps[5:]:
        b.update(pb, g)
    for x, y in zip(pa, pb):
        np.testing.assert_array_equal(x, y)
    if hasattr(a, "flush"):
        a.flush(pa)
        b.flush(pb)
        for x, y in zip(pa, pb):
            np.testing.assert_array_equal(x, y)
    # the state holds real moments: a fresh optimizer would continue differently
    if name != "sgd":
        assert any(k.endswith(".0") for k in saved)
        assert saved.get("iter", 1) > 0


def test_optimizer_state_of_another_class_is_refused():
    adam = make_optimizer("adam", 0.01)
    with pytest.raises(TrainingError, match="LazyAdam"):
        make_optimizer("sgd", 0.01).load_state_dict(adam.state_dict())


# --- the trainer --------------------------------------------------------------------------

def test_reference_trainer_state_dict_is_plain_data(corpus):
    trainer = ReferenceTrainer(corpus, ref_config(), progress=False)
    trainer.run(max_words=1_000)
    state = trainer.state_dict()
    assert 1_000 <= state["words_done"] < trainer.total_words // 2  # stopped mid-epoch 1, between batches
    arrays = {k for k, v in state.items() if isinstance(v, np.ndarray)}
    assert {"W_in", "W_out", "optimizer.m.0", "optimizer.v.1", "optimizer.last.0", "trainer.order"} <= arrays
    scalars = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
    json.dumps(scalars)  # JSON-safe: RNG states are dicts of ints
    assert scalars["optimizer"]["iter"] == state["trainer"]["batch"] == 20
    assert scalars["sampler_rng"]["bit_generator"] == "PCG64"


def test_state_round_trip_in_memory_matches_one_run(corpus):
    config = ref_config(model="skipgram", optimizer="momentum")
    whole = ReferenceTrainer(corpus, config, progress=False)
    whole.run()
    first = ReferenceTrainer(corpus, config, progress=False)
    first.run(max_words=2_345)
    second = ReferenceTrainer(corpus, config, progress=False)
    second.load_state_dict(_json_round_trip(first.state_dict()))
    assert second.run() is True and second.finished
    np.testing.assert_array_equal(second.W_in, whole.W_in)
    np.testing.assert_array_equal(second.W_out, whole.W_out)
    assert second.history == whole.history


def test_models_train_equals_the_trainer(corpus):
    config = ref_config()
    kv = reference_train(corpus, config, progress=False)
    trainer = ReferenceTrainer(corpus, config, progress=False)
    trainer.run()
    np.testing.assert_array_equal(kv.vectors, trainer.keyed_vectors().vectors)
    assert kv.metadata["loss_history"] == trainer.history and kv.metadata["engine"] == "reference"


# --- checkpoints --------------------------------------------------------------------------

@pytest.mark.parametrize("model, optimizer", [("cbow", "adam"), ("skipgram", "sgd")])
def test_sigint_mid_epoch_then_resume_is_bit_identical(corpus, corpus_file, tmp_path, model, optimizer):
    lr = 0.5 if optimizer == "sgd" else None
    config = ref_config(model, optimizer, lr=lr)
    uninterrupted = reference_train(corpus, config, progress=False)  # the plain entry point
    full = checkpoint.train_with_checkpoints(corpus, config, tmp_path / "full", progress=False)
    np.testing.assert_array_equal(full.vectors, uninterrupted.vectors)  # checkpointing changes nothing

    saves: list[Path] = []

    def interrupt_after_first_save(path: Path) -> None:
        saves.append(path)
        if len(saves) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # handled: the run stops after its current batch

    info = {"source": str(corpus_file), "book": False}
    with pytest.raises(TrainingInterrupted) as stopped:
        checkpoint.train_with_checkpoints(corpus, config, tmp_path / "run", every=1_234, progress=False,
                                          info=info, on_save=interrupt_after_first_save)
    assert "SIGINT" in str(stopped.value) and "wordvec train --resume" in str(stopped.value)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored
    arrays, meta = checkpoint.load_checkpoint(tmp_path / "run")
    pairs = ReferenceTrainer(corpus, config, progress=False).n_pairs
    assert meta["engine"] == "reference" and meta["config"]["engine"] == "reference"
    assert 0 < meta["state"]["words_done"] < pairs  # stopped inside epoch 1
    assert len(arrays["trainer.order"]) == pairs and meta["state"]["trainer"]["batch"] > 0
    assert json.loads((tmp_path / "run" / "history.json").read_text())["step_loss"]

    resumed, _ = checkpoint.resume(tmp_path / "run", progress=False)
    np.testing.assert_array_equal(resumed.vectors, uninterrupted.vectors)
    assert resumed.metadata["loss_history"] == uninterrupted.metadata["loss_history"]
    _, done = checkpoint.load_checkpoint(tmp_path / "run")
    assert done["state"]["words_done"] == 2 * pairs and done["state"]["epoch"] == 2


def test_wrong_engine_checkpoint_is_refused(corpus, corpus_file, tmp_path):
    from wordvec.fast import FastTrainer

    fast_config = TrainConfig(model="cbow", engine="fast", dim=12, epochs=1, threads=1, min_count=1, seed=2)
    fast = FastTrainer(corpus, fast_config, progress=False)
    fast.run(max_words=2_000)
    info = {"config": fast_config.to_dict(), "vocab": corpus.vocab.to_dict(),
            "corpus": checkpoint.corpus_fingerprint(corpus), "source": str(corpus_file), "book": False}
    checkpoint.save_checkpoint(tmp_path / "fast", fast, info)
    assert checkpoint.load_checkpoint(tmp_path / "fast")[1]["engine"] == "fast"
    with pytest.raises(WordvecError, match="fast-engine run"):
        checkpoint.resume(tmp_path / "fast", engine="reference", progress=False)

    reference = ReferenceTrainer(corpus, ref_config(), progress=False)
    with pytest.raises(TrainingError, match="'fast' engine"):  # a fast state into the reference trainer
        reference.load_state_dict(fast.state_dict())

    # a checkpoint whose recorded engine and configuration disagree
    reference.run(max_words=500)
    bad = {**info, "config": ref_config().to_dict()}
    checkpoint.save_checkpoint(tmp_path / "ref", reference, {**bad, "config": fast_config.to_dict()})
    assert checkpoint.load_checkpoint(tmp_path / "ref")[1]["engine"] == "reference"  # from the trainer
    with pytest.raises(WordvecError, match="written by the reference engine"):
        checkpoint.resume(tmp_path / "ref", progress=False)
    # and a trainer of one engine cannot run a config of the other
    with pytest.raises(WordvecError, match="reference-engine trainer"):
        checkpoint.train_with_checkpoints(corpus, fast_config, tmp_path / "x", trainer=reference, progress=False)


def test_resume_refuses_a_state_for_other_pairs(corpus, corpus_file, tmp_path):
    trainer = ReferenceTrainer(corpus, ref_config(), progress=False)
    trainer.run(max_words=500)
    other = ReferenceTrainer(corpus, ref_config(window=3), progress=False)
    with pytest.raises(TrainingError, match="different model or corpus"):
        other.load_state_dict(trainer.state_dict())


def test_cli_sigterm_and_resume_reference(corpus_file, tmp_path):
    """A real `wordvec train --engine reference` process stopped by SIGTERM exits cleanly (143)
    with a resume hint, and `--resume` finishes it to the vectors of a run never stopped."""
    big = tmp_path / "big.txt"
    big.write_text(corpus_file.read_text() * 8)
    ckpt, out, ref_out = tmp_path / "ckpt", tmp_path / "out.txt", tmp_path / "ref.txt"
    args = [str(big), "--engine", "reference", "--model", "cbow", "--epochs", "6", "--dim", "16", "--window", "2",
            "--min-count", "1", "--batch-size", "20", "-q"]
    cmd = [sys.executable, "-m", "wordvec", "train", *args, "--checkpoint", str(ckpt),
           "--checkpoint-every", "2000", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (ckpt / checkpoint.CHECKPOINT_FILE).exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "SIGTERM" in err and "resume with: wordvec train --resume" in err and "Traceback" not in err
    assert not out.exists()
    done = subprocess.run([sys.executable, "-m", "wordvec", "train", "--resume", str(ckpt), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    plain = subprocess.run([sys.executable, "-m", "wordvec", "train", *args, "--out", str(ref_out)],
                           capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr
    np.testing.assert_array_equal(KeyedVectors.load(out).vectors, KeyedVectors.load(ref_out).vectors)
