"""Work done beside this process: a function run in a forked child, its result handed back.

Contract: `Forked(make).result()` is `make()`, whether the child ran it or (no fork, one
core, a failed child) this process did. `Asked(prepare, make)` forks at once a child that
runs `prepare()` while this process works out what to ask; `ask(question)` hands it over,
and `result()` is `make(question)`, wherever it ran. Results travel in the cache's format.
"""

from __future__ import annotations

import os
import pickle
import signal
import tempfile
from collections.abc import Callable
from typing import IO, Generic, TypeVar

from compiler import cache

T = TypeVar("T")
Q = TypeVar("Q")

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
        if not worth or not _can_fork():
            return
        self._out = _memory_file()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                _hand_over(self._out, make())
                code = 0
            finally:
                os._exit(code)
        self._pid = pid

    def abandon(self) -> None:
        """Stop the child and forget its result."""
        if self._pid:
            _stop(self._pid, self._out)
            self._pid = 0

    def result(self) -> T:
        if not self._pid:
            return self._make()
        pid, self._pid = self._pid, 0
        return _handed_back(pid, self._out, self._make)


class Asked(Generic[Q, T]):
    """`prepare()` run at once in a forked child, which then waits for the question to run
    `make(question)` on: the child gets ready (loads what `make` will need) while this
    process works the question out. `make` must not depend on `prepare`: where no child
    runs (no fork, one core, a failed child), `result()` runs `make(question)` here alone.
    The question is small (it goes through a pipe). `abandon()` (a no-op once the result
    is in) stops a child that is no longer needed."""

    def __init__(self, prepare: Callable[[], object], make: Callable[[Q], T]) -> None:
        self._make = make
        self._question: list[Q] = []
        self._pid = 0
        if not _can_fork():
            return
        self._out = _memory_file()
        read, self._write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                os.close(self._write)
                prepare()
                with open(read, "rb") as asked:
                    data = asked.read()
                if data:  # nothing: this process gave up on the answer
                    _hand_over(self._out, make(pickle.loads(data)))
                code = 0
            finally:
                os._exit(code)
        os.close(read)
        self._pid = pid

    def ask(self, question: Q) -> None:
        self._question = [question]
        if self._pid:
            try:
                with open(self._write, "wb") as asking:
                    asking.write(pickle.dumps(question, pickle.HIGHEST_PROTOCOL))
            except OSError:  # the child is gone: `result()` finds it failed
                pass

    def result(self) -> T:
        if not self._question:
            raise RuntimeError("result() before ask()")
        (question,) = self._question
        if not self._pid:
            return self._make(question)
        pid, self._pid = self._pid, 0
        return _handed_back(pid, self._out, lambda: self._make(question))

    def abandon(self) -> None:
        if self._pid:
            if not self._question:
                os.close(self._write)
            _stop(self._pid, self._out)
            self._pid = 0


def _can_fork() -> bool:
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2


def _hand_over(out: IO[bytes], made: object) -> None:
    """The child's result into `out`: bytes (a finished output) as they are, anything else
    pickled (`_handed_back` reads it)."""
    out.write(_RAW + made if isinstance(made, bytes) else cache.dumps(made))
    out.flush()


def _stop(pid: int, out: IO[bytes]) -> None:
    """End a child whose result is no longer wanted, and drop its file."""
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    out.close()


def _handed_back(pid: int, out: IO[bytes], make: Callable[[], T]) -> T:
    """The result a child left in `out`, once it has ended; `make()` here if it failed."""
    _, status = os.waitpid(pid, 0)
    with out:
        if os.waitstatus_to_exitcode(status) != 0:
            return make()
        out.seek(0)
        head = out.read(len(_RAW))
        if head == _RAW:
            raw: T = out.read()  # type: ignore[assignment] # `make` gave bytes
            return raw
        made: T = cache.loads(head + out.read())
    return made


# What starts a result handed back as raw bytes: never the start of a pickle, whose first
# byte is its PROTO opcode (0x80)
_RAW = b"raw\n"


def _memory_file() -> IO[bytes]:
    """A file that lives in memory only (Linux), else a temporary file."""
    if hasattr(os, "memfd_create"):
        return open(os.memfd_create("schemac-result", os.MFD_CLOEXEC), "w+b")  # noqa: SIM115
    return tempfile.TemporaryFile()
