"""Hardened checkpoints (issue 8, items 5 and 10): every tampered checkpoint resumes correctly or
fails with one WordvecError line; a directory holding a run is refused and locked while in use;
resume applies epochs/threads overrides; one progress bar spans a whole checkpointed run."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from wordvec import checkpoint
from wordvec.config import TrainConfig
from wordvec.corpus import load_corpus
from wordvec.errors import TrainingError, WordvecError
from wordvec.fast import FastTrainer
from wordvec.models.engine import ReferenceTrainer


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    rng = np.random.default_rng(8)
    words = [f"w{i}" for i in range(60)]
    weights = 1.0 / np.arange(1, 61)
    lines = [" ".join(rng.choice(words, size=9, p=weights / weights.sum())) for _ in range(250)]
    path = tmp_path_factory.mktemp("hard") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def fast_config(**extra) -> TrainConfig:
    options = dict(model="skipgram", dim=8, epochs=2, threads=1, min_count=1, seed=3, sample=0.0)
    options.update(extra)
    return TrainConfig(**options)


def ref_config(**extra) -> TrainConfig:
    options = dict(model="cbow", engine="reference", dim=8, window=2, negative=2, epochs=2, batch_size=40,
                   min_count=1, seed=4, threads=1)
    options.update(extra)
    return TrainConfig(**options)


def _save_mid_run(directory: Path, corpus_file: Path, config: TrainConfig, words: int) -> Path:
    corpus = load_corpus(corpus_file, min_count=1)
    cls = FastTrainer if config.engine == "fast" else ReferenceTrainer
    trainer = cls(corpus, config, progress=False) if cls is ReferenceTrainer else \
        FastTrainer(corpus, config, progress=False, chunk_words=300)
    trainer.run(max_words=words)
    info = {"config": config.to_dict(), "vocab": corpus.vocab.to_dict(),
            "corpus": checkpoint.corpus_fingerprint(corpus), "every": None, "source": str(corpus_file),
            "book": False}
    return checkpoint.save_checkpoint(directory, trainer, info)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, corpus_file) -> dict:
    base = tmp_path_factory.mktemp("saved")
    return {"fast": _save_mid_run(base / "fast", corpus_file, fast_config(), 900).parent,
            "reference": _save_mid_run(base / "ref", corpus_file, ref_config(), 300).parent}


# --- building tampered variants -----------------------------------------------------------

def _members(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _write(path: Path, arrays: dict) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


def _with_meta(arrays: dict, change) -> dict:
    meta = json.loads(arrays["meta_json"].tobytes())
    change(meta)
    out = dict(arrays)
    out["meta_json"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return out


def _raw_meta(arrays: dict, text: str) -> dict:
    return {**arrays, "meta_json": np.frombuffer(text.encode(), dtype=np.uint8)}


def _set(*keys, value):
    def change(meta):
        target = meta
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


def _drop(*keys):
    def change(meta):
        target = meta
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]
    return change


def _array_variants(arrays: dict) -> list:
    out = []
    for name, value in arrays.items():
        if name == "meta_json":
            continue
        rest = {k: v for k, v in arrays.items() if k != name}
        out.append((f"drop {name}", rest))
        out.append((f"rename {name}", {**rest, name + "_x": value}))
        out.append((f"empty {name}", {**arrays, name: value[:0]}))
        with np.errstate(over="ignore", invalid="ignore"):
            other = value.astype(np.float16 if value.dtype != np.float16 else np.float32)
        out.append((f"dtype {name}", {**arrays, name: other}))
        out.append((f"object-free str {name}", {**arrays, name: np.array(["x"] * max(1, len(value)))}))
        out.append((f"shape {name}", {**arrays, name: np.concatenate([value, value[:1]]) if len(value) else
                                      np.zeros(3, value.dtype)}))
        out.append((f"2d {name}", {**arrays, name: value.reshape(1, *value.shape)}))
        if value.dtype.kind == "f" and value.size:
            bad = value.copy()
            bad.reshape(-1)[0] = np.nan
            out.append((f"nan {name}", {**arrays, name: bad}))
        if value.dtype.kind in "iu" and value.size:
            for delta in (-10**6, 10**6):
                bad = value.astype(np.int64) + delta
                out.append((f"range {name} {delta}", {**arrays, name: bad.astype(value.dtype)}))
    out.append(("extra member", {**arrays, "extra": np.zeros(4)}))
    return out


def _json_variants(arrays: dict, engine: str) -> list:
    changes = [
        ("config list", _set("config", value=[1, 2])),
        ("config missing", _drop("config")),
        ("config dim str", _set("config", "dim", value="8")),
        ("config dim 0", _set("config", "dim", value=0)),
        ("config dim big", _set("config", "dim", value=10**9)),
        ("config unknown field", _set("config", "colour", value="red")),
        ("config seed -1", _set("config", "seed", value=-1)),
        ("config window 0", _set("config", "window", value=0)),
        ("config nan sample", lambda m: m["config"].__setitem__("sample", float("nan"))),
        ("config model ppmi", _set("config", "model", value="ppmi")),
        ("vocab missing", _drop("vocab")),
        ("vocab words ints", lambda m: m["vocab"].__setitem__("words", list(range(len(m["vocab"]["words"]))))),
        ("vocab shorter", lambda m: m["vocab"].update(words=m["vocab"]["words"][:-1],
                                                      counts=m["vocab"]["counts"][:-1])),
        ("vocab duplicate", lambda m: m["vocab"]["words"].__setitem__(1, m["vocab"]["words"][0])),
        ("vocab negative count", lambda m: m["vocab"]["counts"].__setitem__(0, -5)),
        ("format", _set("format", value="other")),
        ("engine", _set("engine", value="count")),
        ("engine swapped", _set("engine", value="reference" if engine == "fast" else "fast")),
        ("source int", _set("source", value=5)),
        ("source missing file", _set("source", value="/nonexistent/corpus.txt")),
        ("source dir", _set("source", value="/")),
        ("book str", _set("book", value="yes")),
        ("every 0", _set("every", value=0)),
        ("exclude str", _set("exclude", value="x")),
        ("corpus fingerprint", _set("corpus", "crc32", value=1)),
        ("corpus list", _set("corpus", value=[])),
        ("state list", _set("state", value=[])),
        ("state missing", _drop("state")),
        ("words_done huge", _set("state", "words_done", value=10**15)),
        ("words_done negative", _set("state", "words_done", value=-1)),
        ("words_done float", _set("state", "words_done", value=1.5)),
        ("epoch huge", _set("state", "epoch", value=99)),
        ("history list", _set("state", "history", value=[1, 2])),
        ("history strings", lambda m: m["state"]["history"].__setitem__("epoch_loss", ["a"])),
        ("history deep", lambda m: m["state"]["history"].__setitem__("step_loss", [[[[[[1]]]]]])),
        ("unknown deep", lambda m: m.__setitem__("junk", json.loads("[" * 60 + "]" * 60))),
    ]
    if engine == "fast":
        changes += [("threads 0", _set("state", "threads", value=0)),
                    ("threads 2", _set("state", "threads", value=2)),
                    ("threads str", _set("state", "threads", value="1")),
                    ("n_sentences", _set("state", "n_sentences", value=3)),
                    ("plan_done", _set("state", "plan_done", value=10**6)),
                    ("train_seconds nan", lambda m: m["state"].__setitem__("train_seconds", float("inf")))]
    else:
        changes += [("n_pairs", _set("state", "n_pairs", value=7)),
                    ("optimizer type", _set("state", "optimizer", "type", value="SGD")),
                    ("optimizer lr", _set("state", "optimizer", "lr", value=-1.0)),
                    ("optimizer beta1", _set("state", "optimizer", "beta1", value=2.0)),
                    ("optimizer iter str", _set("state", "optimizer", "iter", value="3")),
                    ("batch huge", _set("state", "trainer", "batch", value=10**6)),
                    ("loop rng", _set("state", "trainer", "rng", value={"bit_generator": "PCG64"})),
                    ("loop rng negative", _set("state", "trainer", "rng", "state", "state", value=-1)),
                    ("sampler rng", _set("state", "sampler_rng", value=[])),
                    ("loss_list str", _set("state", "trainer", "loss_list", value="abc")),
                    ("eval_interval 0", _set("state", "trainer", "eval_interval", value=0))]
    out = [(name, _with_meta(arrays, change)) for name, change in changes]
    out += [("json deep", _raw_meta(arrays, "[" * 100_000 + "]" * 100_000)),
            ("json not object", _raw_meta(arrays, "[1, 2]")),
            ("json garbage", _raw_meta(arrays, "{not json")),
            ("json invalid utf-8", {**arrays, "meta_json": np.frombuffer(b"\xff\xfe{}", dtype=np.uint8)}),
            ("json empty", _raw_meta(arrays, ""))]
    return out


def _assert_resumes_or_one_line(directory: Path, label: str) -> None:
    try:
        kv, _ = checkpoint.resume(directory, progress=False)
    except WordvecError as exc:
        message = str(exc)
        assert message and "\n" not in message, (label, message)
        return
    except BaseException as exc:  # anything else is a broken promise
        pytest.fail(f"{label}: {type(exc).__name__}: {exc}")
    assert np.isfinite(kv.vectors).all() and len(kv) == 60, label


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_every_tampering_resumes_or_gives_one_line(saved, tmp_path, engine):
    original = saved[engine] / checkpoint.CHECKPOINT_FILE
    data = original.read_bytes()
    arrays = _members(original)
    variants: list[tuple[str, bytes | dict]] = []
    for cut in sorted(set(np.linspace(0, len(data) - 1, 40, dtype=int).tolist() + [len(data) - 22, 4, 30])):
        variants.append((f"truncate {cut}", data[:cut]))
    rng = np.random.default_rng(1)
    for offset in sorted(set(rng.integers(0, len(data), 60).tolist() + list(range(len(data) - 60, len(data), 7)))):
        flipped = bytearray(data)
        flipped[offset] ^= 0x5A
        variants.append((f"flip {offset}", bytes(flipped)))
    variants += _array_variants(arrays) + _json_variants(arrays, engine)
    assert len(variants) > 150
    for i, (label, content) in enumerate(variants):
        directory = tmp_path / f"v{i}"
        directory.mkdir()
        target = directory / checkpoint.CHECKPOINT_FILE
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            _write(target, content)
        _assert_resumes_or_one_line(directory, label)
        shutil.rmtree(directory)


def test_an_untampered_copy_still_resumes(saved, tmp_path):
    for engine in ("fast", "reference"):
        copy = tmp_path / engine
        shutil.copytree(saved[engine], copy)
        kv, _ = checkpoint.resume(copy, progress=False)
        assert len(kv) == 60


def test_empty_rng_states_is_refused_before_the_kernel(saved, tmp_path):
    arrays = _members(saved["fast"] / checkpoint.CHECKPOINT_FILE)
    (tmp_path / "d").mkdir()
    _write(tmp_path / "d" / checkpoint.CHECKPOINT_FILE, {**arrays, "rng_states": np.zeros(0, np.uint64)})
    with pytest.raises(WordvecError, match="rng_states"):
        checkpoint.resume(tmp_path / "d", progress=False)


def test_zip_bomb_members_are_never_decompressed(saved, tmp_path):
    for i, name in enumerate(["bomb.npy", "W_in.npy"]):
        directory = tmp_path / f"b{i}"
        shutil.copytree(saved["fast"], directory)
        path = directory / checkpoint.CHECKPOINT_FILE
        if name == "W_in.npy":  # replace W_in with a deflated member declaring 256 MB
            arrays = _members(path)
            del arrays["W_in"]
            _write(path, arrays)
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
            with zf.open(name, "w", force_zip64=True) as member:
                chunk = bytes(1 << 20)
                for _ in range(256):
                    member.write(chunk)
        assert path.stat().st_size < 3 << 20
        tracemalloc.start()
        try:
            with pytest.raises(WordvecError, match="compressed|unexpected"):
                checkpoint.load_checkpoint(directory)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 16 << 20


def test_cli_resume_of_tampered_checkpoints_is_one_line(saved, tmp_path):
    data = (saved["fast"] / checkpoint.CHECKPOINT_FILE).read_bytes()
    arrays = _members(saved["fast"] / checkpoint.CHECKPOINT_FILE)
    cases = {"truncated": data[: len(data) // 2], "flipped": data[:100] + bytes([data[100] ^ 1]) + data[101:]}
    for label, content in cases.items():
        (tmp_path / label).mkdir()
        (tmp_path / label / checkpoint.CHECKPOINT_FILE).write_bytes(content)
    (tmp_path / "deep").mkdir()
    _write(tmp_path / "deep" / checkpoint.CHECKPOINT_FILE, _raw_meta(arrays, "[" * 50_000 + "]" * 50_000))
    (tmp_path / "empty-rng").mkdir()
    _write(tmp_path / "empty-rng" / checkpoint.CHECKPOINT_FILE, {**arrays, "rng_states": np.zeros(0, np.uint64)})
    for label in [*cases, "deep", "empty-rng"]:
        done = subprocess.run([sys.executable, "-m", "wordvec", "train", "--resume", str(tmp_path / label), "-q",
                               "--out", str(tmp_path / "out.txt")], capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, (label, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, (label, done.stderr)


# --- the directory: refused when it holds a run, locked while in use -------------------------

def test_a_directory_holding_a_checkpoint_is_refused_before_training(saved, corpus_file, tmp_path):
    directory = tmp_path / "run"
    shutil.copytree(saved["fast"], directory)
    before = (directory / checkpoint.CHECKPOINT_FILE).read_bytes()
    corpus = load_corpus(corpus_file, min_count=1)
    with pytest.raises(WordvecError, match="--resume"):
        checkpoint.train_with_checkpoints(corpus, fast_config(), directory, progress=False)
    with pytest.raises(WordvecError, match="--resume"):
        checkpoint.check_directory(directory)
    assert (directory / checkpoint.CHECKPOINT_FILE).read_bytes() == before


def _hold_lock(directory: Path) -> subprocess.Popen:
    code = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(directory / checkpoint.LOCK_FILE)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_directory_in_use_is_refused_and_freed_by_kill_9(saved, corpus_file, tmp_path):
    directory = tmp_path / "run"
    shutil.copytree(saved["fast"], directory)
    stale = directory / f".{checkpoint.CHECKPOINT_FILE}.abc123.tmp"
    stale.write_bytes(b"half a checkpoint")
    holder = _hold_lock(directory)
    try:
        with pytest.raises(WordvecError, match="in use"):
            checkpoint.resume(directory, progress=False)
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        other = _hold_lock(fresh)
        try:
            with pytest.raises(WordvecError, match="in use"):
                checkpoint.train_with_checkpoints(load_corpus(corpus_file, min_count=1), fast_config(), fresh,
                                                  progress=False)
        finally:
            other.kill()
            other.wait()
        assert stale.exists()  # the other run might still be writing it
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    kv, _ = checkpoint.resume(directory, progress=False)  # the lock went with the process
    assert len(kv) == 60 and not stale.exists()


# --- resume overrides ---------------------------------------------------------------------

def test_resume_epochs_override(saved, tmp_path):
    for engine in ("fast", "reference"):
        more = tmp_path / f"{engine}-more"
        shutil.copytree(saved[engine], more)
        kv, _ = checkpoint.resume(more, progress=False, overrides={"epochs": 4, "threads": 2})
        _, meta = checkpoint.load_checkpoint(more)
        assert meta["config"]["epochs"] == 4 and meta["state"]["epoch"] == 4
        assert len(kv.metadata["loss_history"]["epoch_loss"]) == 4
        assert meta["config"]["threads"] == (2 if engine == "fast" else 1)
    with pytest.raises(ValueError, match="dim"):
        checkpoint.resume(more, progress=False, overrides={"dim": 5})


def test_epochs_override_below_the_epoch_in_progress_is_refused(corpus_file, tmp_path):
    # mid-epoch 2 of 3: one epoch done and a second begun, so 2 is the least allowed
    _save_mid_run(tmp_path / "run", corpus_file, fast_config(epochs=3), 3200)
    with pytest.raises(WordvecError, match="at least 2"):
        checkpoint.resume(tmp_path / "run", progress=False, overrides={"epochs": 1})
    before = (tmp_path / "run" / checkpoint.CHECKPOINT_FILE).read_bytes()
    with pytest.raises(WordvecError, match="at least 2"):
        checkpoint.resume(tmp_path / "run", progress=False, overrides={"epochs": 1})
    assert (tmp_path / "run" / checkpoint.CHECKPOINT_FILE).read_bytes() == before  # nothing lost
    kv, _ = checkpoint.resume(tmp_path / "run", progress=False, overrides={"epochs": 2})
    assert len(kv.metadata["loss_history"]["epoch_loss"]) == 2


def _remaining(trainer: FastTrainer) -> list:
    """Sentence indices each thread still has to train this epoch, in order."""
    out = []
    for t, segments in enumerate(trainer.plan):
        c = int(trainer.cursors[t])
        for a, b in segments:
            out.extend(range(max(a, c) if a <= c <= b else a, b) if not b <= c or a > c else [])
    return sorted(out)


@pytest.mark.parametrize("old, new", [(3, 2), (1, 4), (2, 1), (2, 7)])
def test_thread_change_splits_the_rest_of_the_epoch(corpus_file, old, new):
    corpus = load_corpus(corpus_file, min_count=1)
    first = FastTrainer(corpus, fast_config(threads=old), progress=False, chunk_words=200)
    first.run(max_words=700)
    state = first.state_dict()
    left = _remaining(first)
    assert 0 < len(left) < len(corpus.offsets) - 1
    resumed = [FastTrainer(corpus, fast_config(threads=new), progress=False, chunk_words=200) for _ in range(2)]
    for trainer in resumed:
        trainer.load_state_dict(state, allow_thread_change=True)
    assert _remaining(resumed[0]) == left  # every remaining sentence once, nothing already trained
    np.testing.assert_array_equal(resumed[0].rng_states, resumed[1].rng_states)  # deterministic
    assert len(resumed[0].rng_states) == new
    words = [sum(int(corpus.offsets[b] - corpus.offsets[a]) for a, b in segs) for segs in resumed[0].plan]
    assert max(words) - min(words) <= 2 * 9 + 1  # word-balanced up to a sentence or two
    again = FastTrainer(corpus, fast_config(threads=new), progress=False, chunk_words=200)
    again.load_state_dict(resumed[0].state_dict())  # a replanned state round-trips
    assert _remaining(again) == left
    assert resumed[0].run() is True
    assert resumed[0].words_done == resumed[0].total_words and resumed[0].epoch == 2
    with pytest.raises(TrainingError, match="thread count"):
        FastTrainer(corpus, fast_config(threads=new), progress=False).load_state_dict(state)


def test_resume_with_exclude_skips_outputs(tmp_path, corpus_file):
    corpus_dir = tmp_path / "texts"
    corpus_dir.mkdir()
    shutil.copy(corpus_file, corpus_dir / "a.txt")
    ckpt = corpus_dir / "ckpt"
    corpus = load_corpus(corpus_dir, min_count=1)
    info = {"source": str(corpus_dir), "book": False, "exclude": [str(ckpt), str(corpus_dir / "out.txt")]}
    saves = []

    def stop_after_first(path):
        saves.append(path)
        if len(saves) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(WordvecError, match="resume"):
        checkpoint.train_with_checkpoints(corpus, fast_config(), ckpt, every=500, progress=False, info=info,
                                          on_save=stop_after_first)
    (corpus_dir / "out.txt").write_text("zzz yyy xxx\n" * 50)  # an output inside the corpus directory
    kv, meta = checkpoint.resume(ckpt, progress=False)
    assert meta["exclude"] == info["exclude"] and len(kv) == 60


# --- one progress bar for the whole run ---------------------------------------------------

def test_run_progress_rate_counts_only_this_process():
    from wordvec.progress import RunProgress

    now = [100.0]
    seen = []
    bar = RunProgress(1000, initial=600, enabled=False, on_update=seen.append, clock=lambda: now[0])
    with bar:
        seg = bar.segment()
        seg.update(600)  # trainers start by reporting where they are
        now[0] += 2.0
        seg.update(100)
        seg.close()
        now[0] += 50.0  # saving a checkpoint: not training time
        seg = bar.segment()
        seg.update(700)
        now[0] += 2.0
        seg.update(200)
        seg.close()
    last = seen[-1]
    assert last["n"] == 900 and last["initial"] == 600 and last["trained"] == 300
    assert last["seconds"] == pytest.approx(4.0) and last["rate"] == pytest.approx(75.0)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_one_bar_spans_all_checkpoint_steps_and_resume(corpus_file, tmp_path, engine):
    corpus = load_corpus(corpus_file, min_count=1)
    config = fast_config() if engine == "fast" else ref_config()
    seen: list[dict] = []
    saves = []

    def stop_after_three(path):
        saves.append(path)
        if len(saves) == 3:
            os.kill(os.getpid(), signal.SIGINT)

    trainer = FastTrainer(corpus, config, progress=False, chunk_words=200) if engine == "fast" else None
    with pytest.raises(WordvecError):
        checkpoint.train_with_checkpoints(corpus, config, tmp_path / "run", every=150, progress=False,
                                          trainer=trainer,
                                          info={"source": str(corpus_file), "book": False},
                                          on_save=stop_after_three, on_progress=seen.append)
    assert len(saves) == 3 and seen
    assert {s["initial"] for s in seen} == {0} and len({s["total"] for s in seen}) == 1
    positions = [s["n"] for s in seen]
    assert positions == sorted(positions) and positions[0] > 0  # never restarts at a checkpoint
    _, meta = checkpoint.load_checkpoint(tmp_path / "run")
    stopped_at = meta["state"]["words_done"]
    assert positions[-1] == stopped_at

    later: list[dict] = []
    checkpoint.resume(tmp_path / "run", progress=False, on_progress=later.append)
    assert {s["initial"] for s in later} == {stopped_at}
    final = later[-1]
    assert final["n"] == final["total"] and final["trained"] == final["total"] - stopped_at
    assert final["rate"] == pytest.approx(final["trained"] / final["seconds"], rel=1e-9)
