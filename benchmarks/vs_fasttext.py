#!/usr/bin/env python
"""The subword (fastText) model: wordvec, Facebook's fastText (pip `fasttext-wheel`) and gensim's
FastText side by side on PTB train, the same settings, alternating, several seeds.

Each run is a whole process (interpreter start, reading, training, saving the model file), timed
by wall clock, with its peak RSS from `wait4`; the model file's size is what that tool saves
(wordvec: native .npz; fastText: its .bin; gensim: `FastText.save`, all its files). Quality is
measured afterwards on the saved model: Google analogies (total and syntactic sections) and
WS353 Spearman, with wordvec's evaluator (gensim's rules) on each tool's vocabulary vectors;
fastText's .bin is read with `wordvec.facebook`, which gives fastText's own `get_word_vector`.

Settings (the issue's): skip-gram, dim 100, window 5, 5 negatives, min_count 1, sample 1e-3,
5 epochs, 2 threads, n-grams 3-6, 2,000,000 buckets, each tool's default learning rate (wordvec
and fastText 0.05, gensim 0.025). Needs the `bench` extra and $WORDVEC_DATA.

    python benchmarks/vs_fasttext.py --seeds 3 --out benchmarks/results/vs_fasttext.json
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

DATA = Path(os.environ.get("WORDVEC_DATA", "/work/shared/data"))
PTB = DATA / "ptb" / "ptb.train.txt"
ANALOGIES = DATA / "eval" / "questions-words.txt"
WS353 = DATA / "eval" / "wordsim353.tsv"

TRAIN = {
    "wordvec": """
import sys, wordvec
kv = wordvec.train(sys.argv[1], model="skipgram", subwords=True, minn=3, maxn=6, bucket=2_000_000, dim=100,
                   window=5, negative=5, min_count=1, sample=1e-3, epochs={epochs}, threads={threads}, seed={seed})
kv.save(sys.argv[2] + "/model.npz")
""",
    "fasttext": """
import sys, fasttext
m = fasttext.train_unsupervised(sys.argv[1], model="skipgram", dim=100, ws=5, neg=5, minCount=1, t=1e-3,
                                epoch={epochs}, thread={threads}, minn=3, maxn=6, bucket=2_000_000, verbose=0)
m.save_model(sys.argv[2] + "/model.bin")
""",
    "gensim": """
import sys
from gensim.models import FastText
from gensim.models.word2vec import LineSentence
m = FastText(sentences=LineSentence(sys.argv[1]), sg=1, vector_size=100, window=5, negative=5, min_count=1,
             sample=1e-3, epochs={epochs}, workers={threads}, min_n=3, max_n=6, bucket=2_000_000, seed={seed})
m.save(sys.argv[2] + "/model.gensim")
""",
}


def run_one(tool: str, seed: int, args, folder: Path) -> dict:
    code = TRAIN[tool].format(epochs=args.epochs, threads=args.threads, seed=seed)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(PTB), str(folder)], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{tool} run failed (status {status})")
    size = sum(p.stat().st_size for p in folder.iterdir())
    # quality in a process of its own: this one must stay small, since a child's peak RSS counts
    # the parent's at the fork (Linux keeps the high-water mark across exec)
    scores = subprocess.run([sys.executable, __file__, "--quality", tool, str(folder)], check=True,
                            capture_output=True, text=True).stdout
    return {"tool": tool, "seed": seed, "seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024,
            "model_mb": size / 1e6, **json.loads(scores.strip().splitlines()[-1])}


def vocabulary_vectors(tool: str, folder: Path):
    import numpy as np

    from wordvec.vectors import KeyedVectors

    if tool == "wordvec":
        return KeyedVectors.load(folder / "model.npz")
    if tool == "fasttext":
        return KeyedVectors.load(folder / "model.bin")
    from gensim.models import FastText

    wv = FastText.load(str(folder / "model.gensim")).wv
    return KeyedVectors(np.asarray(wv.vectors, dtype=np.float32), list(wv.index_to_key))


def quality(tool: str, folder: Path) -> dict:
    from wordvec.evaluate import evaluate_analogies, evaluate_word_pairs

    kv = vocabulary_vectors(tool, folder)  # the questions and pairs use vocabulary words only
    result = evaluate_analogies(kv, ANALOGIES)
    syntactic = [s for s in result.sections if s.section.startswith("gram")]
    return {"analogy": result.accuracy,
            "syntactic": sum(s.correct for s in syntactic) / max(1, sum(s.total for s in syntactic)),
            "ws353": evaluate_word_pairs(kv, WS353).spearman}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tools", nargs="+", default=list(TRAIN), choices=list(TRAIN))
    parser.add_argument("--out", help="write the runs and the summary here as JSON")
    parser.add_argument("--quality", nargs=2, metavar=("TOOL", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quality:
        print(json.dumps(quality(args.quality[0], Path(args.quality[1]))))
        return
    runs = []
    for seed in range(1, args.seeds + 1):
        order = args.tools if seed % 2 else list(reversed(args.tools))  # alternate who goes first
        for tool in order:
            with tempfile.TemporaryDirectory() as folder:
                run = run_one(tool, seed, args, Path(folder))
            runs.append(run)
            print(json.dumps(run), flush=True)
    summary = {}
    for tool in args.tools:
        mine = [r for r in runs if r["tool"] == tool]
        summary[tool] = {key: statistics.mean(r[key] for r in mine)
                         for key in ("seconds", "peak_rss_mb", "model_mb", "analogy", "syntactic", "ws353")}
        summary[tool]["seconds_median"] = statistics.median(r["seconds"] for r in mine)
    base = summary.get("wordvec")
    if base:
        for tool in args.tools:
            if tool != "wordvec":
                summary[f"wordvec_speed_vs_{tool}"] = summary[tool]["seconds_median"] / base["seconds_median"]
                summary[f"wordvec_rss_vs_{tool}"] = base["peak_rss_mb"] / summary[tool]["peak_rss_mb"]
                summary[f"wordvec_file_vs_{tool}"] = base["model_mb"] / summary[tool]["model_mb"]
    print(json.dumps(summary, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"settings": vars(args), "runs": runs, "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
