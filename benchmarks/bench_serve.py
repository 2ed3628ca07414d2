#!/usr/bin/env python
"""`wordvec serve` under load: neighbour queries on a 100,000 x 300 model, start-up on 1M words.

For each size (default 100,000 and 1,000,000 words x 300; random vectors, words of 4-12 letters)
it writes a native file and a word2vec binary file, then for each it starts `wordvec serve` in a
fresh process and measures:
- start: process start to the "serving at" line (the file opened, not yet normed);
- first: the first neighbours answer after that (it may wait for the background norms);
- api ms: the API's own timing of the search (`ms` in each answer), median and 95th percentile
  over --queries random words asked one at a time, and the client's round trip for the same;
- burst: 200 concurrent requests (a thread each), all answers checked, and their wall time.

    python benchmarks/bench_serve.py --out benchmarks/results/bench_serve.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote
from urllib.request import urlopen


def get(url: str) -> tuple[dict, float]:
    start = time.perf_counter()
    with urlopen(url, timeout=120) as response:
        body = json.loads(response.read())
    return body, (time.perf_counter() - start) * 1000


def measure(path: Path, words: list[str], queries: int, seed: int) -> dict:
    import numpy as np

    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "wordvec", "serve", str(path), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        opened = time.perf_counter() - start
        if not line.startswith("serving at "):
            raise SystemExit(f"server did not start for {path}: {line!r}")
        url = line.split()[2]
        _, first = get(url + "api/neighbours?word=" + quote(words[0]))
        rng = np.random.default_rng(seed)
        picks = [words[i] for i in rng.integers(0, len(words), queries)]
        api_ms, trip_ms = [], []
        for word in picks:
            body, trip = get(url + "api/neighbours?topn=10&word=" + quote(word))
            assert len(body["neighbours"]) == 10
            api_ms.append(body["ms"])
            trip_ms.append(trip)
        burst_words = [words[i] for i in rng.integers(0, len(words), 200)]
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=200) as pool:
            answers = list(pool.map(lambda w: get(url + "api/neighbours?word=" + quote(w))[0], burst_words))
        burst = time.perf_counter() - t
        assert all(len(a["neighbours"]) == 10 for a in answers)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    q = lambda xs, p: float(np.percentile(xs, p))  # noqa: E731
    return {"file": path.name, "start_s": round(opened, 3), "first_ms": round(first, 1),
            "api_ms_median": round(statistics.median(api_ms), 2), "api_ms_p95": round(q(api_ms, 95), 2),
            "round_trip_ms_median": round(statistics.median(trip_ms), 2),
            "burst_200_s": round(burst, 3), "burst_200_per_s": round(200 / burst, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import numpy as np

    from wordvec.vectors import KeyedVectors

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            rng = np.random.default_rng(size)
            letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
            words = list(dict.fromkeys("".join(rng.choice(letters, rng.integers(4, 13))) for _ in range(size * 11 // 10)))
            words = words[:size]
            kv = KeyedVectors(rng.standard_normal((len(words), args.dim)).astype(np.float32), words)
            for suffix in (".npz", ".bin"):
                path = Path(tmp) / f"{size}{suffix}"
                kv.save(path)
                row = measure(path, words, args.queries, seed=1)
                row.update(words=len(words), dim=args.dim)
                results.append(row)
                print(json.dumps(row), flush=True)
                path.unlink()
    if args.out:
        args.out.write_text(json.dumps({"results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
