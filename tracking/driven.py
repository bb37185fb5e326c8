"""Distance driven along a courier's trail of position pings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from routing.matrix import haversine_m

# Pings per block: each block costs a block x block matrix, so the trail is walked in pieces.
_BLOCK = 256


def trail_length_m(lats: Sequence[float], lngs: Sequence[float]) -> float:
    """Great-circle metres from each ping to the next, summed (pings in device-time order)."""
    total = 0.0
    # Consecutive blocks share their boundary ping, so no leg is lost between them.
    for start in range(0, max(len(lats) - 1, 0), _BLOCK - 1):
        block = haversine_m(lats[start : start + _BLOCK], lngs[start : start + _BLOCK])
        total += float(np.diagonal(block, offset=1).sum())
    return total
