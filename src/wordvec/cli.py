"""The `wordvec` command: train, query, evaluate, convert, plot.

Results go to stdout, progress to stderr. Every error a user can cause ends in one line on stderr
and exit status 1 (bad data or words) or 2 (bad usage), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Sequence

from wordvec import __version__
from wordvec.config import ENGINES, LOSSES, MODELS, OPTIMIZERS, VECTOR_FORMATS as FORMATS, TrainConfig
from wordvec.cluster.sync import MERGES
from wordvec.errors import TrainingInterrupted, WordvecError

EXIT_DATA = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Wrong command-line usage (exit 2)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (or SIGHUP) received: unwinds like Ctrl-C, so partial outputs are removed and the
    fast engine's workers stop; `main` exits 128 + signum."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


def _raise_terminated(signum, frame) -> None:
    raise Terminated(signum)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """--help shows each option's default (where it has one worth showing)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return text + " (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line instead of usage + error, and shows
    defaults in --help."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.partition(" ")[2]
        raise UsageError(f"{command + ': ' if command else ''}{message} (see {self.prog} --help)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _nonneg_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


# ---------------------------------------------------------------------------------------- train


def _add_train(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("train", help="train vectors on a corpus (file, directory, or dataset name)")
    p.add_argument("corpus", nargs="?", help="text file (.gz/.bz2/.xz too), directory, or 'ptb', 'ptb:valid'")
    p.add_argument("--out", "-o", help="output vectors: .txt/.vec word2vec text, .bin word2vec binary, else native")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="output format instead of the one --out's name picks (fasttext: Facebook's .bin)")
    p.add_argument("--model", choices=MODELS, default="skipgram",
                   help="skipgram or cbow (word2vec), ppmi (counts, PPMI, SVD)")
    p.add_argument("--engine", choices=ENGINES, default="fast",
                   help="fast (Numba, multi-threaded) or reference (the book's layers)")
    p.add_argument("--loss", choices=LOSSES, default="ns",
                   help="ns: negative sampling (both engines); fast engine: hs, hierarchical softmax, "
                        "softmax, full softmax (cost grows with the vocabulary)")
    p.add_argument("--dim", type=_positive_int, default=100, help="vector dimensions")
    p.add_argument("--window", type=_positive_int, default=None, help="default 5 (2 for ppmi)")
    p.add_argument("--negative", type=int, default=5, help="noise words per pair (negative sampling)")
    p.add_argument("--min-count", type=_positive_int, default=5, help="keep words seen at least this often")
    p.add_argument("--max-vocab", type=_positive_int, default=None, help="keep at most this many words (most frequent)")
    p.add_argument("--sample", type=_nonneg_float, default=1e-3, help="subsampling threshold (0: off)")
    p.add_argument("--epochs", type=_positive_int, default=None, help="default 5 (10 with --book)")
    p.add_argument("--lr", type=float, default=None, help="starting learning rate (default by model/engine)")
    p.add_argument("--threads", type=_positive_int, default=os.cpu_count() or 1,
                   help="training threads (fast engine; default: the CPU count)")
    p.add_argument("--seed", type=int, default=1, help="random seed (initial rows, sampling)")
    p.add_argument("--batch-size", type=_positive_int, default=100, help="reference engine")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="reference engine")
    p.add_argument("--context-smoothing", type=float, default=0.75,
                   help="PPMI context-distribution smoothing (1.0: the book)")
    p.add_argument("--alpha", type=float, default=None,
                   help="gensim's name for --lr (with --model ppmi: the deprecated spelling of --context-smoothing)")
    p.add_argument("--lowercase", action="store_true", help="lowercase the corpus as it is read")
    p.add_argument("--subwords", action="store_true",
                   help="fastText's model: a word is its row plus its character n-gram rows, so unseen "
                        "words get vectors too (both engines)")
    p.add_argument("--minn", type=_positive_int, default=None, help="shortest character n-gram (--subwords; default 3)")
    p.add_argument("--maxn", type=_positive_int, default=None, help="longest character n-gram (--subwords; default 6)")
    p.add_argument("--bucket", type=_positive_int, default=None,
                   help="n-gram hash buckets (--subwords; default 2000000, only the used ones take memory)")
    p.add_argument("--encoding-errors", choices=("strict", "replace"), default="strict",
                   help="invalid UTF-8 in the corpus: strict stops with the byte offset, replace reads U+FFFD")
    p.add_argument("--book", action="store_true",
                   help="the book's setup: <eos> per line end, one flat sequence, min-count 1, "
                        "no subsampling, 10 epochs (with --engine reference: batch 100, Adam lr 0.001)")
    p.add_argument("--history", help="also write the loss history as JSON here (for plot-loss)")
    p.add_argument("--checkpoint", help="directory for checkpoints (resumable with --resume)")
    p.add_argument("--checkpoint-every", type=_positive_int, default=None,
                   help="words between checkpoints (default: each epoch)")
    p.add_argument("--resume", help="continue the run saved in this checkpoint directory")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="train data-parallel on a Ray cluster (ADDRESS, e.g. auto; none: a local instance); "
                        "--threads is then per worker (default 1)")
    p.add_argument("--workers", type=_positive_int, default=None, help="--ray: workers, one shard each (default 2)")
    p.add_argument("--sync-every", type=_positive_int, default=None, metavar="WORDS",
                   help="--ray: words each worker trains between synchronisations (default: 200000, or "
                        "fewer to give each worker at least 20 periods)")
    p.add_argument("--merge", choices=MERGES, default=None,
                   help="--ray: how the workers' changes are merged (default scaled: average of changes "
                        "made at workers x the learning rate)")
    p.set_defaults(func=cmd_train)
    return p


