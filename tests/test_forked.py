"""`Forked(make).result()` is `make()`, whichever process ran it."""

from __future__ import annotations

import os
import time

import pytest

from compiler.forked import Forked

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2,
                                reason="no child is forked here")


def test_the_child_makes_the_result() -> None:
    parent = os.getpid()
    made = Forked(lambda: (os.getpid(), "x" * 3_000_000))  # larger than a pipe's buffer
    pid, text = made.result()
    assert pid != parent
    assert text == "x" * 3_000_000


def test_a_failed_child_leaves_the_work_to_this_process() -> None:
    parent = os.getpid()

    def make() -> int:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return 42

    assert Forked(make).result() == 42


def test_an_abandoned_child_is_stopped_at_once() -> None:
    made = Forked(lambda: time.sleep(60))
    started = time.monotonic()
    made.abandon()
    assert time.monotonic() - started < 10


def test_bytes_come_back_as_they_were_made() -> None:
    # a finished output is handed back without pickling: whatever its first bytes are
    data = b"raw\n" + bytes(range(256)) * 20_000
    assert Forked(lambda: data).result() == data
    assert Forked(lambda: b"").result() == b""
