#!/usr/bin/env python
"""Benchmark the fast engine against gensim on PTB: speed, quality, thread scaling, corpus size.

Sections (choose with --sections, default all):
  throughput  PTB train, same settings for both, alternating wordvec/gensim per run (--seeds runs);
              median words/s of the training call and the ratio; each run uses a new seed and is evaluated
              (analogy accuracy on questions-words, WS353 Spearman) so quality is a mean over seeds.
  threads     words/s with 1 and 2 threads for both libraries (alternating, medians).
  scale       PTB train repeated --repeat times as one file, 1 epoch, whole processes (startup,
              vocabulary, training, saving binary vectors), alternating; wall time and peak RSS.
Both libraries get the same vocabulary settings (min_count 1) and word2vec options. Timings on a
shared machine are only comparable within one run, where the alternation exposes both to the same
load. Needs gensim (the `bench` extra) and $WORDVEC_DATA (ptb/, eval/).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(os.environ.get("WORDVEC_DATA", "/work/shared/data"))
PTB = DATA / "ptb" / "ptb.train.txt"
ANALOGIES = DATA / "eval" / "questions-words.txt"
WS353 = DATA / "eval" / "wordsim353.tsv"


def options(args, model: str, threads: int, seed: int, epochs: int) -> dict:
    return dict(model=model, dim=args.dim, window=args.window, negative=args.negative, sample=args.sample,
                epochs=epochs, threads=threads, seed=seed, min_count=1)


# ---- in-process training (timing covers the training call only) ----


def train_wordvec(corpus, opts: dict):
    from wordvec.config import TrainConfig
    from wordvec.fast import FastTrainer

    trainer = FastTrainer(corpus, TrainConfig(engine="fast", **opts), progress=False)
    start = time.perf_counter()
    trainer.run()
    seconds = time.perf_counter() - start
    return trainer.keyed_vectors(), seconds


def train_gensim(sentences, opts: dict):
    from gensim.models import Word2Vec

    from wordvec.vectors import KeyedVectors

    model = Word2Vec(vector_size=opts["dim"], window=opts["window"], negative=opts["negative"],
                     sample=opts["sample"], min_count=opts["min_count"], workers=opts["threads"],
                     sg=1 if opts["model"] == "skipgram" else 0, seed=opts["seed"], hs=0)
    model.build_vocab(sentences)
    start = time.perf_counter()
    model.train(sentences, total_examples=model.corpus_count, epochs=opts["epochs"])
    seconds = time.perf_counter() - start
    wv = model.wv
    return KeyedVectors(np.asarray(wv.vectors, dtype=np.float32), list(wv.index_to_key)), seconds


def quality(kv) -> dict:
    from wordvec.evaluate import evaluate_analogies, evaluate_word_pairs

    return {"analogy": evaluate_analogies(kv, ANALOGIES).accuracy,
            "ws353": evaluate_word_pairs(kv, WS353).spearman}


def section_throughput(args, corpus, sentences, report: dict) -> None:
    n_words = len(corpus)
    for model in args.models:
        rows = {"wordvec": [], "gensim": []}
        for run in range(args.seeds):
            seed = run + 1
            opts = options(args, model, args.threads, seed, args.epochs)
            order = ("wordvec", "gensim") if run % 2 == 0 else ("gensim", "wordvec")
            for lib in order:
                kv, seconds = (train_wordvec(corpus, opts) if lib == "wordvec" else train_gensim(sentences, opts))
                row = {"seed": seed, "seconds": seconds, "words_per_sec": n_words * args.epochs / seconds}
                if not args.no_quality:
                    row.update(quality(kv))
                rows[lib].append(row)
                print(f"  {model:8s} {lib:7s} seed {seed}: {row['words_per_sec']:>12,.0f} words/s"
                      + (f"  analogy {row['analogy']:.4f}  ws353 {row['ws353']:.3f}" if not args.no_quality else ""),
                      flush=True)
        summary = {}
        for lib, lib_rows in rows.items():
            summary[lib] = {"median_words_per_sec": statistics.median(r["words_per_sec"] for r in lib_rows)}
            if not args.no_quality:
                for key in ("analogy", "ws353"):
                    values = [r[key] for r in lib_rows]
                    summary[lib][f"{key}_mean"] = float(np.mean(values))
                    summary[lib][f"{key}_std"] = float(np.std(values))
        summary["speed_ratio"] = summary["wordvec"]["median_words_per_sec"] / summary["gensim"]["median_words_per_sec"]
        if not args.no_quality and args.seeds > 1:
            # wordvec - gensim and the standard error of that difference (sample stds over the seeds)
            for key in ("analogy", "ws353"):
                a, b = ([r[key] for r in rows[lib]] for lib in ("wordvec", "gensim"))
                summary[f"{key}_diff"] = float(np.mean(a) - np.mean(b))
                summary[f"{key}_diff_se"] = float(np.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b)))
        report.setdefault("throughput", {})[model] = {"runs": rows, "summary": summary}
        print(f"{model}: wordvec/gensim speed x{summary['speed_ratio']:.2f}  " + json.dumps(summary), flush=True)


def section_threads(args, corpus, sentences, report: dict) -> None:
    n_words = len(corpus)
    for model in args.models:
        speeds: dict[str, list] = {}
        for run in range(args.runs):
            for threads in ((1, 2) if run % 2 == 0 else (2, 1)):
                for lib in ("wordvec", "gensim"):
                    opts = options(args, model, threads, run + 1, args.thread_epochs)
                    _, seconds = (train_wordvec(corpus, opts) if lib == "wordvec" else train_gensim(sentences, opts))
                    speeds.setdefault(f"{lib}_{threads}", []).append(n_words * args.thread_epochs / seconds)
        med = {k: statistics.median(v) for k, v in speeds.items()}
        med["wordvec_scaling"] = med["wordvec_2"] / med["wordvec_1"]
        med["gensim_scaling"] = med["gensim_2"] / med["gensim_1"]
        report.setdefault("threads", {})[model] = {"runs": speeds, "median": med}
        print(f"{model} threads: " + "  ".join(f"{k} {v:,.2f}" for k, v in med.items()), flush=True)


# ---- whole processes ----

WORDVEC_SCRIPT = """
import sys
from wordvec.config import TrainConfig
from wordvec.corpus import load_corpus
from wordvec.fast import train
path, out, model, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
corpus = load_corpus(path, min_count=1)
cfg = TrainConfig(model=model, epochs=1, threads=threads, min_count=1, dim={dim}, window={window},
                  negative={negative}, sample={sample}, seed=1)