def _config_from_args(args) -> TrainConfig:
    subword_options = {name: getattr(args, name) for name in ("minn", "maxn", "bucket") if getattr(args, name) is not None}
    if subword_options and not args.subwords:
        raise ValueError(f"{', '.join('--' + name for name in subword_options)} only apply with --subwords")
    window = args.window if args.window is not None else (2 if args.model == "ppmi" else 5)
    lr, smoothing = args.lr, args.context_smoothing
    if args.alpha is not None:
        if args.model == "ppmi":
            print("wordvec: warning: --alpha for PPMI smoothing is deprecated (alpha is the learning rate); "
                  "use --context-smoothing", file=sys.stderr)
            smoothing = args.alpha
        elif lr is not None and lr != args.alpha:
            raise ValueError("--alpha and --lr are the same option (the learning rate): give one")
        else:
            lr = args.alpha
    return TrainConfig(
        model=args.model, engine=args.engine, loss=args.loss, dim=args.dim, window=window,
        negative=args.negative, min_count=1 if args.book else args.min_count, max_vocab=args.max_vocab,
        sample=0.0 if args.book else args.sample, epochs=args.epochs or (10 if args.book else 5),
        lr=lr, threads=args.threads, seed=args.seed,
        batch_size=args.batch_size, optimizer=args.optimizer, context_smoothing=smoothing, lowercase=args.lowercase,
        subwords=args.subwords, **subword_options,
    )


#: flags `--resume` accepts (what a run can change midway); every other flag is refused
RESUME_FLAGS = ("resume", "epochs", "threads", "out", "format", "history", "quiet", "ray")


def cmd_train(args) -> int:
    from wordvec import api, checkpoint, formats
    from wordvec.memory import check_memory

    cluster_flags = [f"--{name.replace('_', '-')}" for name in ("workers", "sync_every", "merge")
                     if getattr(args, name, None) is not None]
    if cluster_flags and args.ray is None:
        raise UsageError(f"train: {', '.join(cluster_flags)} only apply with --ray")
    if args.ray is not None:
        return _train_on_ray(args)
    if args.resume:
        return _resume(args)
    if not args.corpus:
        raise UsageError("train: a CORPUS is required (or --resume DIR)")
    if not args.out:
        raise UsageError("train: --out PATH is required")
    try:
        config = _config_from_args(args)
    except ValueError as exc:
        raise UsageError(f"train: {exc}") from None
    if args.checkpoint and config.model == "ppmi":
        raise UsageError("train: --checkpoint works with cbow and skipgram (PPMI runs in one step)")
    _check_outputs(args.out, args.history, corpus=args.corpus, checkpoint_dir=args.checkpoint, fmt=args.format)
    if args.checkpoint:
        checkpoint.check_directory(args.checkpoint)
    exclude = [p for p in (args.out, args.history, args.checkpoint) if p]
    errors = getattr(args, "encoding_errors", "strict")
    start = time.perf_counter()
    corpus = api.load_training_corpus(args.corpus, config, book=args.book, errors=errors, exclude=exclude)
    read_s = time.perf_counter() - start
    formats.check_savable(corpus.vocab.index_to_key, args.format or args.out)
    check_memory(config, len(corpus.vocab))
    if args.checkpoint:
        source = str(Path(args.corpus).resolve()) if Path(args.corpus).exists() else args.corpus
        info = {"source": source, "book": args.book, "out": str(Path(args.out).resolve()),
                "exclude": [str(Path(p).resolve()) for p in exclude], "encoding_errors": errors}
        kv = checkpoint.train_with_checkpoints(
            corpus, config, args.checkpoint, every=args.checkpoint_every, progress=not args.quiet, info=info
        )
    else:
        kv = api.engine_module(config).train(corpus, config, progress=not args.quiet)
    kv.metadata.setdefault("corpus", str(args.corpus))
    _save_results(kv, args.out, args.history, args.checkpoint, args.format)
    total_s = time.perf_counter() - start
    words = len(corpus)
    label = config.model if config.model == "ppmi" else f"{config.model} ({config.engine} engine, {config.loss})"
    print(
        f"trained {label} on {words:,} words, {len(kv):,}-word vocabulary, dim {kv.vector_size}, "
        f"in {total_s:.1f} s (reading {read_s:.1f} s) -> {args.out}"
    )
    return 0


