#!/usr/bin/env python
"""Opening a big native vector file memory-mapped: `KeyedVectors.load(path, mmap="r")`.

Writes a native file of V words x D dimensions (default 3,000,000 x 300, 3.6 GB: the GoogleNews
size; random vectors, words of 4-20 letters), then in fresh processes (median of --runs) times the
load and one `most_similar` query, and reads the process's private and shared memory from
/proc/self/smaps_rollup: the vectors stay in the page cache, shared by every process that maps
the file, and only the word list is private. Also times a plain load (`mmap=None`) once.

    python benchmarks/bench_mmap.py --runs 3 --out benchmarks/results/bench_mmap.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """
import sys, time
t = time.perf_counter()
from wordvec import KeyedVectors
kv = KeyedVectors.load(sys.argv[1], mmap=None if sys.argv[2] == "none" else "r")
load = time.perf_counter() - t
def memory():
    out = {}
    for line in open("/proc/self/smaps_rollup"):
        key, _, value = line.partition(":")
        if key in ("Rss", "Private_Clean", "Private_Dirty", "Shared_Clean"):
            out[key] = int(value.split()[0]) / 1024
    return out
after_load = memory()
t = time.perf_counter()
kv.most_similar(kv.index_to_key[12345], topn=10)
query = time.perf_counter() - t
t = time.perf_counter()
kv.most_similar(kv.index_to_key[54321], topn=10)
second = time.perf_counter() - t
print(load, query, second, after_load["Private_Clean"] + after_load["Private_Dirty"], memory()["Rss"])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=3_000_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import numpy as np

    from wordvec.formats import write_native

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.npz"
        rng = np.random.default_rng(0)
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        lengths = rng.integers(4, 21, args.words)
        pool = letters[rng.integers(0, 26, int(lengths.sum()))]
        ends = np.cumsum(lengths)
        words = ["".join(pool[e - n:e]) + str(i) for i, (e, n) in enumerate(zip(ends.tolist(), lengths.tolist()))]
        vectors = rng.standard_normal((args.words, args.dim), dtype=np.float32)
        write_native(path, vectors, words, None, {}, "bench")
        del vectors
        size = path.stat().st_size
        rows = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", PROBE, str(path), "r"], check=True, capture_output=True,
                                 text=True).stdout.split()
            rows.append([float(x) for x in out])
        plain = [float(x) for x in subprocess.run([sys.executable, "-c", PROBE, str(path), "none"], check=True,
                                                  capture_output=True, text=True).stdout.split()]
    med = [statistics.median(r[i] for r in rows) for i in range(5)]
    report = {"words": args.words, "dim": args.dim, "file_bytes": size, "runs": rows, "plain_load": plain,
              "median_mmap_load_s": med[0], "median_first_query_s": med[1], "median_second_query_s": med[2],
              "median_private_mib_after_load": med[3], "median_rss_mib_after_queries": med[4]}
    print(f"{args.words:,} x {args.dim} ({size / 2**30:.2f} GiB): mmap load {med[0]:.2f} s "
          f"(private memory {med[3]:.0f} MiB), first query {med[1]:.2f} s, second {med[2]:.2f} s; "
          f"plain load {plain[0]:.2f} s")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
