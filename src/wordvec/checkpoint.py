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

import contextlib
import json
import math
import os
import signal
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable

try:
    import fcntl
except ImportError:  # not POSIX: no directory lock
    fcntl = None

import numpy as np

from wordvec import __version__
from wordvec.config import TrainConfig
from wordvec.errors import TrainingError, TrainingInterrupted, WordvecError
from wordvec.fileio import atomic_write, read_npy_member, write_npz
from wordvec.progress import RunProgress

CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.json"
FORMAT = "wordvec-checkpoint"
FORMAT_VERSION = 1
#: engines whose runs can be checkpointed ("ray": a cluster run, wordvec.cluster.checkpoints)
ENGINES = ("fast", "reference", "ray")


def trainer_class(engine: str):
    """The resumable trainer of an engine ("fast", "reference" or "ray")."""
    if engine == "fast":
        from wordvec.fast import FastTrainer

        return FastTrainer
    if engine == "reference":
        from wordvec.models.engine import ReferenceTrainer

        return ReferenceTrainer
    if engine == "ray":
        from wordvec.cluster.driver import ClusterTrainer

        return ClusterTrainer
    raise WordvecError(f"checkpoints work with the {', '.join(ENGINES)} engines, not {engine!r}")


def engine_of(trainer) -> str:
    """The engine a trainer object belongs to."""
    named = getattr(type(trainer), "CHECKPOINT_ENGINE", None)  # a cluster trainer says so itself
    if named in ENGINES and isinstance(trainer, trainer_class(named)):
        return named
    for engine in ("reference", "fast"):  # reference first: no Numba import for it
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
        write_npz(handle, arrays)
    with atomic_write(directory / HISTORY_FILE, "w") as handle:
        json.dump(scalars["history"], handle)
    return directory / CHECKPOINT_FILE


#: deepest JSON nesting a checkpoint's blob may have (it needs 4: state -> trainer -> rng -> state)
MAX_JSON_DEPTH = 16
#: the JSON blob's member name (npy headers are bounded by fileio.MAX_NPY_HEADER)
META = "meta_json"
LOCK_FILE = ".wordvec.lock"
_TMP_PATTERNS = (f".{CHECKPOINT_FILE}.*.tmp", f".{HISTORY_FILE}.*.tmp")


def _bad(path: Path, why: str) -> WordvecError:
    return WordvecError(f"{path}: not a readable wordvec checkpoint ({why})")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _depth(value, limit: int) -> int:
    """Nesting depth of a JSON value (iterative; stops counting past `limit`)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _config_from(path: Path, data) -> TrainConfig:
    """A TrainConfig from the blob's "config": a dict of known fields with values of their types."""
    from dataclasses import fields

    if not isinstance(data, dict):
        raise _bad(path, "config is not a dict")
    known = {f.name: f.type for f in fields(TrainConfig)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise _bad(path, f"config has unknown fields {', '.join(map(repr, unknown))[:80]}")
    for name, value in data.items():
        kinds = [k.strip() for k in str(known[name]).split("|")]
        ok = (value is None and "None" in kinds) \
            or (isinstance(value, bool) and "bool" in kinds) \
            or (isinstance(value, int) and not isinstance(value, bool) and ("int" in kinds or "float" in kinds)) \
            or (isinstance(value, float) and "float" in kinds and math.isfinite(value)) \
            or (isinstance(value, str) and "str" in kinds)
        if not ok:
            raise _bad(path, f"config {name} = {value!r:.40} is not of type {known[name]}")
    if isinstance(data.get("seed"), int) and data["seed"] < 0:
        raise _bad(path, f"config seed must be >= 0, got {data['seed']}")
    try:
        return TrainConfig(**data)
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"config: {_one_line(exc)}") from None