def _train_on_ray(args) -> int:
    """`train --ray`: everything that can be refused is refused before Ray starts."""
    from wordvec import checkpoint, cluster, formats
    from wordvec.checkpoint import _StopOnSignal

    if args.resume:
        return _resume(args)
    if args.book:
        raise UsageError("train --ray: --book is not supported on a cluster (it reads one flat sequence)")
    if not args.corpus:
        raise UsageError("train --ray: a CORPUS is required")
    if not args.out:
        raise UsageError("train --ray: --out PATH is required")
    if "threads" not in (getattr(args, "given", None) or set()):
        args.threads = 1
    try:
        config = _config_from_args(args)
    except ValueError as exc:
        raise UsageError(f"train: {exc}") from None
    if config.model == "ppmi" or config.engine != "fast":
        raise UsageError("train --ray: trains skipgram or cbow with the fast engine")
    try:
        cluster.import_ray()
    except cluster.ClusterError as exc:
        raise UsageError(f"train --ray: {exc}") from None
    _check_outputs(args.out, args.history, corpus=args.corpus, checkpoint_dir=args.checkpoint, fmt=args.format)
    if args.checkpoint:
        checkpoint.check_directory(args.checkpoint)
    exclude = [p for p in (args.out, args.history, args.checkpoint) if p]
    start = time.perf_counter()
    address = None if args.ray == "local" else args.ray
    try:
        trainer = cluster.ClusterTrainer(
            args.corpus, config, workers=args.workers or 2, address=address,
            sync_every=args.sync_every, merge=args.merge or cluster.MERGE,
            progress=not args.quiet, exclude=exclude, errors=getattr(args, "encoding_errors", "strict"))
    except ValueError as exc:
        if isinstance(exc, WordvecError):
            raise
        raise UsageError(f"train --ray: {exc}") from None
    with trainer:
        formats.check_savable(trainer.vocab.index_to_key, args.format or args.out)
        from wordvec.memory import check_memory

        check_memory(config, len(trainer.vocab))  # each worker holds about what one machine does
        if args.checkpoint:
            from wordvec.cluster.checkpoints import train_with_checkpoints

            errors = getattr(args, "encoding_errors", "strict")
            info = {"source": str(Path(args.corpus).resolve()) if Path(args.corpus).exists() else args.corpus,
                    "book": False, "out": str(Path(args.out).resolve()),
                    "exclude": [str(Path(p).resolve()) for p in exclude], "encoding_errors": errors}
            kv = train_with_checkpoints(trainer, args.checkpoint, every=args.checkpoint_every, info=info)
            return _finish_ray_run(args, config, trainer, kv, start)
        stop = _StopOnSignal(trainer)
        with stop:
            trainer.run()
        if stop.received is not None:
            raise TrainingInterrupted(f"stopped by {signal.Signals(stop.received).name} at "
                                      f"{trainer.words_done:,} of {trainer.total_words:,} words; nothing was "
                                      "written", signum=stop.received)
        kv = trainer.keyed_vectors()
    return _finish_ray_run(args, config, trainer, kv, start)


def _finish_ray_run(args, config, trainer, kv, start: float) -> int:
    kv.metadata.setdefault("corpus", str(args.corpus))
    _save_results(kv, args.out, args.history, args.checkpoint, args.format)
    meta = kv.metadata["cluster"]
    print(f"trained {config.model} ({config.loss}) on a Ray cluster: {args.workers or 2} workers, "
          f"{trainer.words_done:,} words at {kv.metadata['words_per_sec'] or 0:,.0f} words/s, "
          f"{len(kv):,}-word vocabulary, dim {kv.vector_size}, in {time.perf_counter() - start:.1f} s "
          f"(Ray start-up {meta['ray_start_seconds']:.1f} s, reading {meta['read_seconds']:.1f} s) -> {args.out}")
    return 0


def _save_results(kv, out: str, history: str | None, checkpoint_dir: str | None, fmt: str | None = None) -> None:
    """Save the vectors (and history); a signal while saving leaves no partial file, and, when a
    checkpoint holds the finished run, says how to get the vectors again."""
    try:
        kv.save(out, format=fmt)
        if history:
            _write_history(kv, history)
    except Terminated as exc:
        if checkpoint_dir:
            raise TrainingInterrupted(
                f"stopped by {exc.name} while saving {out} (not written); the finished run's checkpoint "
                f"is saved, resume with: wordvec train --resume {checkpoint_dir}", signum=exc.signum
            ) from None
        raise


