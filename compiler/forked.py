"""Work done beside this process: a function run in a forked child, its result handed back.

Contract: `Forked(make).result()` is `make()`, whether the child ran it or (no fork, one
core, a failed child) this process did. `Asked(prepare, make)` forks at once a child that
runs `prepare()` while this process works out what to ask; `ask(question)` hands it over,
and `result()` is `make(question)`, wherever it ran. Results travel in the cache's format.
`shared_work(count, here, there, back, children)` is `[here(i) for i in range(count)]`, the
items shared between this process and forked children.
"""

from __future__ import annotations

import functools
import mmap
import os
import pickle
import signal
import struct
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
        self._out = out = _memory_file()
        self._pid = _fork(lambda: _hand_over(out, make()))

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
        self._out = out = _memory_file()
        read, write = os.pipe()
        self._write = write

        def answer() -> None:
            os.close(write)
            prepare()
            with open(read, "rb") as asked:
                data = asked.read()
            if data:  # nothing: this process gave up on the answer
                _hand_over(out, make(pickle.loads(data)))

        self._pid = _fork(answer)
        os.close(read)

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


def shared_work(count: int, here: Callable[[int], T], there: Callable[[int], bytes],
                back: Callable[[bytes], T], children: int = 1) -> list[T]:
    """Items 0 to count - 1, each done once, by this process and `children` forked ones; the
    results in order. The children take items from the first on, each the next that is free
    (`there(i)`, whose bytes come back through `back`); this process takes them from the last
    back (`here(i)`), until it meets an item a child has. The split needs no guess of what
    each item costs, and what this process does is never handed over.

    A child writes each result to a file in memory and goes on: it never waits for this
    process, which reads back what the children have done between its own items. An item a
    child took but did not hand back (it failed) is done here, as is everything where there
    is no fork or a single core."""
    children = min(children, _OURS - 1)
    if children < 1 or count < 2 or not _can_fork():
        return [here(i) for i in range(count)]
    # item i's owner (0: free, k + 1: child k, OURS), then each child's handed-back length
    claims = mmap.mmap(-1, count + 8 * children)
    lock = _memory_file()
    outs = [_memory_file() for _ in range(children)]
    running: dict[int, int] = {}  # child -> its pid, until it is waited for
    done: dict[int, T] = {}
    read_at = [0] * children

    def read_back(k: int) -> None:
        (ready,) = _LENGTH.unpack_from(claims, count + 8 * k)
        fd = outs[k].fileno()
        while read_at[k] < ready:
            head = os.pread(fd, _FRAME.size, read_at[k])
            data = None
            if len(head) == _FRAME.size:
                i, size = _FRAME.unpack(head)
                data = _pread_all(fd, size, read_at[k] + _FRAME.size)
            if data is None:
                return  # not all there yet: read again later (the length can be seen first)
            done[i] = back(data)
            read_at[k] += _FRAME.size + len(data)

    try:
        for k in range(children):
            try:
                running[k] = _fork(functools.partial(_work_from_the_front, count, there,
                                                     claims, lock, outs[k], k))
            except OSError:
                break  # this process does the child's share
        for i in range(count - 1, -1, -1):
            if _claim(claims, lock, i, _OURS) != _OURS:
                break
            done[i] = here(i)
            for k in running:
                read_back(k)
        for k in list(running):
            os.waitpid(running.pop(k), 0)
            read_back(k)
    except BaseException:
        for k, pid in running.items():
            _stop(pid, outs[k])
        raise
    finally:
        for f in (lock, *outs):
            f.close()
        claims.close()
    return [done[i] if i in done else here(i) for i in range(count)]


_OURS = 255  # the owner byte of this process's items (children are 1 to 254)
_FRAME = struct.Struct("<IQ")  # a handed-back result: the item, the length of its bytes
_LENGTH = struct.Struct("<Q")


def _work_from_the_front(count: int, there: Callable[[int], bytes], claims: mmap.mmap,
                         lock: IO[bytes], out: IO[bytes], k: int) -> None:
    for i in range(count):
        owner = _claim(claims, lock, i, k + 1)
        if owner == _OURS:
            break  # met the parent: the rest is its
        if owner != k + 1:
            continue  # another child's
        data = there(i)
        out.write(_FRAME.pack(i, len(data)))
        out.write(data)
        out.flush()
        # written after the bytes it counts, so the parent never reads a partial result
        _LENGTH.pack_into(claims, count + 8 * k, out.tell())


def _claim(claims: mmap.mmap, lock: IO[bytes], i: int, who: int) -> int:
    """Item i for `who` if it is free; its owner either way. A record lock on a shared file
    makes the look and the claim one step across processes."""
    import fcntl  # POSIX, as is fork: imported where a child was forked

    fcntl.lockf(lock, fcntl.LOCK_EX)
    try:
        if claims[i] == 0:
            claims[i] = who
        return claims[i]
    finally:
        fcntl.lockf(lock, fcntl.LOCK_UN)


def _pread_all(fd: int, size: int, offset: int) -> bytes | None:
    """`size` bytes at `offset`, or None where the file ends sooner."""
    parts = []
    while size > 0:
        part = os.pread(fd, size, offset)
        if not part:
            return None
        parts.append(part)
        size -= len(part)
        offset += len(part)
    return b"".join(parts) if len(parts) != 1 else parts[0]


def _fork(work: Callable[[], object]) -> int:
    """A child that runs `work` and ends (with status 1 if it raised), never returning into
    the caller's code; its pid."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    return pid


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
