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


@pytest.fixture(scope="session")
def ptb_vector_files(tmp_path_factory, data_dir) -> dict[str, Path]:
    """Vectors trained on PTB by the CLI as a user would (a few seconds each): skip-gram (native,
    with its loss history), PPMI (word2vec binary) and a subword model (native)."""
    from wordvec.cli import main

    folder = tmp_path_factory.mktemp("ptb-vectors")
    files = {"skipgram": folder / "ptb-sg.npz", "ppmi": folder / "ptb-ppmi.bin", "subwords": folder / "ptb-sub.npz"}
    runs = {
        "skipgram": ["--model", "skipgram", "--epochs", "3"],
        "ppmi": ["--model", "ppmi", "--window", "2"],
        "subwords": ["--model", "skipgram", "--subwords", "--epochs", "2", "--bucket", "200000"],
    }
    old = os.environ.get("WORDVEC_DATA")
    os.environ["WORDVEC_DATA"] = str(data_dir)
    try:
        for name, options in runs.items():
            assert main(["train", "ptb", *options, "--out", str(files[name]), "--quiet"]) == 0
    finally:
        if old is None:
            os.environ.pop("WORDVEC_DATA", None)
        else:
            os.environ["WORDVEC_DATA"] = old
    return files


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (`item.rep_call`), so a fixture can tell whether
    its test failed (the browser tests save a screenshot then)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
