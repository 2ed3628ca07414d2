"""Corpus reading speed: read + count + encode of PTB train repeated N times (default 10).

    WORDVEC_DATA=/work/shared/data python benchmarks/bench_corpus.py [--repeat 10] [--runs 5]

Reports the first-call time with an empty Numba cache (compilation included, measured in a fresh
subprocess), the median tokens/s over several warm runs (wall clock and CPU time, as CPU time is
steadier on a busy machine), and the peak memory that NumPy
allocations reach during one run (tracemalloc) next to the process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from wordvec.corpus import load_corpus
from wordvec.datasets import dataset_path

_COLD = """
import sys, time
t = time.perf_counter()
from wordvec.corpus import load_corpus
t1 = time.perf_counter()
load_corpus(sys.argv[1], min_count=1)
t2 = time.perf_counter()
print(t1 - t, t2 - t1)
"""


def make_corpus(directory: Path, repeat: int) -> Path:
    text = dataset_path("ptb", "train").read_bytes()
    path = directory / f"ptb_train_x{repeat}.txt"
    with open(path, "wb") as out:
        for _ in range(repeat):
            out.write(text)
    return path


def cold_start(path: Path, tiny: Path) -> tuple[float, float]:
    """(import s, first load_corpus on a tiny file s) with an empty Numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", _COLD, str(tiny)], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = make_corpus(tmp, args.repeat)
        tiny = tmp / "tiny.txt"
        tiny.write_text("a b c\nb c\n")
        import_s, compile_s = cold_start(path, tiny)
        load_corpus(tiny, min_count=1)  # warm (cached compile)
        times, cpu = [], []
        for _ in range(args.runs):
            t, c = time.perf_counter(), time.process_time()
            corpus = load_corpus(path, min_count=1)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        tracemalloc.start()
        load_corpus(path, min_count=1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size_mb = path.stat().st_size / 1e6
    n = len(corpus)
    med = statistics.median(times)
    med_cpu = statistics.median(cpu)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    rows = [
        ("corpus", f"PTB train x{args.repeat}: {n:,} tokens, {size_mb:.1f} MB, {len(corpus.vocab):,} words"),
        ("first call, empty Numba cache", f"{compile_s:.2f} s (+ {import_s:.2f} s import)"),
        (f"read+count+encode, median of {args.runs}", f"{med:.3f} s wall, {med_cpu:.3f} s CPU"),
        ("throughput (wall)", f"{n / med / 1e6:.1f} M tokens/s, {size_mb / med:.0f} MB/s"),
        ("throughput (CPU time)", f"{n / med_cpu / 1e6:.1f} M tokens/s (shared machines: less noisy)"),
        ("peak traced memory (one run)", f"{peak / 1e6:.1f} MB ({peak / n:.2f} bytes/token)"),
        ("peak RSS of this process", f"{rss:.0f} MiB"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