def _check_meta(path: Path, meta) -> None:
    """The blob's own fields (not the engine state's): types and values."""
    if not isinstance(meta, dict):
        raise _bad(path, "metadata is not a JSON object")
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise WordvecError(f"{path}: not a wordvec checkpoint of format version {FORMAT_VERSION}")
    if meta.get("engine") not in ENGINES:
        raise _bad(path, f"engine {meta.get('engine')!r:.40} is not one of {', '.join(ENGINES)}")
    for key, kinds in (("config", dict), ("vocab", dict), ("corpus", dict), ("state", dict)):
        if not isinstance(meta.get(key), kinds):
            raise _bad(path, f"{key!r} is missing or not a JSON object")
    corpus = meta["corpus"]
    if set(corpus) != {"n_ids", "n_sentences", "crc32"} or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in corpus.values()):
        raise _bad(path, "corpus fingerprint is malformed")
    every = meta.get("every")
    if every is not None and (not isinstance(every, int) or isinstance(every, bool) or every < 1):
        raise _bad(path, f"'every' must be an int >= 1 or null, got {every!r:.40}")
    for key in ("source", "out"):
        if key in meta and meta[key] is not None and not (isinstance(meta[key], str) and meta[key]):
            raise _bad(path, f"{key!r} must be a non-empty string")
    if "book" in meta and not isinstance(meta["book"], bool):
        raise _bad(path, "'book' must be true or false")
    if meta.get("encoding_errors", "strict") not in ("strict", "replace"):
        raise _bad(path, "'encoding_errors' must be \"strict\" or \"replace\"")
    exclude = meta.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(x, str) and x for x in exclude):
        raise _bad(path, "'exclude' must be a list of paths")
    vocab = meta["vocab"]
    words, counts = vocab.get("words"), vocab.get("counts")
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
        raise _bad(path, "vocabulary words must be a non-empty list of strings")
    if not isinstance(counts, list) or len(counts) != len(words) or not all(
            isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
        raise _bad(path, "vocabulary counts must be one int >= 0 per word")


def _read_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, name: str,
              dtype: np.dtype | None = None, shapes: list | None = None) -> np.ndarray:
    """One stored .npy member, its header checked against (dtype, shapes) before any data is read
    (`fileio.read_npy_member`, with this module's error)."""
    return read_npy_member(zf, info, path, dtype, shapes, _bad)


def load_checkpoint(directory: str | Path) -> tuple[dict, dict]:
    """(arrays, metadata) of a checkpoint directory, with every field validated.

    Checked before use: the zip itself (any read error, a CRC mismatch, duplicate, compressed or
    unexpected members), the JSON blob (an object of bounded depth, each field's type and value:
    configuration, vocabulary, corpus fingerprint, positions), and every array's dtype and shape
    against what the engine, configuration and vocabulary imply, so nothing is read beyond what
    those shapes allow. Anything wrong raises WordvecError with one line naming the file; the
    engine state's ranges are checked by the trainer's `load_state_dict` (see `resume`)."""
    path = Path(directory) / CHECKPOINT_FILE
    if not path.is_file():
        raise WordvecError(f"no checkpoint in {directory} (expected {path})")
    try:
        return _load(path)
    except WordvecError:
        raise
    except (Exception, RecursionError) as exc:  # zipfile, npy headers, JSON, MemoryError, ...
        raise _bad(path, _one_line(exc)) from None


