"""Figures computed lately: fresh ones served, stale ones served then recomputed, missing ones computed."""

import threading

import pytest

from cite_emploi.core import recent as recent_module
from cite_emploi.core.recent import FRESH_SECONDS, recent, wait_for_refreshes


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    found = Clock()
    monkeypatch.setattr(recent_module.time, "time", found)
    return found


def counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return compute, calls


def test_a_missing_value_is_computed_on_the_request_then_served(clock):
    compute, calls = counter()
    assert recent("k", compute) == 1
    clock.now += FRESH_SECONDS - 1
    assert recent("k", compute) == 1
    assert len(calls) == 1


def test_inline_mode_recomputes_a_stale_value_before_answering(clock, settings):
    settings.RECENT_REFRESH = "inline"
    compute, calls = counter()
    recent("k", compute)
    clock.now += FRESH_SECONDS + 1
    assert recent("k", compute) == 2
    assert len(calls) == 2


def test_a_stale_value_is_served_at_once_and_recomputed_behind_the_reader(clock, settings):
    settings.RECENT_REFRESH = "thread"
    compute, calls = counter()
    recent("k", compute)
    clock.now += FRESH_SECONDS + 1
    release = threading.Event()

    def slow():
        release.wait(5)
        return compute()

    assert recent("k", slow) == 1  # the stale value, without waiting for the recomputation
    assert recent("k", slow) == 1  # a second reader does not start a second recomputation
    release.set()
    wait_for_refreshes(5)
    assert len(calls) == 2
    assert recent("k", compute) == 2  # fresh again


def test_a_failed_recomputation_keeps_the_stale_value_and_is_tried_again(clock, settings):
    settings.RECENT_REFRESH = "thread"
    recent("k", lambda: "old")
    clock.now += FRESH_SECONDS + 1

    def broken():
        raise RuntimeError("base indisponible")

    assert recent("k", broken) == "old"
    wait_for_refreshes(5)
    assert recent("k", lambda: "new") == "old"
    wait_for_refreshes(5)
    assert recent("k", lambda: "newer") == "new"


def test_a_value_made_of_stale_parts_recomputes_them_inside_its_own_recomputation(clock, settings):
    settings.RECENT_REFRESH = "thread"
    part, part_calls = counter()

    def whole():
        return ("whole", recent("part", part))

    assert recent("whole", whole) == ("whole", 1)
    clock.now += FRESH_SECONDS + 1
    assert recent("whole", whole) == ("whole", 1)
    wait_for_refreshes(5)
    assert recent("whole", whole) == ("whole", 2)
    assert len(part_calls) == 2


def test_during_a_request_the_recomputation_waits_for_the_response_to_be_sent(clock, settings):
    settings.RECENT_REFRESH = "thread"
    compute, calls = counter()
    recent("k", compute)
    clock.now += FRESH_SECONDS + 1
    recent_module._request_started()  # what Django's request_started signal calls
    try:
        assert recent("k", compute) == 1
        wait_for_refreshes(5)
        assert len(calls) == 1  # not started while the page is being rendered
    finally:
        recent_module._request_finished()
    wait_for_refreshes(5)
    assert len(calls) == 2
    assert recent("k", compute) == 2


def test_recomputing_recomputes_a_stale_value_on_the_spot_and_leaves_a_fresh_one(clock, settings):
    settings.RECENT_REFRESH = "thread"
    compute, calls = counter()
    recent("k", compute)
    with recent_module.recomputing():
        assert recent("k", compute) == 1  # fresh: kept
        clock.now += FRESH_SECONDS + 1
        assert recent("k", compute) == 2  # stale: recomputed before answering, no thread
    assert not recent_module._running
    clock.now += FRESH_SECONDS + 1
    assert recent("k", compute) == 2  # outside: served stale again, recomputed behind the reader
    wait_for_refreshes()
    assert len(calls) == 3
