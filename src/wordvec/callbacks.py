"""Training callbacks in gensim's shape: objects with `on_train_begin(model)`, `on_epoch_begin(model)`,
`on_epoch_end(model)` and `on_train_end(model)`, each given the model being trained.

Subclass `CallbackAny2Vec` and override what you need; a plain function `f(epoch, info)` (wordvec's
own callback, given the epoch number and a dict of its loss, words/s and learning rate) works
wherever a callback is accepted too.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

CALLBACK_METHODS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")


class CallbackAny2Vec:
    """Base class of gensim-style callbacks; every hook does nothing until overridden.

    gensim also defines `on_batch_begin`/`on_batch_end`; wordvec's threads train chunks without
    returning to Python per batch, so those two are never called (kept so subclasses written for
    gensim still define cleanly)."""

    def on_train_begin(self, model: Any) -> None:
        """Before the first epoch of a `train()` call."""

    def on_epoch_begin(self, model: Any) -> None:
        """Before each epoch."""

    def on_epoch_end(self, model: Any) -> None:
        """After each epoch; `model.wv` and `model.get_latest_training_loss()` are up to date."""

    def on_train_end(self, model: Any) -> None:
        """After the last epoch of a `train()` call."""

    def on_batch_begin(self, model: Any) -> None:
        """Never called by wordvec (see the class docstring)."""

    def on_batch_end(self, model: Any) -> None:
        """Never called by wordvec (see the class docstring)."""


def split_callbacks(callbacks: Iterable[Any] | None) -> tuple[list[Any], list[Callable]]:
    """(gensim-style objects, plain `f(epoch, info)` functions) of `callbacks`; anything that is
    neither raises TypeError, before any training."""
    if callbacks is None:
        return [], []
    if callable(callbacks) or any(hasattr(callbacks, m) for m in CALLBACK_METHODS):
        callbacks = [callbacks]
    objects, functions = [], []
    for callback in callbacks:
        if any(hasattr(callback, m) for m in CALLBACK_METHODS):
            objects.append(callback)
        elif callable(callback):
            functions.append(callback)
        else:
            raise TypeError(f"a callback must be a CallbackAny2Vec-style object or a function f(epoch, info), "
                            f"got {type(callback).__name__}")
    return objects, functions


def call_hook(objects: Iterable[Any], hook: str, model: Any) -> None:
    """Call `hook(model)` on every object that has it."""
    for callback in objects:
        method = getattr(callback, hook, None)
        if method is not None:
            method(model)