def _same_file(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_outputs(out: str | None, history: str | None, *, corpus: str | None = None,
                   checkpoint_dir: str | None = None, fmt: str | None = None) -> None:
    """Refuse, before any reading, outputs that cannot be written or would destroy an input."""
    from wordvec import formats
    from wordvec.checkpoint import CHECKPOINT_FILE, HISTORY_FILE, LOCK_FILE
    from wordvec.errors import VectorFileError
    from wordvec.fileio import check_output

    if out is not None:
        try:
            formats.output_format(out, fmt)
        except VectorFileError as exc:
            raise UsageError(f"--out: {exc}") from None
    if out and history and _same_file(out, history):
        raise UsageError(f"--history and --out are the same file ({out}); give them different paths")
    named = [(flag, path) for flag, path in (("--out", out), ("--history", history)) if path]
    for flag, path in named:
        if corpus and os.path.isfile(corpus) and _same_file(path, corpus):
            raise UsageError(f"{flag} {path} is the corpus file; writing it would destroy the corpus")
        if checkpoint_dir and os.path.basename(path) in (CHECKPOINT_FILE, HISTORY_FILE, LOCK_FILE) \
                and _same_file(os.path.dirname(os.path.abspath(path)), checkpoint_dir):
            raise UsageError(f"{flag} {path} is a file the checkpoint directory uses; give another path")
    for flag, path in named:
        check_output(path, flag)


def _resume(args) -> int:
    from wordvec import checkpoint, formats
    from wordvec.memory import check_memory

    given = getattr(args, "given", None) or set()
    refused = sorted(given - set(RESUME_FLAGS))
    if refused:
        names = ", ".join("CORPUS" if dest == "corpus" else "--" + dest.replace("_", "-") for dest in refused)
        allowed = ", ".join("--" + flag for flag in RESUME_FLAGS[1:])
        raise UsageError(f"train --resume: {names} cannot change when resuming (the checkpoint fixes "
                         f"them); only {allowed} can")
    _check_outputs(args.out, args.history, checkpoint_dir=args.resume, fmt=args.format)
    chosen: dict = {}

    def check(meta: dict, vocab) -> None:  # after validating the checkpoint, before reading the corpus
        out = args.out or meta.get("out")
        if not out:
            raise UsageError("train --resume: the checkpoint records no output; give --out PATH")
        if not args.out:
            _check_outputs(out, args.history, checkpoint_dir=args.resume)
        formats.check_savable(vocab.index_to_key, args.format or out)
        from wordvec.config import TrainConfig

        check_memory(TrainConfig.from_dict(meta["config"]), len(vocab))
        chosen["out"] = out

    overrides = {key: getattr(args, key) for key in ("epochs", "threads") if key in given}
    start = time.perf_counter()
    try:
        ray_given = "ray" in given or getattr(args, "ray", None) is not None
        address = None if getattr(args, "ray", None) in (None, "local") else args.ray
        kv, meta = checkpoint.resume(args.resume, progress=not args.quiet, overrides=overrides, check=check,
                                     engine="ray" if ray_given else None, address=address)
    except ValueError as exc:
        if isinstance(exc, WordvecError):
            raise
        raise UsageError(f"train --resume: {exc}") from None
    kv.metadata.setdefault("corpus", str(meta.get("source")))
    _save_results(kv, chosen["out"], args.history, args.resume, args.format)
    print(f"resumed and finished the run in {args.resume} in {time.perf_counter() - start:.1f} s -> {chosen['out']}")
    return 0


def _write_history(kv, path: str) -> None:
    from wordvec.fileio import atomic_write

    history = kv.metadata.get("loss_history") or {}
    with atomic_write(path, "w") as handle:
        json.dump(history, handle)


# ----------------------------------------------------------------------------------------- demo

DEMO_QUERIES = ("you", "year", "car", "toyota")
DEMO_ANALOGIES = (("king", "man", "queen"), ("take", "took", "go"), ("car", "cars", "child"),
                  ("good", "better", "bad"))


def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="train on PTB, then show the book's neighbours and analogies")
    p.add_argument("--model", choices=MODELS, default="skipgram",
                   help="skipgram or cbow (word2vec), ppmi (counts, PPMI, SVD)")
    p.add_argument("--engine", choices=ENGINES, default="fast",
                   help="fast (Numba, multi-threaded) or reference (the book's layers)")
    p.add_argument("--epochs", type=_positive_int, default=5)
    p.add_argument("--threads", type=_positive_int, default=os.cpu_count() or 1)
    p.add_argument("--out", "-o", default="ptb-vectors.bin", help="where to keep the vectors")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    args = argparse.Namespace(**{**vars(_train_defaults()), **vars(args), "corpus": "ptb", "min_count": 1})
    cmd_train(args)
    kv = _load(args.out)
    for word in DEMO_QUERIES:
        if word in kv:
            neighbours = ", ".join(f"{w} ({s:.2f})" for w, s in kv.most_similar(word, topn=5))
            print(f"{word:>8} -> {neighbours}")
    for a, b, c in DEMO_ANALOGIES:
        if all(w in kv for w in (a, b, c)):
            answers = ", ".join(w for w, _ in kv.analogy(a, b, c, topn=3))
            print(f"{a}:{b} = {c}:? -> {answers}")
    return 0


