"""Data-parallel training on a Ray cluster: shards (`shards`), workers holding replicas
(`worker`), sparse-delta synchronisation (`sync`) and the driver (`driver`). Ray is imported
only when a run starts (the `wordvec[ray]` extra)."""

from wordvec.cluster.driver import MERGE, SYNC_EVERY, ClusterError, ClusterTrainer, train
from wordvec.cluster.sync import MERGES

__all__ = ["MERGE", "MERGES", "SYNC_EVERY", "ClusterError", "ClusterTrainer", "train"]
