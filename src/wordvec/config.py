"""Training options shared by every engine (the analogue of fastText's args)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields

MODELS = ("ppmi", "cbow", "skipgram")
ENGINES = ("fast", "reference")
LOSSES = ("ns", "hs", "softmax")
OPTIMIZERS = ("adam", "dense_adam", "sgd", "momentum", "adagrad")  # adam: lazy (sparse rows), dense_adam: the book's


@dataclass
class TrainConfig:
    """Every knob of a training run; engines read what applies to them and ignore the rest.

    `lr=None` means the model's customary default: 0.025 for skip-gram and 0.05 for CBOW (as the
    C tool) in the fast engine, 0.001 (Adam) in the reference engine.
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
    alpha: float = 0.75  # PPMI context-distribution smoothing (1.0 = the book)
    eigen_weight: float = 0.5  # PPMI/SVD: U * S**eigen_weight
    lowercase: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError with a one-line message for any inconsistent option."""
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        for name in ("dim", "window", "epochs", "threads", "batch_size", "min_count"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.negative < 0:
            raise ValueError(f"negative must be >= 0, got {self.negative}")
        if self.loss == "ns" and self.negative < 1 and self.model != "ppmi":
            raise ValueError("negative sampling needs negative >= 1")
        if self.sample < 0:
            raise ValueError(f"sample must be >= 0, got {self.sample}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.max_vocab is not None and self.max_vocab < 1:
            raise ValueError(f"max_vocab must be >= 1, got {self.max_vocab}")

    @property
    def learning_rate(self) -> float:
        """The effective starting learning rate."""
        if self.lr is not None:
            return self.lr
        if self.engine == "reference":
            return 0.001 if self.optimizer in ("adam", "dense_adam") else 1.0
        return 0.05 if self.model == "cbow" else 0.025

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
