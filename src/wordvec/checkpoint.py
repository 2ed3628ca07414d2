"""Checkpoints: save a word2vec run atomically, stop it cleanly on Ctrl-C/SIGTERM, resume it.

Both engines are driven through one trainer surface (`wordvec.fast.FastTrainer`,
`wordvec.models.engine.ReferenceTrainer`): `run(max_words)`, `request_stop()`, `finished`,
`epoch`, `words_done`, `total_words`, `state_dict()`/`load_state_dict()`, `keyed_vectors()`.
A checkpoint directory holds `checkpoint.npz` (the trainer's arrays plus one JSON blob with the
engine, configuration, vocabulary, corpus fingerprint and the JSON-safe part of the state; loaded
with allow_pickle=False) and `history.json` (the loss history, for `wordvec plot-loss DIR`).
Resuming re-reads the corpus with the saved vocabulary, checks it is the same text, builds the
recorded engine's trainer, restores the state and continues; with one thread the result is
bit-identical to an uninterrupted run.
"""

from __future__ import annotations

import json
import signal
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from wordvec import __version__
from wordvec.config import TrainConfig
from wordvec.errors import TrainingError, TrainingInterrupted, WordvecError
from wordvec.fileio import atomic_write

CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.json"
FORMAT = "wordvec-checkpoint"
FORMAT_VERSION = 1
#: engines whose runs can be checkpointed
ENGINES = ("fast", "reference")


def trainer_class(engine: str):
    """The resumable trainer of an engine ("fast" or "reference")."""
    if engine == "fast":
        from wordvec.fast import FastTrainer

        return FastTrainer
    if engine == "reference":
        from wordvec.models.engine import ReferenceTrainer

        return ReferenceTrainer
    raise WordvecError(f"checkpoints work with the {' and '.join(ENGINES)} engines, not {engine!r}")


def engine_of(trainer) -> str:
    """The engine a trainer object belongs to."""
    for engine in reversed(ENGINES):  # reference first: no Numba import for it
        if isinstance(trainer, trainer_class(engine)):
            return engine
    raise WordvecError(f"cannot checkpoint a {type(trainer).__name__}")


def corpus_fingerprint(corpus) -> dict:
    """Sizes and a CRC of the ids and sentence bounds: resuming on other text is refused."""
    return {
        "n_ids": int(len(corpus.ids)),
        "n_sentences": int(len(corpus.offsets) - 1),
        "crc32": zlib.crc32(np.ascontiguousarray(corpus.ids, dtype=np.int32).tobytes())
        ^ zlib.crc32(np.ascontiguousarray(corpus.offsets, dtype=np.int64).tobytes()),
    }


class _StopOnSignal:
    """While active, SIGINT/SIGTERM ask the trainer to stop after its current chunk."""

    def __init__(self, trainer) -> None:
        self.trainer = trainer
        self.received: int | None = None
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        self.received = signum
        self.trainer.request_stop()

    def __enter__(self) -> "_StopOnSignal":
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: signals stay as they were
                pass
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def save_checkpoint(directory: str | Path, trainer, info: dict) -> Path:
    """Write the trainer's state atomically; refuses non-finite weights (the last good one stays)."""
    state = trainer.state_dict()
    if not (np.isfinite(state["W_in"]).all() and np.isfinite(state["W_out"]).all()):
        raise TrainingError(
            f"training diverged (NaN/Inf in the weights); the last good checkpoint in {directory} is kept "
            "(try a smaller --lr)"
        )
    arrays = {name: value for name, value in state.items() if isinstance(value, np.ndarray)}
    scalars = {name: value for name, value in state.items() if not isinstance(value, np.ndarray)}
    blob = {"format": FORMAT, "format_version": FORMAT_VERSION, "wordvec_version": __version__,
            **info, "engine": engine_of(trainer), "state": scalars}
    arrays["meta_json"] = np.frombuffer(json.dumps(blob).encode("utf-8"), dtype=np.uint8)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_write(directory / CHECKPOINT_FILE) as handle:
        np.savez(handle, **arrays)
    with atomic_write(directory / HISTORY_FILE, "w") as handle:
        json.dump(scalars["history"], handle)
    return directory / CHECKPOINT_FILE


def load_checkpoint(directory: str | Path) -> tuple[dict, dict]:
    """(arrays, metadata) of a checkpoint directory, validated."""
    path = Path(directory) / CHECKPOINT_FILE
    if not path.is_file():
        raise WordvecError(f"no checkpoint in {directory} (expected {path})")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(arrays.pop("meta_json").tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, EOFError, zlib.error) as exc:
        raise WordvecError(f"{path}: not a readable wordvec checkpoint ({exc})") from None
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise WordvecError(f"{path}: not a wordvec checkpoint of format version {FORMAT_VERSION}")
    return arrays, meta