def _train_defaults() -> argparse.Namespace:
    """The `train` subcommand's defaults, so `demo` trains exactly as `train` would."""
    parser = _Parser(prog="wordvec")
    _add_train(parser.add_subparsers())
    return parser.parse_args(["train"])


# -------------------------------------------------------------------------------------- queries


def _load(path: str):
    from wordvec.vectors import KeyedVectors

    if not Path(path).exists():
        raise WordvecError(f"no such vector file: {path}")
    return KeyedVectors.load(path)


def _print_pairs(pairs, as_json: bool, key: str = "word") -> None:
    if as_json:
        print(json.dumps([{key: w, "score": round(float(s), 6)} for w, s in pairs]))
        return
    width = max((len(w) for w, _ in pairs), default=4)
    for word, score in pairs:
        print(f"{word:<{width}}  {score:.4f}")


def _add_similar(sub) -> None:
    p = sub.add_parser("similar", help="nearest neighbours of a word")
    p.add_argument("vectors")
    p.add_argument("word", nargs="+", help="one word (several: neighbours of their sum)")
    p.add_argument("-n", "--topn", type=_positive_int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_similar)


def cmd_similar(args) -> int:
    kv = _load(args.vectors)
    _print_pairs(kv.most_similar(positive=args.word, topn=args.topn), args.json)
    return 0


def _add_analogy(sub) -> None:
    p = sub.add_parser("analogy", help="A is to B as C is to ?")
    p.add_argument("vectors")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("c")
    p.add_argument("-n", "--topn", type=_positive_int, default=5)
    p.add_argument("--method", choices=("add", "mul"), default="add", help="3CosAdd or 3CosMul")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_analogy)


def cmd_analogy(args) -> int:
    kv = _load(args.vectors)
    _print_pairs(kv.analogy(args.a, args.b, args.c, topn=args.topn, method=args.method), args.json)
    return 0


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="analogy accuracy and word-pair correlations")
    p.add_argument("vectors")
    p.add_argument("--analogies", help="Google-format analogy file (questions-words.txt)")
    p.add_argument("--pairs", nargs="+", default=[], help="word-pair files (word1 word2 score)")
    p.add_argument("--restrict-vocab", type=_positive_int, default=300000)
    p.add_argument("--case-sensitive", action="store_true")
    p.add_argument("--unseen", action="store_true",
                   help="subword models: also score word pairs with words outside the vocabulary "
                        "(their vectors from n-grams, as fastText reports the Rare Words set)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args) -> int:
    from wordvec import evaluate

    if not args.analogies and not args.pairs:
        raise UsageError("evaluate: give --analogies FILE and/or --pairs FILE ...")
    for path in [args.analogies, *args.pairs]:
        if path and not Path(path).is_file():
            raise WordvecError(f"no such evaluation file: {path}")
    kv = _load(args.vectors)
    result: dict = {}
    case_insensitive = not args.case_sensitive
    if args.analogies:
        result["analogy"] = evaluate.evaluate_analogies(
            kv, args.analogies, restrict_vocab=args.restrict_vocab, case_insensitive=case_insensitive
        ).to_dict()
    if args.pairs:
        result["pairs"] = {
            Path(path).name: evaluate.evaluate_word_pairs(
                kv, path, restrict_vocab=args.restrict_vocab, case_insensitive=case_insensitive, unseen=args.unseen
            ).to_dict()
            for path in args.pairs
        }
    if args.json:
        print(json.dumps(result))
        return 0
    if "analogy" in result:
        a = result["analogy"]
        print(f"analogies: accuracy {a['accuracy']:.4f} ({a['correct']}/{a['total']}, {a['skipped']} skipped)")
        for section in a["sections"]:
            print(f"  {section['section']:<30} {section['accuracy']:.4f} ({section['correct']}/{section['total']})")
    for name, p in result.get("pairs", {}).items():
        print(f"{name}: spearman {p['spearman']:.4f}, pearson {p['pearson']:.4f} "
              f"({p['pairs']} pairs, {p['skipped']} skipped)")
    return 0


def _add_convert(sub) -> None:
    p = sub.add_parser("convert", help="convert between vector formats (by extension, or --format)")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="output format instead of the one the name picks (fasttext: Facebook's .bin)")
    p.set_defaults(func=cmd_convert)