train(corpus, cfg, progress=False).save(out, format="binary")
""" + "\n" + "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"

GENSIM_SCRIPT = """
import sys
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
path, out, model, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
source = dict(corpus_file=path) if {corpus_file} else dict(sentences=LineSentence(path))
m = Word2Vec(**source, vector_size={dim}, window={window}, negative={negative}, sample={sample},
             min_count=1, workers=threads, sg=1 if model == "skipgram" else 0, epochs=1, seed=1, hs=0)
m.wv.save_word2vec_format(out, binary=True)
""" + "\n" + "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"


def run_process(script: str, argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one child process.

    Peak RSS is the child's own VmHWM (printed by the script as its last line): getrusage's
    ru_maxrss of a child also counts the parent's memory it had at fork time, before exec.
    """
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script, *argv], stdout=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed with exit code {proc.returncode}")
    return seconds, int(proc.stdout.split()[-1]) / 1024.0


def section_scale(args, report: dict) -> None:
    settings = dict(dim=args.dim, window=args.window, negative=args.negative, sample=args.sample)
    scripts = {"wordvec": WORDVEC_SCRIPT.format(**settings),
               "gensim": GENSIM_SCRIPT.format(corpus_file=args.gensim_corpus_file, **settings)}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        path = Path(tmp) / f"ptb_x{args.repeat}.txt"
        text = PTB.read_text()
        with open(path, "w") as handle:
            for _ in range(args.repeat):
                handle.write(text)
        n_words = len(text.split()) * args.repeat
        warm = Path(tmp) / "warm.txt"
        warm.write_text("\n".join(text.splitlines()[:2000]) + "\n")
        for model in args.models:
            # untimed: a first process compiles the model's kernel if the cache is cold (2-7 s)
            run_process(scripts["wordvec"], [str(warm), str(Path(tmp) / "warm.bin"), model, str(args.threads)])
            rows: dict[str, list] = {"wordvec": [], "gensim": []}
            for run in range(args.runs):
                for lib in (("wordvec", "gensim") if run % 2 == 0 else ("gensim", "wordvec")):
                    seconds, rss = run_process(scripts[lib], [str(path), str(Path(tmp) / f"{lib}.bin"), model,
                                                              str(args.threads)])
                    rows[lib].append({"seconds": seconds, "peak_rss_mib": rss})
                    print(f"  x{args.repeat} {model:8s} {lib:7s}: {seconds:7.2f} s  {rss:7.0f} MiB  "
                          f"{n_words / seconds:,.0f} words/s", flush=True)
            med = {lib: {"median_seconds": statistics.median(r["seconds"] for r in v),
                         "median_peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in v)} for lib, v in rows.items()}
            med["speedup"] = med["gensim"]["median_seconds"] / med["wordvec"]["median_seconds"]
            report.setdefault("scale", {})[model] = {"words": n_words, "runs": rows, "median": med}
            print(f"x{args.repeat} {model}: wordvec is x{med['speedup']:.2f} faster than gensim  " + json.dumps(med),
                  flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sections", default="throughput,threads,scale")
    p.add_argument("--models", default="skipgram,cbow")
    p.add_argument("--runs", type=int, default=3, help="runs per library (threads, scale)")
    p.add_argument("--seeds", type=int, default=None,
                   help="throughput: runs (seeds 1..N) per library and model (default: --runs); quality "
                        "differences between engines are of the order of the seed noise, so use 10+ for them")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--thread-epochs", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=10, help="PTB copies for the scale section")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--gensim-corpus-file", action="store_true",
                   help="scale: gensim reads with corpus_file= (its file-based multi-thread reader) instead of LineSentence")
    p.add_argument("--no-quality", action="store_true", help="skip the evaluations in throughput")
    p.add_argument("--quick", action="store_true", help="1 run, 1 epoch, no quality, x2 scale")
    p.add_argument("--workdir", default=None, help="where the scale corpus is written (temp dir)")
    p.add_argument("--json", default=None, help="write the full report here")
    args = p.parse_args(argv)
    if args.quick:
        args.runs, args.seeds, args.epochs, args.thread_epochs, args.repeat, args.no_quality = 1, 1, 1, 1, 2, True
    if args.seeds is None:
        args.seeds = args.runs
    args.models = args.models.split(",")
    sections = args.sections.split(",")
    report: dict = {"settings": {k: v for k, v in vars(args).items()}, "cpus": os.cpu_count()}

    corpus = sentences = None
    if {"throughput", "threads"} & set(sections):
        from wordvec.corpus import load_corpus

        corpus = load_corpus(PTB, min_count=1)
        sentences = [line.split() for line in open(PTB)]
        train_wordvec(corpus, options(args, "skipgram", 1, 1, 1) | {"epochs": 1})  # load cached kernels
    if "throughput" in sections:
        section_throughput(args, corpus, sentences, report)
    if "threads" in sections:
        section_threads(args, corpus, sentences, report)
    if "scale" in sections:
        section_scale(args, report)
    if args.json:
        from wordvec.fileio import atomic_write

        with atomic_write(args.json, "w") as handle:
            json.dump(report, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
