"""Shared test fixtures: the one place that decides where test data lives.

Data comes from `$WORDVEC_DATA` (CI sets it to `../shared/data`); without it, the `shared/data`
folder beside the project checkout is used. A required file that is missing fails the test with
a message saying what to set: it never skips, so a CI run without data cannot pass quietly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """The data folder: $WORDVEC_DATA, else ../shared/data beside the project."""
    env = os.environ.get("WORDVEC_DATA")
    return Path(env) if env else PROJECT.parent / "shared" / "data"


def require(relative: str) -> Path:
    """Path of a required data file under the data folder; fails the calling test if missing."""
    path = data_root() / relative
    if not path.is_file():
        pytest.fail(f"required test data {path} is missing: set WORDVEC_DATA to the folder holding "
                    f"{relative} (from the project root: WORDVEC_DATA=../shared/data)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The data folder, with PTB train present (fails otherwise)."""
    require("ptb/ptb.train.txt")
    return data_root()


@pytest.fixture(scope="session")
def ptb_train() -> Path:
    return require("ptb/ptb.train.txt")


@pytest.fixture(scope="session")
def ptb_valid() -> Path:
    return require("ptb/ptb.valid.txt")


@pytest.fixture(scope="session")
def analogies_file() -> Path:
    return require("eval/questions-words.txt")


@pytest.fixture(scope="session")
def wordsim_file() -> Path:
    return require("eval/wordsim353.tsv")
