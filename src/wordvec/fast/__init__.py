"""The fast engine: multi-threaded word2vec (skip-gram/CBOW x negative sampling/hierarchical
softmax) in Numba kernels. `train()` is the engine entry point; `FastTrainer` exposes the state."""

from wordvec.fast.losses import HierarchicalSoftmax, LossStrategy, NegativeSampling, make_loss
from wordvec.fast.tables import AliasTable, HuffmanTree
from wordvec.fast.trainer import FastTrainer, balanced_ranges, split_long_sentences, train
from wordvec.fast.updates import cbow_hs_update, cbow_ns_update, sg_hs_update, sg_ns_update

__all__ = [
    "AliasTable",
    "FastTrainer",
    "HierarchicalSoftmax",
    "HuffmanTree",
    "LossStrategy",
    "NegativeSampling",
    "balanced_ranges",
    "cbow_hs_update",
    "cbow_ns_update",
    "make_loss",
    "sg_hs_update",
    "sg_ns_update",
    "split_long_sentences",
    "train",
]
