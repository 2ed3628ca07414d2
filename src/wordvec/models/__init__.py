"""The book's word2vec (chapters 3-4) as layer-by-layer NumPy models, and the reference engine."""

from wordvec.models.data import contexts_in_sentences, convert_one_hot, create_contexts_target
from wordvec.models.engine import train
from wordvec.models.negative_sampling import NegativeSamplingLoss, UnigramSampler
from wordvec.models.simple import SimpleCBOW, SimpleSkipGram
from wordvec.models.word2vec import CBOW, SkipGram

__all__ = [
    "CBOW",
    "NegativeSamplingLoss",
    "SimpleCBOW",
    "SimpleSkipGram",
    "SkipGram",
    "UnigramSampler",
    "contexts_in_sentences",
    "convert_one_hot",
    "create_contexts_target",
    "train",
]
