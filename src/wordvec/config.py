"""Training options shared by every engine (the analogue of fastText's args)."""

from __future__ import annotations

import math
import numbers
import os
import warnings
from dataclasses import asdict, dataclass, field, fields

MODELS = ("ppmi", "cbow", "skipgram")
ENGINES = ("fast", "reference")
#: the losses each engine trains (word2vec models; PPMI has no loss): a combination outside this
#: table is refused when the config is made, before any work
ENGINE_LOSSES = {"fast": ("ns", "hs", "softmax"), "reference": ("ns",)}
#: vector file formats (wordvec.formats): word2vec text and binary, native .npz, Facebook's .bin
VECTOR_FORMATS = ("text", "binary", "native", "fasttext")
#: the engines that train the subword (fastText) model
SUBWORD_ENGINES = ("fast", "reference")
LOSSES = tuple(dict.fromkeys(loss for losses in ENGINE_LOSSES.values() for loss in losses))
MAX_SEED = 2**63 - 1
OPTIMIZERS = ("adam", "dense_adam", "sgd", "momentum", "adagrad")  # adam: lazy (sparse rows), dense_adam: the book's


@dataclass
class TrainConfig:
    """Every knob of a training run; engines read what applies to them and ignore the rest.

    `lr=None` means the model's customary default: 0.025 for skip-gram and 0.05 for CBOW (as the
    C tool) in the fast engine, 0.05 for both with subwords (as fastText), 0.001 (Adam) in the
    reference engine. `alpha` is gensim's name for the learning rate: given, it sets `lr` (and is
    then None). PPMI's context-distribution smoothing is `context_smoothing`; `alpha` given with
    `model="ppmi"` still sets it, with a DeprecationWarning (its meaning before 0.2).
    """

    model: str = "skipgram"
    engine: str = "fast"
    dim: int = 100
    window: int = 5
    negative: int = 5
    loss: str = "ns"
    min_count: int = 5
    max_vocab: int | None = None
    sample: float = 1e-3
    epochs: int = 5
    lr: float | None = None
    min_lr: float = 1e-4
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    seed: int = 1
    batch_size: int = 100
    optimizer: str = "adam"
    context_smoothing: float = 0.75  # PPMI context-distribution smoothing (1.0 = the book)
    eigen_weight: float = 0.5  # PPMI/SVD: U * S**eigen_weight
    lowercase: bool = False
    subwords: bool = False  # fastText's model: a word's input is the mean of its row and its n-gram rows
    minn: int = 3  # shortest character n-gram (subwords)
    maxn: int = 6  # longest character n-gram (subwords)
    bucket: int = 2_000_000  # n-gram hash buckets (subwords; only the used ones are allocated)
    ns_exponent: float = 0.75  # negative sampling draws words with probability ~ count**ns_exponent
    alpha: float | None = None  # gensim's name for lr (folded into lr, then None)

    def __post_init__(self) -> None:
        self._fold_alpha()
        self.validate()

    def _fold_alpha(self) -> None:
        """`alpha` means the learning rate (gensim's name); for PPMI, which has none, it is the
        old spelling of `context_smoothing` (deprecated)."""
        if self.alpha is None:
            return
        alpha, self.alpha = self.alpha, None
        if self.model == "ppmi":
            warnings.warn("TrainConfig(alpha=...) for PPMI's smoothing is deprecated: alpha is the learning "
                          "rate; use context_smoothing", DeprecationWarning, stacklevel=4)
            self.context_smoothing = alpha
        elif self.lr is not None and self.lr != alpha:
            raise ValueError(f"alpha and lr are the same option (the learning rate); got {alpha!r} and {self.lr!r}")
        else:
            self.lr = alpha

    def validate(self) -> None:
        """Raise ValueError with a one-line message for any inconsistent option."""
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.model != "ppmi" and self.loss not in ENGINE_LOSSES[self.engine]:
            raise ValueError(f"the {self.engine} engine trains loss {' or '.join(ENGINE_LOSSES[self.engine])}, "
                             f"not {self.loss!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        for name in ("dim", "window", "epochs", "threads", "batch_size", "min_count", "negative", "seed"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise ValueError(f"{name} must be a whole number, got {value!r:.40}")
            setattr(self, name, int(value))
        if self.max_vocab is not None:
            if not isinstance(self.max_vocab, numbers.Integral) or isinstance(self.max_vocab, bool):
                raise ValueError(f"max_vocab must be a whole number or None, got {self.max_vocab!r:.40}")
            self.max_vocab = int(self.max_vocab)
        for name in ("dim", "window", "epochs", "threads", "batch_size", "min_count"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.negative < 0:
            raise ValueError(f"negative must be >= 0, got {self.negative}")
        if self.loss == "ns" and self.negative < 1 and self.model != "ppmi":
            raise ValueError("negative sampling needs negative >= 1")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be between 0 and 2**63 - 1, got {self.seed}")
        for name in ("sample", "min_lr", "context_smoothing", "eigen_weight", "ns_exponent") + (
                ("lr",) if self.lr is not None else ()):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r:.40}")
            setattr(self, name, float(value))
        if self.sample < 0:
            raise ValueError(f"sample must be >= 0, got {self.sample}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.min_lr < 0:
            raise ValueError(f"min_lr must be >= 0, got {self.min_lr}")
        if not self.context_smoothing > 0:
            raise ValueError(f"context_smoothing (PPMI) must be > 0, got {self.context_smoothing}")
        if self.max_vocab is not None and self.max_vocab < 1:
            raise ValueError(f"max_vocab must be >= 1, got {self.max_vocab}")
        if not isinstance(self.subwords, bool):
            raise ValueError(f"subwords must be True or False, got {self.subwords!r:.40}")
        if self.subwords:
            from wordvec.subwords import check_spec

            if self.model == "ppmi":
                raise ValueError("subwords apply to skipgram and cbow, not ppmi")
            if self.engine not in SUBWORD_ENGINES:
                raise ValueError(f"the {self.engine} engine has no subword model (use engine "
                                 f"{' or '.join(SUBWORD_ENGINES)})")
            check_spec(self.minn, self.maxn, self.bucket)
            self.minn, self.maxn, self.bucket = int(self.minn), int(self.maxn), int(self.bucket)
        if not isinstance(self.lowercase, bool):
            raise ValueError(f"lowercase must be True or False, got {self.lowercase!r:.40}")

    @property
    def learning_rate(self) -> float:
        """The effective starting learning rate."""
        if self.lr is not None:
            return self.lr
        if self.engine == "reference":
            return 0.001 if self.optimizer in ("adam", "dense_adam") else 1.0
        # skip-gram with subwords: fastText's 0.05 (analogies on PTB 0.45 against 0.35 at 0.025)
        return 0.05 if self.model == "cbow" or self.subwords else 0.025

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """The config of `to_dict()`, also of files written before 0.2, whose "alpha" was PPMI's
        smoothing (they have no "context_smoothing")."""
        names = {f.name for f in fields(cls)}
        data = dict(data)
        if "context_smoothing" not in data and data.get("alpha") is not None:
            data["context_smoothing"] = data.pop("alpha")
        return cls(**{k: v for k, v in data.items() if k in names})
