"""TrainConfig validation and atomic writes."""

from __future__ import annotations

import os

import pytest

from wordvec.config import TrainConfig
from wordvec.fileio import atomic_write


def test_defaults_follow_the_c_tool():
    assert TrainConfig(model="skipgram").learning_rate == 0.025
    assert TrainConfig(model="cbow").learning_rate == 0.05
    assert TrainConfig(model="cbow", engine="reference").learning_rate == 0.001
    assert TrainConfig(lr=0.1).learning_rate == 0.1


@pytest.mark.parametrize(
    "options",
    [{"model": "glove"}, {"engine": "gpu"}, {"dim": 0}, {"window": -1}, {"sample": -1.0}, {"lr": 0.0},
     {"loss": "nce"}, {"negative": 0}, {"epochs": 0}, {"max_vocab": 0},
     # a combination no engine trains, and the values the audit found crashing later
     {"engine": "reference", "loss": "softmax"}, {"engine": "reference", "loss": "hs"}, {"seed": -1}, {"seed": 2**64},
     {"context_smoothing": float("nan")}, {"context_smoothing": -1.0}, {"context_smoothing": 0.0}, {"lr": float("inf")}, {"lr": float("nan")},
     {"sample": float("nan")}, {"min_lr": -0.1}, {"dim": 1.5}, {"dim": "100"}, {"epochs": True},
     {"threads": 2.0}, {"max_vocab": 10.0}, {"lowercase": "yes"}, {"eigen_weight": float("inf")}],
)
def test_invalid_options_raise_one_line_value_errors(options):
    with pytest.raises(ValueError) as info:
        TrainConfig(**options)
    assert "\n" not in str(info.value)


def test_ppmi_ignores_the_loss_and_numbers_are_normalized():
    import numpy as np

    assert TrainConfig(model="ppmi", engine="reference", loss="hs").model == "ppmi"
    config = TrainConfig(dim=np.int64(8), lr=np.float32(0.5), seed=np.uint64(2**63 - 1))
    assert type(config.dim) is int and type(config.lr) is float and config.seed == 2**63 - 1
    assert config.to_dict() == TrainConfig.from_dict(config.to_dict()).to_dict()


def test_config_round_trips_through_a_dict():
    config = TrainConfig(model="cbow", dim=32, lr=0.01, threads=1)
    assert TrainConfig.from_dict({**config.to_dict(), "unknown_future_key": 1}) == config


def test_atomic_write_replaces_only_on_success(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(path, "w") as handle:
            handle.write("half")
            raise RuntimeError("boom")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]
    with atomic_write(path, "w") as handle:
        handle.write("new")
    assert path.read_text() == "new"


def test_atomic_write_keeps_permissions(tmp_path):
    fresh = tmp_path / "fresh.txt"
    with atomic_write(fresh, "w") as handle:
        handle.write("x")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    existing = tmp_path / "existing.txt"
    existing.write_text("old")
    existing.chmod(0o640)
    with atomic_write(existing, "w") as handle:
        handle.write("new")
    assert existing.stat().st_mode & 0o777 == 0o640
