"""An order in which objects can be created: each after those it depends on.

Contract: `creation_order(deps)` lists every key of `deps` after the keys it depends on
(dependencies that are not keys, and on itself, are ignored), ties broken by name so that the
order never depends on declaration order; a cycle is cut at the smallest name still waiting.
Tables (foreign keys, parents) and views (what they read) are ordered by it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from typing import TypeVar

from compiler import ir

_K = TypeVar("_K", bound=ir.QName | tuple[str, str])


def creation_order(deps: Mapping[_K, Iterable[_K]]) -> list[_K]:
    """Kahn's algorithm: every name after the names it depends on (those among the keys),
    ties broken by name, so the order never depends on declaration order. Cycles are cut at
    the smallest remaining name."""
    remaining = {n: {d for d in ds if d in deps and d != n} for n, ds in deps.items()}
    users: dict[_K, set[_K]] = {n: set() for n in deps}
    for n, ds in remaining.items():
        for d in ds:
            users[d].add(n)
    ready = [n for n, ds in remaining.items() if not ds]
    heapq.heapify(ready)
    order: list[_K] = []
    while remaining:
        if not ready:  # a cycle: release the smallest name still waiting
            heapq.heappush(ready, min(remaining))
        n = heapq.heappop(ready)
        if n not in remaining:
            continue
        del remaining[n]
        order.append(n)
        for u in sorted(users[n]):
            if u in remaining:
                remaining[u].discard(n)
                if not remaining[u]:
                    heapq.heappush(ready, u)
    return order