def cmd_convert(args) -> int:
    from wordvec import formats

    _check_outputs(args.output, None, corpus=args.input, fmt=args.format)
    kv = _load(args.input)
    formats.check_savable(kv.index_to_key, args.format or args.output)
    kv.save(args.output, format=args.format)
    print(f"wrote {len(kv):,} vectors of dim {kv.vector_size} -> {args.output}")
    return 0


def _add_info(sub) -> None:
    p = sub.add_parser("info", help="describe a vector file")
    p.add_argument("vectors")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)


def cmd_info(args) -> int:
    import numpy as np

    kv = _load(args.vectors)
    norms = np.linalg.norm(kv.vectors, axis=1) if len(kv) else np.zeros(1)
    info = {
        "path": args.vectors,
        "words": len(kv),
        "dim": kv.vector_size,
        "first_words": list(kv.index_to_key[:10]),
        "norm_mean": float(norms.mean()),
        "metadata": kv.metadata or {},
    }
    if hasattr(kv, "ngram_vectors"):
        info["subwords"] = {"minn": kv.minn, "maxn": kv.maxn, "bucket": kv.bucket,
                            "ngram_rows": int(kv.ngram_vectors.shape[0])}
    if args.json:
        print(json.dumps(info))
        return 0
    print(f"{args.vectors}: {info['words']:,} words x {info['dim']} dims, mean norm {info['norm_mean']:.3f}")
    print(f"first words: {' '.join(info['first_words'])}")
    config = info["metadata"].get("config") if isinstance(info["metadata"], dict) else None
    if isinstance(config, dict) and config:
        keys = ("model", "engine", "loss", "dim", "window", "negative", "min_count", "sample", "epochs")
        print("trained with: " + ", ".join(f"{k}={config[k]}" for k in keys if k in config))
    if "subwords" in info:
        sub = info["subwords"]
        print(f"subwords: n-grams {sub['minn']}-{sub['maxn']}, {sub['bucket']:,} buckets, "
              f"{sub['ngram_rows']:,} n-gram rows (vectors for unseen words too)")
    for key in ("wordvec_version", "corpus"):
        if isinstance(info["metadata"], dict) and key in info["metadata"]:
            print(f"{key}: {info['metadata'][key]}")
    return 0


# ----------------------------------------------------------------------------------- interactive


def _add_query(sub) -> None:
    p = sub.add_parser("query", help="interactive prompt: a word -> neighbours, 'a b c' -> analogy")
    p.add_argument("vectors")
    p.add_argument("-n", "--topn", type=_positive_int, default=10)
    p.set_defaults(func=cmd_query)


