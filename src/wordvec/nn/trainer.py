"""Mini-batch training loop for any model with params / grads / forward / backward."""

from __future__ import annotations

import math
import os
import time
from typing import Callable, Sequence

import numpy as np

from wordvec.errors import TrainingError
from wordvec.nn.sparse import SparseGrad
from wordvec.progress import progress_bar


def clip_grads(grads: list, max_norm: float) -> list:
    """Scale all gradients so their joint L2 norm is at most `max_norm`; returns the gradients.

    Sparse gradients are coalesced first (duplicate rows summed) so the norm is the true one.
    """
    grads = [g.coalesce() if isinstance(g, SparseGrad) else g for g in grads]
    total = math.sqrt(sum(g.norm_squared() if isinstance(g, SparseGrad) else float(np.vdot(g, g)) for g in grads))
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for i, g in enumerate(grads):
            if isinstance(g, SparseGrad):
                g.scale(rate)
            else:
                grads[i] = g * rate
    return grads


class Trainer:
    """`Trainer(model, optimizer).fit(x, t, ...)`: shuffled mini-batches, loss history, progress.

    `loss_list` holds the mean loss of every `eval_interval` batches, `epoch_losses` the mean loss
    of each epoch. The row order is reshuffled each epoch from a seeded generator.
    """

    def __init__(self, model, optimizer, *, seed: int | None = 0, progress: bool = True) -> None:
        self.model = model
        self.optimizer = optimizer
        self.rng = np.random.default_rng(seed)
        self.progress = progress
        self.loss_list: list[float] = []
        self.loss_words: list[int] = []
        self.epoch_losses: list[float] = []
        self.eval_interval: int | None = None
        self.current_epoch = 0
        self.words_done = 0

    def fit(
        self,
        x: np.ndarray,
        t: np.ndarray,
        max_epoch: int = 10,
        batch_size: int = 32,
        max_grad: float | None = None,
        eval_interval: int = 20,
        callbacks: Sequence[Callable[[int, dict], object]] = (),
    ) -> "Trainer":
        """Train for `max_epoch` passes over the rows of (x, t).

        After each epoch every callback is called as callback(epoch, info), epoch counted from 0 as
        in the fast engine, info = {"epoch", "loss" (epoch mean), "pairs", "seconds",
        "words_per_sec"}.
        """
        n = len(x)
        if n == 0 or len(t) != n:
            raise TrainingError(f"need as many targets as inputs (>0), got {n} and {len(t)}")
        self.eval_interval = eval_interval
        model, optimizer = self.model, self.optimizer
        n_batches = -(-n // batch_size)
        bar = progress_bar(max_epoch * n, desc="training", unit="word", enabled=self.progress)
        try:
            for _ in range(max_epoch):
                started = time.perf_counter()
                order = self.rng.permutation(n)
                xs, ts = x[order], t[order]
                epoch_total, interval_total, interval_count = 0.0, 0.0, 0
                for b in range(n_batches):
                    lo, hi = b * batch_size, min((b + 1) * batch_size, n)
                    loss = model.forward(xs[lo:hi], ts[lo:hi])
                    if not math.isfinite(loss):
                        raise TrainingError(f"loss became {loss} at epoch {self.current_epoch + 1}, batch {b + 1}")
                    model.backward()
                    grads = model.grads
                    if max_grad is not None:
                        grads = clip_grads(grads, max_grad)
                    optimizer.update(model.params, grads)
                    self.words_done += hi - lo
                    epoch_total += loss
                    interval_total += loss
                    interval_count += 1
                    if interval_count == eval_interval:
                        self.loss_list.append(interval_total / interval_count)
                        self.loss_words.append(self.words_done)
                        interval_total, interval_count = 0.0, 0
                        bar.set_postfix(epoch=self.current_epoch + 1, loss=f"{self.loss_list[-1]:.3f}", refresh=False)
                    bar.update(hi - lo)
                self.current_epoch += 1
                flush = getattr(optimizer, "flush", None)  # LazyAdam: pending drift of skipped rows
                if flush is not None:
                    flush(model.params)
                self.epoch_losses.append(epoch_total / n_batches)
                seconds = time.perf_counter() - started
                info = {"epoch": self.current_epoch - 1, "loss": self.epoch_losses[-1], "pairs": n,
                        "seconds": seconds, "words_per_sec": n / seconds if seconds > 0 else float("nan")}
                for callback in callbacks:
                    callback(info["epoch"], dict(info))
        finally:
            bar.close()
        return self

    @property
    def history(self) -> dict:
        """JSON-safe loss history in the keys wordvec.plots.plot_loss reads."""
        return {
            "step_loss": [float(v) for v in self.loss_list],
            "step_words": [int(v) for v in self.loss_words],
            "epoch_loss": [float(v) for v in self.epoch_losses],
            "eval_interval": self.eval_interval,
        }

    def plot(self, path: str | os.PathLike, ylim: tuple[float, float] | None = None) -> None:
        """Save the loss curve (mean loss per eval interval) as an image; needs matplotlib."""
        if not self.loss_list:
            raise TrainingError("nothing to plot: call fit() first")
        try:
            from wordvec.plots import plot_loss
        except ImportError:  # the plots module is optional for this layer
            plot_loss = None
        if plot_loss is not None and ylim is None:
            plot_loss(self.history, path)
            return
        _plot_with_matplotlib(self.loss_list, self.eval_interval, path, ylim)


def _plot_with_matplotlib(losses: list[float], interval: int, path, ylim) -> None:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise TrainingError("plotting needs matplotlib: pip install 'wordvec[plot]'") from exc
    from wordvec.fileio import atomic_write

    fig = Figure(figsize=(6, 4))  # no pyplot: leaves the user's backend alone
    ax = fig.subplots()
    ax.plot(np.arange(1, len(losses) + 1) * interval, losses)
    ax.set_xlabel("iterations")
    ax.set_ylabel("loss")
    if ylim is not None:
        ax.set_ylim(*ylim)
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png")
