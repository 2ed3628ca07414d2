"""The book's neural-network building blocks (chapters 1-4) in plain NumPy.

Layers keep the book's contract (`params`, `grads`, `forward`, `backward`); embedding tables get
row-sparse gradients (`SparseGrad`) so that word2vec steps cost O(batch x hidden).
"""

from wordvec.nn.functions import log_softmax, relu, sigmoid, sigmoid_cross_entropy, softmax, softmax_cross_entropy
from wordvec.nn.layers import (Affine, Embedding, EmbeddingDot, EmbeddingMean, MatMul, RaggedEmbeddingMean, ReLU,
                               Sigmoid, Softmax)
from wordvec.nn.losses import SigmoidWithLoss, SoftmaxWithLoss
from wordvec.nn.optim import SGD, AdaGrad, Adam, LazyAdam, Momentum, make_optimizer
from wordvec.nn.sparse import SparseGrad, merge_grads, scatter_add, sum_rows
from wordvec.nn.trainer import Trainer, clip_grads

__all__ = [
    "Affine", "AdaGrad", "Adam", "Embedding", "EmbeddingDot", "EmbeddingMean", "LazyAdam", "MatMul", "Momentum",
    "RaggedEmbeddingMean", "ReLU", "SGD", "Sigmoid", "SigmoidWithLoss", "Softmax", "SoftmaxWithLoss", "SparseGrad",
    "Trainer", "clip_grads", "log_softmax", "make_optimizer", "merge_grads", "relu",
    "scatter_add", "sigmoid", "sigmoid_cross_entropy", "softmax", "softmax_cross_entropy", "sum_rows",
]
