"""wordvec: word vectors from text (word2vec CBOW/skip-gram, PPMI/SVD) with a gensim-like API."""

from wordvec.errors import (
    CorpusError,
    DatasetError,
    TrainingError,
    TrainingInterrupted,
    UnknownWordError,
    VectorFileError,
    WordvecError,
)

__version__ = "0.1.0"

__all__ = [
    "CorpusError",
    "DatasetError",
    "TrainingError",
    "TrainingInterrupted",
    "UnknownWordError",
    "VectorFileError",
    "WordvecError",
    "__version__",
]