def train_with_checkpoints(
    corpus,
    config: TrainConfig,
    directory: str | Path,
    *,
    every: int | None = None,
    progress: bool = True,
    info: dict | None = None,
    trainer=None,
    on_save: Callable[[Path], None] | None = None,
):
    """Train with config.engine (fast or reference), saving a checkpoint every `every` words
    (default: each epoch; the reference engine counts training pairs).

    On SIGINT/SIGTERM the run stops after the current chunk (fast) or batch (reference), saves,
    and raises TrainingInterrupted. `info` is stored in the checkpoint (corpus source, output
    path) for `resume`. A given `trainer` must belong to config.engine.
    """
    if config.model not in ("cbow", "skipgram") or config.engine not in ENGINES:
        raise WordvecError("--checkpoint works with the fast and reference engines (cbow or skipgram)")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise WordvecError(f"--checkpoint {directory} is a file, not a directory")
    if trainer is None:
        trainer = trainer_class(config.engine)(corpus, config, progress=progress)
    elif engine_of(trainer) != config.engine:
        raise WordvecError(f"a {engine_of(trainer)}-engine trainer cannot run a {config.engine}-engine config")
    directory.mkdir(parents=True, exist_ok=True)
    info = {"config": config.to_dict(), "vocab": corpus.vocab.to_dict(),
            "corpus": corpus_fingerprint(corpus), "every": every, **(info or {})}
    epoch_words = trainer.total_words // max(1, int(config.epochs))  # fast: corpus words; reference: pairs
    with _StopOnSignal(trainer) as stop:
        while not trainer.finished:
            in_epoch = trainer.words_done - trainer.epoch * epoch_words
            step = every if every else epoch_words - in_epoch
            if stop.received is None:  # else (signal during the last save): save again, stop
                trainer.run(max_words=max(1, step))
            saved = save_checkpoint(directory, trainer, info)
            if stop.received is not None:
                name = signal.Signals(stop.received).name
                raise TrainingInterrupted(
                    f"stopped by {name} at {trainer.words_done:,} of {trainer.total_words:,} words; "
                    f"checkpoint saved, resume with: wordvec train --resume {directory}",
                    signum=stop.received,
                )
            if on_save is not None:
                on_save(saved)
    return trainer.keyed_vectors()


def resume(directory: str | Path, *, progress: bool = True, on_save: Callable[[Path], None] | None = None,
           engine: str | None = None):
    """Continue the run saved in `directory` with the engine it records; returns (KeyedVectors,
    checkpoint metadata). `engine`, if given, must be the checkpoint's (else WordvecError)."""
    from wordvec.corpus import Vocabulary, book_corpus

    arrays, meta = load_checkpoint(directory)
    config = TrainConfig.from_dict(meta["config"])
    saved_engine = meta.get("engine", "fast")
    if saved_engine != config.engine:
        raise WordvecError(f"checkpoint in {directory} was written by the {saved_engine} engine but records "
                           f"a {config.engine}-engine configuration; cannot resume")
    if engine is not None and engine != saved_engine:
        raise WordvecError(f"checkpoint in {directory} is a {saved_engine}-engine run, not a {engine}-engine one; "
                           "cannot resume it with another engine")
    cls = trainer_class(saved_engine)
    vocab = Vocabulary.from_dict(meta["vocab"])
    source = meta.get("source")
    if source is None:
        raise WordvecError(f"checkpoint in {directory} does not record its corpus; cannot resume")
    corpus = book_corpus(source) if meta.get("book") else vocab.encode(source)
    if corpus_fingerprint(corpus) != meta["corpus"]:
        raise WordvecError(f"the corpus {source} has changed since the checkpoint was saved; cannot resume")
    trainer = cls(corpus, config, progress=progress)
    try:
        trainer.load_state_dict({**arrays, **meta["state"]})
    except (KeyError, TypeError, ValueError) as exc:
        raise WordvecError(
            f"checkpoint in {directory} holds an incomplete {saved_engine}-engine state ({exc})"
        ) from None
    info = {key: meta[key] for key in ("source", "book", "out") if key in meta}
    kv = train_with_checkpoints(corpus, config, directory, every=meta.get("every"), progress=progress,
                                info=info, trainer=trainer, on_save=on_save)
    return kv, meta
