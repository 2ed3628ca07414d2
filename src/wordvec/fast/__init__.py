"""The fast engine: multi-threaded word2vec in Numba kernels, built from independent parts as in
fastText: an input-row table (`rows`: which rows make a word's input vector), a loss (`losses`:
negative sampling, hierarchical softmax, full softmax), one step shared by all of them (`step`),
and one training loop for both model families (`kernels`). `train()` is the engine entry point;
`FastTrainer` exposes the state; `update()` runs one checked step (the cross-checks use it)."""

from wordvec.fast.losses import HierarchicalSoftmax, NegativeSampling, Softmax, make_loss
from wordvec.fast.rows import InputRows
from wordvec.fast.tables import AliasTable, HuffmanTree
from wordvec.fast.trainer import FastTrainer, balanced_ranges, split_long_sentences, train
from wordvec.fast.updates import cbow_hs_update, cbow_ns_update, sg_hs_update, sg_ns_update, update

__all__ = [
    "AliasTable",
    "FastTrainer",
    "HierarchicalSoftmax",
    "HuffmanTree",
    "InputRows",
    "NegativeSampling",
    "Softmax",
    "balanced_ranges",
    "cbow_hs_update",
    "cbow_ns_update",
    "make_loss",
    "sg_hs_update",
    "sg_ns_update",
    "split_long_sentences",
    "train",
    "update",
]
