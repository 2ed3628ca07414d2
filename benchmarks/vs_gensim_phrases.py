#!/usr/bin/env python
"""Phrases: wordvec against gensim 4 on PTB train x10 (8.9M words), the same settings, alternating.

Each step runs in a fresh process, timed inside it (after imports; Numba's kernels come from its
on-disk cache after a warm-up process): learning the phrases from the file, then applying them
to the whole file and writing the result, one sentence a line. gensim reads the file with its
`LineSentence` and writes `" ".join(sentence)` per line (its documented way); wordvec reads it
with `LineSentence` too (which its tokenizer reads directly) and writes with `FrozenPhrases.apply`.
Both outputs are compared byte for byte. gensim is also timed applying its frozen model
(`freeze()`), its fastest way. Default scoring (min_count 5, threshold 10) and npmi (0.5).

    python benchmarks/vs_gensim_phrases.py --runs 3 --out benchmarks/results/vs_gensim_phrases.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

DATA = Path(os.environ.get("WORDVEC_DATA", "/work/shared/data"))
PTB = DATA / "ptb" / "ptb.train.txt"

CODE = {
    "wordvec": """
import sys, time
from wordvec import LineSentence, Phrases
t = time.perf_counter()
model = Phrases(LineSentence(sys.argv[1]), **{settings})
learn = time.perf_counter() - t
t = time.perf_counter()
model.freeze().apply(sys.argv[1], sys.argv[2])
print(learn, time.perf_counter() - t, 0.0)
""",
    "gensim": """
import sys, time
from gensim.models.phrases import Phrases
from gensim.models.word2vec import LineSentence
t = time.perf_counter()
model = Phrases(LineSentence(sys.argv[1]), **{settings})
learn = time.perf_counter() - t
t = time.perf_counter()
with open(sys.argv[2], "w") as out:
    for sentence in model[LineSentence(sys.argv[1])]:
        out.write(" ".join(sentence) + "\\n")
apply = time.perf_counter() - t
frozen = model.freeze()
t = time.perf_counter()
with open(sys.argv[2] + ".frozen", "w") as out:
    for sentence in frozen[LineSentence(sys.argv[1])]:
        out.write(" ".join(sentence) + "\\n")
print(learn, apply, time.perf_counter() - t)
""",
}

SETTINGS = {"default": {}, "npmi": {"scoring": "npmi", "threshold": 0.5}}


def run(tool: str, settings: dict, corpus: Path, out: Path) -> tuple[float, float, float]:
    code = CODE[tool].replace("{settings}", repr(settings))
    result = subprocess.run([sys.executable, "-c", code, str(corpus), str(out)], check=True, capture_output=True,
                            text=True)
    learn, apply, frozen = map(float, result.stdout.split())
    return learn, apply, frozen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = folder / "ptb_x10.txt"
        text = PTB.read_bytes()
        corpus.write_bytes(text * args.copies)
        run("wordvec", {}, corpus, folder / "warm.txt")  # compiles the kernels into Numba's cache
        report = {}
        for name, settings in SETTINGS.items():
            times: dict[str, list] = {"wordvec": [], "gensim": []}
            for _ in range(args.runs):
                for tool in ("gensim", "wordvec"):
                    times[tool].append(run(tool, settings, corpus, folder / f"{tool}.txt"))
            same = (folder / "gensim.txt").read_bytes() == (folder / "wordvec.txt").read_bytes()
            med = {tool: [statistics.median(t[i] for t in runs) for i in range(3)] for tool, runs in times.items()}
            report[name] = {
                "settings": settings, "identical_output": same, "runs": times,
                "median_learn_s": {t: med[t][0] for t in med}, "median_apply_s": {t: med[t][1] for t in med},
                "gensim_frozen_apply_s": med["gensim"][2],
                "learn_ratio": med["gensim"][0] / med["wordvec"][0],
                "apply_ratio": med["gensim"][1] / med["wordvec"][1],
                "apply_ratio_vs_gensim_frozen": med["gensim"][2] / med["wordvec"][1],
                "learn_and_apply_ratio": (med["gensim"][0] + med["gensim"][1]) / (med["wordvec"][0] + med["wordvec"][1]),
            }
            r = report[name]
            print(f"{name}: learn {med['gensim'][0]:.2f} s / {med['wordvec'][0]:.2f} s ({r['learn_ratio']:.1f}x), "
                  f"apply {med['gensim'][1]:.2f} s / {med['wordvec'][1]:.2f} s ({r['apply_ratio']:.1f}x; gensim frozen "
                  f"{med['gensim'][2]:.2f} s, {r['apply_ratio_vs_gensim_frozen']:.1f}x), identical output: {same}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
