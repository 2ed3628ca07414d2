"""The Python entry points: wordvec.train, the estimators, gensim-style argument names."""

from __future__ import annotations

import numpy as np
import pytest

import wordvec
from wordvec import PPMI, KeyedVectors, TrainConfig, Word2Vec


def topic_sentences(n: int = 2000, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    topics = [["red", "green", "blue", "yellow", "purple"], ["one", "two", "three", "four", "five"]]
    return [list(rng.choice(topics[i % 2], size=6)) for i in range(n)]


def test_lazy_public_names():
    assert "KeyedVectors" in dir(wordvec)
    with pytest.raises(AttributeError):
        wordvec.NoSuchThing  # noqa: B018


@pytest.mark.parametrize("model", ["skipgram", "cbow", "ppmi"])
def test_train_on_token_lists_separates_topics(model):
    kv = wordvec.train(topic_sentences(), model=model, dim=8, min_count=1, epochs=3, threads=1, window=2,
                       sample=0)  # 10 words: subsampling would drop ~90% of the tokens
    assert isinstance(kv, KeyedVectors) and len(kv) == 10 and kv.vector_size == 8
    neighbours = [w for w, _ in kv.most_similar("red", topn=4)]
    assert set(neighbours) == {"green", "blue", "yellow", "purple"}
    assert kv.metadata["config"]["model"] == model


def test_word2vec_accepts_gensim_names():
    model = Word2Vec(sg=0, vector_size=12, workers=1, alpha=0.01, hs=1, negative=0, min_count=1, epochs=2)
    assert model.config.model == "cbow" and model.config.dim == 12 and model.config.threads == 1
    assert model.config.learning_rate == 0.01 and model.config.loss == "hs"
    assert model.fit(topic_sentences(200)).wv.vector_size == 12


def test_ppmi_estimator_and_config_errors():
    assert PPMI(window=2, dim=4).fit(topic_sentences(300)).wv.vector_size == 4
    with pytest.raises(TypeError):
        wordvec.train(topic_sentences(10), TrainConfig(), dim=3)
    with pytest.raises(ValueError, match="model"):
        Word2Vec(model="glove")
