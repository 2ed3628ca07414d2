"""Data-parallel training on a local Ray cluster against one machine (issue 12).

PTB train, skip-gram NS, dim 100, window 5, 5 epochs, min_count 5, sample 1e-3, seeds 1-3:
- quality: one machine (fast engine, 2 threads) against 2, 4 and 8 Ray workers (1 thread
  each; 8 oversubscribe this 2-core machine: quality only), the three merges (scaled, the
  default; average; sum) and sync periods; Google analogies and WS353;
- speed: training words/s of 1 and 2 workers in the same run (medians of `--repeats`; default
  periods and a common 50k period), Ray start-up and shard reading reported apart.
Writes benchmarks/results/bench_cluster.json. Run: python benchmarks/bench_cluster.py
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

import ray

from wordvec import evaluate
from wordvec.cluster import ClusterTrainer
from wordvec.config import TrainConfig
from wordvec.fast.trainer import FastTrainer
from wordvec.corpus import load_corpus

DATA = Path(os.environ.get("WORDVEC_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def scores(kv) -> dict:
    a = evaluate.evaluate_analogies(kv, DATA / "eval/questions-words.txt")
    p = evaluate.evaluate_word_pairs(kv, DATA / "eval/wordsim353.tsv")
    return {"analogies": a.accuracy, "ws353": p.spearman}


def cluster_run(config, workers, **options) -> dict:
    with ClusterTrainer("ptb", config, workers=workers, progress=False, **options) as trainer:
        trainer.run()
        kv = trainer.keyed_vectors()
    meta = kv.metadata["cluster"]
    return {**scores(kv), "words_per_sec": kv.metadata["words_per_sec"], "periods": meta["periods"],
            "mean_update_mb": meta["mean_update_bytes"] / 1e6, "sync_seconds": meta["sync_seconds"],
            "train_seconds": kv.metadata["train_seconds"], "ray_start_seconds": meta["ray_start_seconds"],
            "read_seconds": meta["read_seconds"], "sync_every": meta["sync_every"]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--speed-only", action="store_true",
                        help="only the 1-vs-2-worker speed runs (writes bench_cluster_speed.json)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_cluster.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    ray.init(num_cpus=8, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    ray_init = time.perf_counter() - started
    base = dict(model="skipgram", dim=100, window=5, epochs=5, min_count=5, sample=1e-3)
    corpus = load_corpus(DATA / "ptb/ptb.train.txt", min_count=5)
    runs: dict[str, list] = {}

    def record(name, result):
        runs.setdefault(name, []).append(result)
        print(name, {k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}, flush=True)

    # quality
    variants = [("ray 2 workers", 2, {}), ("ray 4 workers", 4, {}), ("ray 8 workers", 8, {}),
                ("ray 2 workers, average", 2, {"merge": "average"}),
                ("ray 4 workers, average", 4, {"merge": "average"}),
                ("ray 2 workers, sum", 2, {"merge": "sum"}),
                ("ray 4 workers, sum", 4, {"merge": "sum"}),
                ("ray 4 workers, sync 10k", 4, {"sync_every": 10_000}),
                ("ray 4 workers, sync 200k", 4, {"sync_every": 200_000}),
                ("ray 8 workers, sync 50k", 8, {"sync_every": 50_000}),
                ("ray 8 workers, sync 200k", 8, {"sync_every": 200_000})]
    if args.speed_only:
        args.seeds = 0
        if args.out == parser.get_default("out"):
            args.out = str(Path(args.out).with_name("bench_cluster_speed.json"))
    for seed in range(1, args.seeds + 1):
        t = FastTrainer(corpus, TrainConfig(**base, threads=2, seed=seed), progress=False)
        t.run()
        kv = t.keyed_vectors()
        record("one machine, 2 threads", {**scores(kv), "words_per_sec": kv.metadata["words_per_sec"]})
        for name, workers, options in variants:
            record(name, cluster_run(TrainConfig(**base, threads=1, seed=seed), workers, **options))
    # speed: 1 and 2 workers alternating in this one run, with the default periods (200k words
    # for 1 worker, 1/20 of a worker's share for 2) and with the same 50k period for both
    for _ in range(args.repeats):
        for workers in (1, 2):
            record(f"speed {workers} worker(s)", cluster_run(TrainConfig(**base, threads=1, seed=1), workers))
            record(f"speed {workers} worker(s), sync 50k",
                   cluster_run(TrainConfig(**base, threads=1, seed=1), workers, sync_every=50_000))
    summary = {}
    for name, results in runs.items():
        summary[name] = {key: {"mean": statistics.fmean(r[key] for r in results),
                               "median": statistics.median(r[key] for r in results),
                               "sd": statistics.stdev(r[key] for r in results) if len(results) > 1 else 0.0}
                         for key in results[0]}
    def speedup(suffix=""):
        one, two = (statistics.median(r["words_per_sec"] for r in runs[f"speed {w} worker(s){suffix}"])
                    for w in (1, 2))
        return two / one

    report = {"machine": os.uname().machine, "cpus": os.cpu_count(), "ray_init_seconds": ray_init,
              "speedup_2_vs_1": speedup(), "speedup_2_vs_1_sync_50k": speedup(", sync 50k"),
              "summary": summary, "runs": runs}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(f"2 workers / 1 worker words/s: {report['speedup_2_vs_1']:.2f}x (both at sync 50k: "
          f"{report['speedup_2_vs_1_sync_50k']:.2f}x); ray.init {ray_init:.1f} s", flush=True)
    for name, s in summary.items():
        print(f"{name:28s} analogies {s['analogies']['mean']:.4f} ± {s['analogies']['sd']:.4f}  "
              f"ws353 {s['ws353']['mean']:.4f} ± {s['ws353']['sd']:.4f}  "
              f"words/s {s['words_per_sec']['median']:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
