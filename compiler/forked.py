"""Work done beside this process: a function run in a forked child, its result handed back.

Contract: `Forked(make).result()` is `make()`, whether the child ran it or (no fork, one
core, a failed child) this process did. The result travels in the cache's format.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Callable
from typing import IO, Generic, TypeVar

from compiler import cache

T = TypeVar("T")

# Below this many tables, a child costs more than it saves (forking, handing the result back).
PARALLEL_TABLES = 1500


def worth_a_child(tables: int) -> bool:
    return tables >= PARALLEL_TABLES


class Forked(Generic[T]):
    """`make()` run in a forked child (when `worth` it and there are two cores), its result
    read back once the child is done. Where fork is missing or the child fails, `result()`
    runs `make()` here instead: the output never depends on whether the child worked.

    The child writes its result to a file in memory rather than a pipe: a child that is
    done before this process asks does not wait on a full pipe, and 20 MB are read back in
    one call (through a pipe, the DDL of 10,000 tables took 0.1 s to come back)."""

    def __init__(self, make: Callable[[], T], worth: bool = True) -> None:
        self._make = make
        self._pid = 0
        if not worth or not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
            return
        self._out = _memory_file()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                made = make()
                # bytes (a finished output) as they are; anything else pickled
                self._out.write(_RAW + made if isinstance(made, bytes) else cache.dumps(made))
                self._out.flush()
                code = 0
            finally:
                os._exit(code)
        self._pid = pid

    def abandon(self) -> None:
        """Stop the child and forget its result."""
        if self._pid:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._out.close()
            self._pid = 0

    def result(self) -> T:
        if not self._pid:
            return self._make()
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        with self._out:
            if os.waitstatus_to_exitcode(status) != 0:
                return self._make()
            self._out.seek(0)
            head = self._out.read(len(_RAW))
            if head == _RAW:
                raw: T = self._out.read()  # type: ignore[assignment] # `make` gave bytes
                return raw
            made: T = cache.loads(head + self._out.read())
        return made


# What starts a result handed back as raw bytes: never the start of a pickle, whose first
# byte is its PROTO opcode (0x80)
_RAW = b"raw\n"


def _memory_file() -> IO[bytes]:
    """A file that lives in memory only (Linux), else a temporary file."""
    if hasattr(os, "memfd_create"):
        return open(os.memfd_create("schemac-result", os.MFD_CLOEXEC), "w+b")  # noqa: SIM115
    return tempfile.TemporaryFile()
