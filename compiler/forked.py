"""Work done beside this process: a function run in a forked child, its result piped back.

Contract: `Forked(make).result()` is `make()`, whether the child ran it or (no fork, one
core, a failed child) this process did. The result travels in the cache's format.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Generic, TypeVar

from compiler import cache

T = TypeVar("T")

# Below this many tables, a child costs more than it saves (forking, piping the result back).
PARALLEL_TABLES = 1500


def worth_a_child(tables: int) -> bool:
    return tables >= PARALLEL_TABLES


class Forked(Generic[T]):
    """`make()` run in a forked child (when `worth` it and there are two cores), its result
    read back through a pipe. Where fork is missing or the child fails, `result()` runs
    `make()` here instead: the output never depends on whether the child worked."""

    def __init__(self, make: Callable[[], T], worth: bool = True) -> None:
        self._make = make
        self._pid = 0
        self._read_end = -1
        if not worth or not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                os.close(read_end)
                with os.fdopen(write_end, "wb") as out:
                    out.write(cache.dumps(make()))
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self._pid, self._read_end = pid, read_end

    def abandon(self) -> None:
        """Stop waiting for the child: it fails writing to the closed pipe and exits."""
        if self._pid:
            os.close(self._read_end)
            os.waitpid(self._pid, 0)
            self._pid = 0

    def result(self) -> T:
        if not self._pid:
            return self._make()
        with os.fdopen(self._read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return self._make()
        made: T = cache.loads(data)
        return made
