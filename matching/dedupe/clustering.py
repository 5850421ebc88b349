"""Clusters: the records a set of links says are one person.

For now, the connected components of the links above the threshold (scipy's sparse
graph routine, linear in records and links). A cluster's id is the smallest record id in
it, so it does not depend on the input's order or the run.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components(
    n: int, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Each of ``n`` records' component label, given links ``left[i] -- right[i]``."""
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def cluster_frame(ids: npt.NDArray[np.object_], labels: npt.NDArray[np.int64]) -> pd.DataFrame:
    """Every record id once, with its ``cluster_id`` (the smallest id in its cluster)."""
    frame = pd.DataFrame({"record_id": ids, "label": labels})
    smallest = frame.groupby("label")["record_id"].transform("min")
    return pd.DataFrame({"cluster_id": smallest.to_numpy()}, index=pd.Index(ids, name="record_id"))