def cmd_query(args) -> int:
    kv = _load(args.vectors)
    interactive = sys.stdin.isatty()
    print(
        f"{len(kv):,} words loaded. A word: its neighbours; 'a b c': a is to b as c is to ?; "
        "'a b': similarity; Ctrl-D or EXIT quits.",
        file=sys.stderr,
    )
    from wordvec.errors import UnknownWordError

    while True:
        if interactive:
            print("query> ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        words = line.split()
        if not words:
            continue
        if words[0] in ("EXIT", ":q", "quit"):
            break
        try:
            if len(words) == 2:
                print(f"similarity({words[0]}, {words[1]}) = {kv.similarity(words[0], words[1]):.4f}")
            elif len(words) == 3:
                print(f"{words[0]} : {words[1]} = {words[2]} : ?")
                _print_pairs(kv.analogy(*words, topn=args.topn), False)
            else:
                _print_pairs(kv.most_similar(positive=words, topn=args.topn), False)
        except UnknownWordError as exc:
            print(f"unknown: {', '.join(exc.words)}")
        print(flush=True)
    return 0


# ---------------------------------------------------------------------------------------- plots


def _add_plots(sub) -> None:
    p = sub.add_parser("plot", help="2-D map of words (and their neighbours) to PNG or SVG")
    p.add_argument("vectors")
    p.add_argument("words", nargs="+")
    p.add_argument("--out", "-o", required=True, help="image file (.png or .svg)")
    p.add_argument("--neighbours", type=int, default=0, help="also plot each word's top-N neighbours")
    p.add_argument("--method", choices=("pca", "svd"), default="pca")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("plot-loss", help="loss curve of a run (native vectors, history JSON or checkpoint dir)")
    p.add_argument("run")
    p.add_argument("--out", "-o", required=True, help="image file (.png or .svg)")
    p.set_defaults(func=cmd_plot_loss)


def _image_path(path: str) -> str:
    if Path(path).suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--out must end in .png or .svg, got {path}")
    from wordvec.fileio import check_output

    check_output(path, "--out")
    return path


def cmd_plot(args) -> int:
    from wordvec import plots

    out = _image_path(args.out)
    kv = _load(args.vectors)
    plots.plot_words(kv, args.words, out, neighbours=args.neighbours, method=args.method)
    print(f"wrote {out}")
    return 0


def _load_history(run: str) -> dict:
    path = Path(run)
    if path.is_dir():
        path = path / "history.json"
        if not path.is_file():
            raise WordvecError(f"{run} holds no history.json (not a checkpoint directory?)")
    if not path.exists():
        raise WordvecError(f"no such run: {run}")
    if path.suffix == ".json":
        size = path.stat().st_size
        if not path.is_file() or size > MAX_HISTORY_BYTES:
            raise WordvecError(f"{path}: not a loss history (not a regular file of at most {MAX_HISTORY_BYTES:,} bytes)")
        try:
            with path.open("rb") as handle:
                history = json.loads(handle.read(MAX_HISTORY_BYTES + 1).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise WordvecError(f"{path}: not a JSON loss history ({' '.join(str(exc).split())[:120]})") from None
    else:
        metadata = _load(str(path)).metadata
        history = metadata.get("loss_history") if isinstance(metadata, dict) else None
        if not history:
            raise WordvecError(f"{run} has no saved loss history (train with --history or a native --out)")
    return _checked_history(history, path)


#: the largest history JSON plot-loss reads (a 100M-step run's step losses fit)
MAX_HISTORY_BYTES = 1 << 30


def _checked_history(history, path) -> dict:
    """A loss history is an object of lists of numbers (e.g. epoch_loss, step_loss); null or NaN
    stands for an epoch with nothing measured."""
    import numbers

    if not isinstance(history, dict):
        raise WordvecError(f"{path}: a loss history is a JSON object of lists, not a {type(history).__name__}")
    for key, values in history.items():
        if not isinstance(values, list) or not all(
                v is None or (isinstance(v, numbers.Real) and not isinstance(v, bool)) for v in values):
            raise WordvecError(f"{path}: loss history {key!r:.40} is not a list of numbers")
    if not any(history.values()):
        raise WordvecError(f"{path}: the loss history is empty")
    return history


def cmd_plot_loss(args) -> int:
    from wordvec import plots

    out = _image_path(args.out)
    plots.plot_loss(_load_history(args.run), out)
    print(f"wrote {out}")
    return 0


# -------------------------------------------------------------------------------------- phrases


def _add_phrases(sub) -> None:
    p = sub.add_parser("phrases", help="join collocations (new york -> new_york) in a corpus, as gensim's Phrases")
    p.add_argument("corpus", help="text file (.gz/.bz2/.xz too), directory, or 'ptb', 'ptb:valid'")
    p.add_argument("--out", "-o", required=True, help="the corpus with its phrases joined, one sentence a line")
    p.add_argument("--min-count", type=float, default=5, help="ignore words and pairs seen fewer times")
    p.add_argument("--threshold", type=float, default=None,
                   help="join pairs scoring above this (default: 10 for default scoring, 0.5 for npmi)")
    p.add_argument("--scoring", choices=("default", "npmi"), default="default",
                   help="default: word2phrase's (count(ab) - min_count) / (count(a) count(b)) x vocabulary; "
                        "npmi: normalized PMI in [-1, 1]")
    p.add_argument("--connector-words", choices=("none", "english"), default="none",
                   help="english: articles and prepositions may sit inside a phrase (bank_of_america)")
    p.add_argument("--delimiter", default="_", help="joins the words of a phrase")
    p.add_argument("--max-vocab-size", type=_positive_int, default=40_000_000,
                   help="prune rare words and pairs when more are counted (bounds memory)")
    p.add_argument("--passes", type=_positive_int, default=1,
                   help="2: also phrases of phrases (new_york_times), as running it again on its output")
    p.add_argument("--save", help="also save the learned phrases (FrozenPhrases) to this file")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    p.set_defaults(func=cmd_phrases)


def cmd_phrases(args) -> int:
    from wordvec.fileio import check_output
    from wordvec.phrases import ENGLISH_CONNECTOR_WORDS, Phrases

    threshold = args.threshold if args.threshold is not None else (0.5 if args.scoring == "npmi" else 10.0)
    connectors = ENGLISH_CONNECTOR_WORDS if args.connector_words == "english" else frozenset()
    try:
        check_output(args.out, "--out")
        if args.save:
            check_output(args.save, "--save")
        Phrases(min_count=args.min_count, threshold=threshold, scoring=args.scoring, delimiter=args.delimiter,
                connector_words=connectors, max_vocab_size=args.max_vocab_size)  # settings checked before reading
    except ValueError as exc:
        raise UsageError(f"phrases: {exc}") from None
    source = args.corpus
    if args.save and os.path.abspath(args.save) == os.path.abspath(args.out) or (
            args.save and os.path.exists(args.save) and os.path.exists(args.out)
            and os.path.samefile(args.save, args.out)):
        raise UsageError("phrases: --save and --out are the same file; give them different paths")
    for name in (args.out, args.save):
        if name and os.path.exists(name) and os.path.exists(source) and os.path.samefile(name, source):
            raise UsageError(f"phrases: {name} is the corpus; writing it would destroy the corpus")
    frozen = None
    for k in range(args.passes):
        model = Phrases(source, min_count=args.min_count, threshold=threshold, scoring=args.scoring,
                        delimiter=args.delimiter, connector_words=connectors, max_vocab_size=args.max_vocab_size)
        frozen = model.freeze()
        sentences, joined = frozen.apply(source, args.out)
        source = args.out
        if not args.quiet:
            print(f"wordvec phrases: pass {k + 1}: {len(frozen.phrasegrams):,} phrases, {joined:,} joined in "
                  f"{sentences:,} sentences -> {args.out}", file=sys.stderr)
    if args.save and frozen is not None:
        frozen.save(args.save)
    return 0


# ---------------------------------------------------------------------------------------- serve


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535 (0: any free port), got {value}")
    return value


def _add_serve(sub) -> None:
    p = sub.add_parser("serve", help="web explorer: neighbours, maps, analogies, two models side by side")
    p.add_argument("vectors", nargs="+", help="vector files (any format; the first two are shown side by side)")
    p.add_argument("--port", type=_port, default=8000, help="TCP port (0: any free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on; anything but loopback lets other machines query the vectors")
    p.add_argument("--access-log", action="store_true", help="log every request on stderr")
    p.add_argument("--no-mmap", action="store_true",
                   help="read native files into memory instead of mapping them (slower to open; the file "
                        "may then be edited in place while serving)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    from wordvec import serve
    from wordvec.explorer import Explorer

    serve._require_server()
    if not args.host.strip():
        raise UsageError("serve: --host is empty (127.0.0.1 serves this machine only; 0.0.0.0 every network)")
    for path in args.vectors:
        if not Path(path).exists():
            raise WordvecError(f"no such vector file: {path}")
        if not Path(path).is_file():
            raise WordvecError(f"not a vector file: {path}")
    try:
        sock = serve.bind(args.host, args.port)
    except OSError as exc:
        raise WordvecError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    try:
        start = time.perf_counter()
        explorer = Explorer.open(args.vectors, mmap=not args.no_mmap)
        opened = time.perf_counter() - start
        if not serve.is_loopback(args.host):
            print(f"wordvec serve: warning: listening on {args.host}: anyone who can reach this machine can "
                  "query these vectors", file=sys.stderr)
        sizes = ", ".join(f"{v.name} ({len(v.kv):,} x {v.kv.vector_size})" for v in explorer.views)
        print(f"wordvec serve: {sizes} opened in {opened:.2f} s", file=sys.stderr)
        serve.run(explorer, sock, access_log=args.access_log)
        print("wordvec serve: stopped", file=sys.stderr)
        return 0
    finally:
        sock.close()


# ----------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wordvec", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"wordvec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser._wordvec_train = _add_train(sub)  # type: ignore[attr-defined]
    for add in (_add_demo, _add_similar, _add_analogy, _add_evaluate, _add_convert, _add_info, _add_query,
                _add_plots, _add_phrases, _add_serve):
        add(sub)
    for choice in sub._choices_actions:  # each subcommand's --help starts with what it does
        command = sub.choices[choice.dest]
        if command.description is None:
            command.description = choice.help[:1].upper() + choice.help[1:] + "."
    return parser


def _given_train_options(argv: Sequence[str]) -> set[str]:
    """The `train` options the user wrote (not defaulted): the train parser again, with every
    default suppressed, so `--resume` can refuse flags it would otherwise ignore."""
    parser = build_parser()
    for action in parser._wordvec_train._actions:  # type: ignore[attr-defined]
        action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv))) - {"command", "func"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    previous = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:
                previous[signum] = signal.signal(signum, _raise_terminated)
            except (ValueError, OSError, AttributeError):  # not the main thread, or no such signal
                pass
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numeric warnings are not errors; an error is one line
            args = parser.parse_args(argv)
            if not getattr(args, "func", None):
                parser.print_help(sys.stderr)
                return EXIT_USAGE
            if args.command == "train":
                args.given = _given_train_options(argv)
            return args.func(args)
    except UsageError as exc:
        print(f"wordvec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TrainingInterrupted as exc:
        print(f"wordvec: {exc}", file=sys.stderr)
        return 128 + (exc.signum or 2)
    except WordvecError as exc:
        print(f"wordvec: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"wordvec: stopped by {signal.Signals(signum).name}; nothing was written", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:  # `wordvec similar ... | head`
        sys.stderr.close()
        return 0
    except MemoryError:
        print("wordvec: error: out of memory", file=sys.stderr)
        return EXIT_DATA
    except OSError as exc:  # unreadable/unwritable paths, full disk
        print(f"wordvec: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_DATA
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