def _load(path: Path) -> tuple[dict, dict]:
    size = path.stat().st_size
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise _bad(path, "duplicate members")
        by_name = {}
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise _bad(path, f"unexpected member {info.filename!r:.60}")
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size \
                    or info.flag_bits & 0x1:
                raise _bad(path, f"member {info.filename!r:.60} is compressed or encrypted "
                                 "(wordvec writes stored members)")
            if info.header_offset + info.compress_size > size:
                raise _bad(path, f"member {info.filename!r:.60} runs past the end of the file")
            by_name[info.filename[:-4]] = info
        if META not in by_name:
            raise _bad(path, "no metadata member")
        blob = _read_npy(zf, by_name[META], path, META, np.dtype(np.uint8), [(None,)])
        try:
            meta = json.loads(blob.tobytes().decode("utf-8"))
        except RecursionError:
            raise _bad(path, "metadata JSON is nested too deeply") from None
        if _depth(meta, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise _bad(path, f"metadata JSON is nested deeper than {MAX_JSON_DEPTH}")
        _check_meta(path, meta)
        config = _config_from(path, meta["config"])
        cls = trainer_class(meta["engine"])
        try:
            spec = cls.state_array_spec(config, len(meta["vocab"]["words"]), meta["state"])
        except TrainingError as exc:
            raise _bad(path, str(exc)) from None
        optional = set(getattr(cls, "OPTIONAL_ARRAYS", ())) | {
            k for k in spec if k.startswith(getattr(cls, "OPTIONAL_PREFIXES", ()) or ("\0",))}
        present = set(by_name) - {META}
        missing = sorted(set(spec) - optional - present)
        extra = sorted(present - set(spec))
        if missing or extra:
            what = ", ".join([f"missing {m}" for m in missing] + [f"unexpected {e!r:.40}" for e in extra])
            raise _bad(path, f"members: {what[:160]}")
        arrays = {}
        for name in sorted(present):
            dtype, shapes = spec[name]
            arrays[name] = _read_npy(zf, by_name[name], path, name, dtype, shapes)
        bad_crc = zf.testzip()  # the stored CRCs of everything just read
        if bad_crc is not None:
            raise _bad(path, f"bad CRC in {bad_crc}")
    for name, array in arrays.items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise _bad(path, f"{name} holds NaN/Inf")
    return arrays, meta


def _lock(directory: Path):
    """An exclusive, non-blocking flock on DIR/.wordvec.lock (released when the process ends,
    also by kill -9); a second run on the same directory is refused. Returns the open fd."""
    try:
        fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WordvecError(f"cannot use checkpoint directory {directory}: {exc.strerror}") from None
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise WordvecError(f"checkpoint directory {directory} is in use by another wordvec run; "
                               "wait for it or use another directory") from None
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    # nobody else can be writing now: temp files are what a killed run left
    for pattern in _TMP_PATTERNS:
        for stale in directory.glob(pattern):
            with contextlib.suppress(OSError):
                stale.unlink()
    return fd


def check_directory(directory: str | Path, *, resuming: bool = False) -> Path:
    """Refuse a checkpoint directory that cannot take a new run, before any work: a file, a
    directory already holding a checkpoint (unless `resuming` it), one another run holds, or one
    that cannot be created or written. Called by `train_with_checkpoints` (and early by the CLI)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise WordvecError(f"--checkpoint {directory} is a file, not a directory")
    if not resuming and (directory / CHECKPOINT_FILE).exists():
        raise WordvecError(f"{directory} already holds a checkpoint; continue it with "
                           f"`wordvec train --resume {directory}` or choose another directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WordvecError(f"cannot create checkpoint directory {directory}: {exc.strerror}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise WordvecError(f"checkpoint directory {directory} is not writable")
    return directory


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
    on_progress: Callable[[dict], Any] | None = None,
):
    """Train with config.engine (fast or reference), saving a checkpoint every `every` words
    (default: each epoch; the reference engine counts training pairs).

    The directory must not hold a checkpoint already (resume it with `resume`), and is locked
    while the run uses it (a second run is refused). On SIGINT/SIGTERM the run stops after the
    current chunk (fast) or batch (reference), saves, and raises TrainingInterrupted. `info` is
    stored in the checkpoint (corpus source, output path, "exclude": paths never read as corpus)
    for `resume`. A given `trainer` must belong to config.engine. One progress bar spans the run;
    `on_progress(numbers)` receives its figures (see `wordvec.progress.RunProgress.numbers`).
    """
    return _train(corpus, config, directory, every=every, progress=progress, info=info, trainer=trainer,
                  on_save=on_save, on_progress=on_progress, resuming=False)


def _train(corpus, config, directory, *, every, progress, info, trainer, on_save, on_progress, resuming,
           lock=None):
    if config.model not in ("cbow", "skipgram") or config.engine not in ENGINES:
        raise WordvecError("--checkpoint works with the fast and reference engines (cbow or skipgram)")
    if every is not None and (not isinstance(every, int) or isinstance(every, bool) or every < 1):
        raise ValueError(f"every must be an int >= 1 or None, got {every!r}")
    directory = Path(directory)
    check_directory(directory, resuming=resuming)
    if lock is None:
        lock = _lock(directory)
        if not resuming:  # recheck under the lock: another run may have saved meanwhile
            try:
                check_directory(directory)
            except WordvecError:
                os.close(lock)
                raise
    try:
        if trainer is None:
            trainer = trainer_class(config.engine)(corpus, config, progress=progress)
        elif engine_of(trainer) != config.engine:
            raise WordvecError(f"a {engine_of(trainer)}-engine trainer cannot run a {config.engine}-engine config")
        info = {"config": config.to_dict(), "vocab": corpus.vocab.to_dict(),
                "corpus": corpus_fingerprint(corpus), "every": every, **(info or {})}
        epoch_words = trainer.total_words // max(1, int(config.epochs))  # fast: corpus words; reference: pairs
        bar = RunProgress(trainer.total_words, initial=min(trainer.words_done, trainer.total_words),
                          desc=f"{config.model}/{config.loss}", enabled=progress, on_update=on_progress)
        with _StopOnSignal(trainer) as stop, bar:
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
            if not (directory / CHECKPOINT_FILE).exists():  # finished at once (resumed a done run)
                save_checkpoint(directory, trainer, info)
        return trainer.keyed_vectors()
    finally:
        os.close(lock)


def resume(directory: str | Path, *, progress: bool = True, on_save: Callable[[Path], None] | None = None,
           engine: str | None = None, overrides: dict | None = None,
           on_progress: Callable[[dict], Any] | None = None,
           check: Callable[[dict, Any], None] | None = None, address: str | None = None):
    """Continue the run saved in `directory` with the engine it records; returns (KeyedVectors,
    checkpoint metadata). `engine`, if given, must be the checkpoint's (else WordvecError).

    `overrides` may hold "epochs" (the new total: at least the epochs already begun; the fast
    engine's learning rate then decays linearly over the new total from where it is) and
    "threads" (fast engine: the rest of the current epoch is split over the new thread count;
    ignored by the reference engine). Other keys are refused (ValueError). The directory is locked
    for the whole resume; the checkpoint is fully validated before the corpus is read.
    `check(meta, vocab)`, if given, runs after that validation and before the corpus is read (the
    CLI checks there that its output can be written and can hold every word).

    A cluster run (engine "ray") continues on Ray (`address`; None: a local instance), with the
    workers, shards and settings it was saved with (`overrides` are refused)."""
    from dataclasses import replace

    from wordvec.corpus import Vocabulary, book_corpus

    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - {"epochs", "threads"})
    if unknown:
        raise ValueError(f"resume can change only epochs and threads, not {', '.join(unknown)}")
    for key, value in overrides.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{key} must be an int >= 1, got {value!r}")
    directory = Path(directory)
    if not (directory / CHECKPOINT_FILE).is_file():
        raise WordvecError(f"no checkpoint in {directory} (expected {directory / CHECKPOINT_FILE})")
    lock = _lock(directory)
    try:
        arrays, meta = load_checkpoint(directory)
        saved_engine = meta["engine"]
        if engine is not None and engine != saved_engine:
            raise WordvecError(f"checkpoint in {directory} is a {saved_engine}-engine run, not a {engine}-engine "
                               "one; cannot resume it with another engine")
        if saved_engine == "ray":
            if any(v is not None for v in overrides.values()):
                raise ValueError("a cluster run resumes with the epochs and threads it was saved with")
            from wordvec.cluster.checkpoints import resume_loaded

            held, lock = lock, None  # resume_loaded closes it
            return resume_loaded(directory, arrays, meta, lock=held, address=address, progress=progress,
                                 on_save=on_save, check=check)
        config = TrainConfig.from_dict(meta["config"])
        if config.engine != saved_engine:
            raise WordvecError(f"checkpoint in {directory} was written by the {saved_engine} engine but "
                               f"records a {config.engine}-engine configuration; cannot resume")
        state = {**arrays, **meta["state"]}
        threads = overrides.get("threads")
        if threads is not None and saved_engine == "fast":
            config = replace(config, threads=threads)
        try:
            vocab = Vocabulary.from_dict(meta["vocab"])
        except (WordvecError, ValueError, TypeError) as exc:
            raise _bad(directory / CHECKPOINT_FILE, f"vocabulary: {_one_line(exc)}") from None
        source = meta.get("source")
        if source is None:
            raise WordvecError(f"checkpoint in {directory} does not record its corpus; cannot resume")
        if check is not None:
            check(meta, vocab)
        read_options = {"errors": meta.get("encoding_errors", "strict")}
        if meta.get("exclude"):
            read_options["exclude"] = list(meta["exclude"])
        try:
            corpus = book_corpus(source, **read_options) if meta.get("book") else vocab.encode(source, **read_options)
        except ValueError as exc:
            if isinstance(exc, WordvecError):
                raise
            raise WordvecError(f"checkpoint in {directory}: cannot re-read its corpus ({_one_line(exc)})") from None
        if corpus_fingerprint(corpus) != meta["corpus"]:
            raise WordvecError(f"the corpus {source} has changed since the checkpoint was saved; cannot resume")
        cls = trainer_class(saved_engine)
        trainer = cls(corpus, config, progress=progress)
        try:
            if saved_engine == "fast":
                trainer.load_state_dict(state, allow_thread_change=True)
            else:
                trainer.load_state_dict(state)
        except (TrainingError, KeyError, TypeError, ValueError, OverflowError) as exc:
            raise WordvecError(f"checkpoint in {directory} holds an invalid {saved_engine}-engine state "
                               f"({_one_line(exc)})") from None
        epochs = overrides.get("epochs")
        if epochs is not None:
            epoch_words = trainer.total_words // config.epochs
            begun = trainer.epoch + (1 if trainer.words_done > trainer.epoch * epoch_words else 0)
            if epochs < begun:
                raise WordvecError(f"the run in {directory} has already begun {begun} epoch(s); "
                                   f"--epochs must be at least {begun}, not {epochs}")
            config = replace(config, epochs=epochs)
            trainer.config = config  # both trainers read the total from their config
        info = {key: meta[key] for key in ("source", "book", "out", "exclude", "encoding_errors") if key in meta}
        kv = _train(corpus, config, directory, every=meta.get("every"), progress=progress, info=info,
                    trainer=trainer, on_save=on_save, on_progress=on_progress, resuming=True, lock=lock)
        lock = None  # closed by _train
        return kv, meta
    finally:
        if lock is not None:
            os.close(lock)

