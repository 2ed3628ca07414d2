"""wordvec: word vectors from text (word2vec CBOW/skip-gram, fastText subwords, PPMI/SVD) with a gensim-like API."""

from __future__ import annotations

import importlib

from wordvec.errors import (
    CorpusError,
    DatasetError,
    EvaluationFileError,
    TrainingError,
    TrainingInterrupted,
    UnknownWordError,
    VectorFileError,
    WordvecError,
)

__version__ = "0.1.0"

#: public names imported on first use, so `import wordvec` stays light (no Numba compile, no SciPy)
_LAZY = {
    "train": "wordvec.api",
    "Word2Vec": "wordvec.model",
    "FastText": "wordvec.model",
    "PPMI": "wordvec.api",
    "CallbackAny2Vec": "wordvec.callbacks",
    "Phrases": "wordvec.phrases",
    "FrozenPhrases": "wordvec.phrases",
    "Phraser": "wordvec.phrases",
    "ENGLISH_CONNECTOR_WORDS": "wordvec.phrases",
    "LineSentence": "wordvec.sentences",
    "PathLineSentences": "wordvec.sentences",
    "Text8Corpus": "wordvec.sentences",
    "TrainConfig": "wordvec.config",
    "KeyedVectors": "wordvec.vectors",
    "SubwordVectors": "wordvec.vectors",
    "load_facebook_vectors": "wordvec.facebook",
    "Vocabulary": "wordvec.corpus",
    "EncodedCorpus": "wordvec.corpus",
    "load_corpus": "wordvec.corpus",
    "book_corpus": "wordvec.corpus",
    "evaluate_analogies": "wordvec.evaluate",
    "evaluate_word_pairs": "wordvec.evaluate",
    "explore": "wordvec.serve",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'wordvec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "CorpusError",
    "DatasetError",
    "EvaluationFileError",
    "TrainingError",
    "TrainingInterrupted",
    "UnknownWordError",
    "VectorFileError",
    "WordvecError",
    "__version__",
    *_LAZY,
]
