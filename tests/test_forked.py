"""`Forked(make).result()` is `make()`, whichever process ran it; `shared_work` does each item
once, wherever it ran."""

from __future__ import annotations

import os
import pickle
import time

import pytest

from compiler.forked import Asked, Forked, shared_work

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


# `Asked`: the child gets ready at once, then answers the question it is given

_READY: list[int] = []


def _get_ready() -> None:
    _READY.append(os.getpid())  # in the child's memory only


def test_the_child_gets_ready_then_answers_the_question() -> None:
    parent = os.getpid()
    asked: Asked[str, tuple[int, list[int], str]] = Asked(
        _get_ready, lambda q: (os.getpid(), list(_READY), q * 2))
    asked.ask("ab")
    pid, ready, answer = asked.result()
    assert pid != parent and ready == [pid]  # prepared in the child that answered
    assert answer == "abab"
    assert _READY == []  # nothing was prepared here


def test_a_failed_asked_child_leaves_the_answer_to_this_process() -> None:
    parent = os.getpid()

    def make(q: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return q + 1

    asked: Asked[int, int] = Asked(lambda: None, make)
    asked.ask(41)
    assert asked.result() == 42


@pytest.mark.parametrize("when", ["before the question", "after the question"])
def test_an_asked_child_no_longer_needed_is_stopped_at_once(when: str) -> None:
    asked: Asked[int, None] = Asked(lambda: time.sleep(60) if when.startswith("before")
                                    else None, lambda q: time.sleep(q))
    if when == "after the question":
        asked.ask(60)
    started = time.monotonic()
    asked.abandon()
    assert time.monotonic() - started < 10
    asked.abandon()  # twice is harmless


def test_no_answer_before_the_question() -> None:
    asked: Asked[int, int] = Asked(lambda: None, lambda q: q)
    with pytest.raises(RuntimeError):
        asked.result()
    asked.abandon()


def _by_whom(i: int) -> tuple[int, int]:
    time.sleep(0.002)  # long enough that both processes take some items
    return i, os.getpid()


def test_shared_work_does_each_item_once_in_order_in_both_processes() -> None:
    parent = os.getpid()
    done = shared_work(200, _by_whom, lambda i: pickle.dumps((*_by_whom(i), "x" * 70_000)),
                       lambda data: pickle.loads(data)[:2], children=1)
    assert [i for i, _ in done] == list(range(200))
    by = [pid for _, pid in done]
    # the child from the first item on, this process from the last back: they meet once
    assert by[0] != parent and by[-1] == parent
    assert by == sorted(by, key=lambda pid: pid == parent)


@pytest.mark.parametrize("children", [2, 3])
def test_shared_work_with_several_children(children: int) -> None:
    done = shared_work(100, _by_whom, lambda i: pickle.dumps(_by_whom(i)), pickle.loads,
                       children=children)
    assert [i for i, _ in done] == list(range(100))


def test_what_a_failed_child_took_is_done_here() -> None:
    parent = os.getpid()

    def there(i: int) -> bytes:
        if i == 5:
            raise RuntimeError("the child fails")
        return pickle.dumps(_by_whom(i))

    done = shared_work(60, _by_whom, there, pickle.loads, children=1)
    assert [i for i, _ in done] == list(range(60))
    assert done[5][1] == parent


def test_a_failure_here_stops_the_children_and_is_raised() -> None:
    def here(i: int) -> tuple[int, int]:
        raise RuntimeError("this process fails")

    def there(i: int) -> bytes:
        time.sleep(0.05)
        return pickle.dumps((i, os.getpid()))

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="this process fails"):
        shared_work(400, here, there, pickle.loads, children=2)
    assert time.monotonic() - started < 10  # the children (20 s of work) were stopped
