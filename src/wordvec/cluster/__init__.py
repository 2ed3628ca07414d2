"""Data-parallel training on a Ray cluster: shards (`shards`), workers holding replicas
(`worker`), sparse-delta synchronisation (`sync`) and the driver (`driver`). Ray is imported
only when a run starts (the `wordvec[ray]` extra); the driver and the engine load on first use,
so the CLI can read MERGES without them."""

from wordvec.cluster.sync import MERGES

__all__ = ["MERGE", "MERGES", "SYNC_EVERY", "ClusterError", "ClusterTrainer", "import_ray", "train"]


def __getattr__(name: str):
    if name in __all__:
        from wordvec.cluster import driver

        return getattr(driver, name)
    raise AttributeError(f"module 'wordvec.cluster' has no attribute {name!r}")
