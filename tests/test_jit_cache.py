"""The compiled-kernel cache can never run stale code, and broken cache files never break a run.

Each test copies the package into a temporary folder (so its `__pycache__` is private), then runs
real processes on that copy: the first compiles and caches, the second must load from the cache,
and after a helper that a chunk kernel inlines is edited, the next process must run the new code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import wordvec

SCRIPT = r"""
import json, sys
import numpy as np
from wordvec.config import TrainConfig
from wordvec.corpus import EncodedCorpus, Vocabulary
from wordvec.fast import FastTrainer

rng = np.random.default_rng(0)
ids = rng.integers(0, 30, 3000).astype(np.int32)
offsets = np.arange(0, 3001, 30).astype(np.int64)
corpus = EncodedCorpus(ids, offsets, Vocabulary([f"w{i}" for i in range(30)], np.bincount(ids, minlength=30)))
config = TrainConfig(model="cbow", loss="ns", dim=8, window=2, negative=3, epochs=1, threads=1,
                     min_count=1, sample=0.0, seed=5)
trainer = FastTrainer(corpus, config, progress=False)
trainer.run()
stats = trainer._chunk_kernel.stats
print(json.dumps({"vectors": trainer.W_in.ravel().tolist(),
                  "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
"""


@pytest.fixture()
def package_copy(tmp_path: Path) -> Path:
    """A private copy of the wordvec sources (no compiled files) on its own import path."""
    root = tmp_path / "site"
    shutil.copytree(Path(wordvec.__file__).parent, root / "wordvec",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    return root


def run_copy(root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["PYTHONPATH"] = str(root)
    env["XDG_CACHE_HOME"] = str(root / "xdg-cache")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=300, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not found once in {path}"
    path.write_text(text.replace(old, new))


def test_editing_an_inlined_helper_recompiles_the_kernel(package_copy: Path):
    first = run_copy(package_copy)
    assert first["misses"] == 1 and first["hits"] == 0
    second = run_copy(package_copy)
    assert second["hits"] == 1 and second["misses"] == 0  # the cache is really used
    assert second["vectors"] == first["vectors"]  # same code, same process kind: bit-identical

    # the random-number helper every kernel inlines: a different Weyl step changes every draw
    edit(package_copy / "wordvec" / "fast" / "_rng.py", "return state + _GOLDEN", "return state + _GOLDEN + _GOLDEN")
    third = run_copy(package_copy)
    assert third["misses"] == 1, "the kernel was loaded from a cache compiled from the old helper"
    assert third["vectors"] != first["vectors"]

    # a helper in another file (the step's backward pass), proven by its effect: no input update
    edit(package_copy / "wordvec" / "fast" / "step.py",
         "                    W_in[r, d] += E[0, d]\n",
         "                    W_in[r, d] += _ZERO * E[0, d]\n")
    fourth = run_copy(package_copy)
    assert fourth["misses"] == 1
    assert fourth["vectors"] != third["vectors"]
    fifth = run_copy(package_copy)  # and the new code is cached in turn
    assert fifth["hits"] == 1 and fifth["vectors"] == fourth["vectors"]


def test_garbage_or_truncated_cache_files_recompile(package_copy: Path):
    first = run_copy(package_copy)
    cache_files = [p for p in package_copy.rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert cache_files, "no cache files were written"
    for i, path in enumerate(cache_files):
        data = path.read_bytes()
        if i % 3 == 0:
            path.write_bytes(data[: len(data) // 2])  # truncated
        elif i % 3 == 1:
            path.write_bytes(os.urandom(len(data)))  # garbage of the same size
        else:
            path.write_bytes(b"")  # empty
    again = run_copy(package_copy)
    assert again["vectors"] == first["vectors"]
    assert again["misses"] == 1
    healed = run_copy(package_copy)  # the rewritten cache is good again
    assert healed["hits"] == 1 and healed["vectors"] == first["vectors"]


def test_flipped_bytes_in_a_data_file_are_detected(package_copy: Path):
    first = run_copy(package_copy)
    data_files = sorted(package_copy.rglob("kernels.cbow_chunk-*.nbc"))
    assert data_files
    for path in data_files:
        blob = bytearray(path.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        path.write_bytes(bytes(blob))
    again = run_copy(package_copy)
    assert again["misses"] == 1 and again["vectors"] == first["vectors"]


def test_unwritable_cache_location_still_trains(package_copy: Path, tmp_path: Path):
    (package_copy / "wordvec" / "fast" / "__pycache__").write_text("not a directory")
    (package_copy / "xdg-cache").write_text("not a directory either")
    result = run_copy(package_copy)
    assert result["misses"] == 1 and len(result["vectors"]) == 30 * 8
