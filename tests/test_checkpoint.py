"""Checkpoints: a run stopped by a signal mid-epoch resumes to the same vectors as one never stopped."""

from __future__ import annotations

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
from wordvec.vectors import KeyedVectors


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(300)]
    weights = 1.0 / np.arange(1, 301)
    lines = [" ".join(rng.choice(words, size=12, p=weights / weights.sum())) for _ in range(4000)]
    path = tmp_path_factory.mktemp("ck") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def config(**extra) -> TrainConfig:
    return TrainConfig(model="skipgram", dim=16, epochs=2, threads=1, min_count=1, seed=7, **extra)


def test_sigint_mid_epoch_then_resume_is_bit_identical(corpus_file, tmp_path):
    corpus = load_corpus(corpus_file, min_count=1)
    uninterrupted = checkpoint.train_with_checkpoints(corpus, config(), tmp_path / "full", progress=False)

    saves: list[Path] = []

    def interrupt_after_first_save(path: Path) -> None:
        saves.append(path)
        if len(saves) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # handled: the run stops after its current chunk

    info = {"source": str(corpus_file), "book": False}
    with pytest.raises(TrainingInterrupted) as stopped:
        checkpoint.train_with_checkpoints(corpus, config(), tmp_path / "run", every=10_000, progress=False,
                                          info=info, on_save=interrupt_after_first_save)
    assert "wordvec train --resume" in str(stopped.value)
    _, meta = checkpoint.load_checkpoint(tmp_path / "run")
    assert 0 < meta["state"]["words_done"] < len(corpus.ids)  # stopped mid-epoch 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored

    resumed, _ = checkpoint.resume(tmp_path / "run", progress=False)
    np.testing.assert_array_equal(resumed.vectors, uninterrupted.vectors)
    assert (tmp_path / "run" / "history.json").is_file()


def test_resume_refuses_a_changed_corpus(corpus_file, tmp_path):
    copy = tmp_path / "copy.txt"
    copy.write_text(corpus_file.read_text())
    corpus = load_corpus(copy, min_count=1)
    trainer_dir = tmp_path / "run"
    from wordvec.fast import FastTrainer

    trainer = FastTrainer(corpus, config(), progress=False)
    trainer.run(max_words=5_000)
    checkpoint.save_checkpoint(trainer_dir, trainer, {"config": config().to_dict(), "vocab": corpus.vocab.to_dict(),
                                                      "corpus": checkpoint.corpus_fingerprint(corpus),
                                                      "source": str(copy), "book": False})
    copy.write_text(copy.read_text().replace("w1 ", "w2 ", 50))
    with pytest.raises(WordvecError, match="changed"):
        checkpoint.resume(trainer_dir, progress=False)


def test_non_finite_weights_are_never_saved(corpus_file, tmp_path):
    corpus = load_corpus(corpus_file, min_count=1)
    from wordvec.fast import FastTrainer

    trainer = FastTrainer(corpus, config(), progress=False)
    info = {"config": config().to_dict()}
    good = checkpoint.save_checkpoint(tmp_path, trainer, info)
    before = good.read_bytes()
    trainer.W_in[3, 2] = np.nan
    with pytest.raises(TrainingError, match="last good checkpoint"):
        checkpoint.save_checkpoint(tmp_path, trainer, info)
    assert good.read_bytes() == before


def test_garbage_checkpoint_gives_a_clear_error(tmp_path):
    (tmp_path / checkpoint.CHECKPOINT_FILE).write_bytes(b"not a zip file")
    with pytest.raises(WordvecError, match="not a readable wordvec checkpoint"):
        checkpoint.load_checkpoint(tmp_path)
    with pytest.raises(WordvecError, match="no checkpoint"):
        checkpoint.load_checkpoint(tmp_path / "missing")


def test_cli_sigint_and_resume(corpus_file, tmp_path):
    """A real `wordvec train` process killed with SIGINT exits cleanly and `--resume` finishes it."""
    big = tmp_path / "big.txt"
    big.write_text(corpus_file.read_text() * 5)
    ckpt, out = tmp_path / "ckpt", tmp_path / "out.txt"
    cmd = [sys.executable, "-m", "wordvec", "train", str(big), "--threads", "1", "--epochs", "8", "--dim", "32",
           "--min-count", "1", "--checkpoint", str(ckpt), "--checkpoint-every", "20000", "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (ckpt / checkpoint.CHECKPOINT_FILE).exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "resume with: wordvec train --resume" in err and "Traceback" not in err
    assert not out.exists()
    done = subprocess.run([sys.executable, "-m", "wordvec", "train", "--resume", str(ckpt), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    kv = KeyedVectors.load(out)
    assert len(kv) == 300 and np.isfinite(kv.vectors).all()
