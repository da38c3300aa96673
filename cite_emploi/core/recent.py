"""Figures computed lately: served from the cache at once, recomputed behind the reader once stale.

The diagnostic's overview and the steering dashboards read every follow-up of the territory: about
a second at 100,000 people. A reader should not wait for that each time the figures are a few
minutes old, so ``recent(key, compute)`` keeps each value with the moment it was computed, for
``KEEP_SECONDS``:

* younger than ``fresh_seconds``: served as it is;
* older: still served (the pages print when their figures were computed), and recomputed by a
  thread of the same process, one at a time per key (a lock in the cache), so that the next reader
  gets fresh figures. The thread starts once the response has been sent (``request_finished``):
  started at once, it would share the interpreter with the page being rendered and slow it down;
* missing (first view of that key, or a day without a reader): computed on the request.

A value computed from other recent values (a dashboard from its tables) recomputes them on the spot
when they are stale too, inside the same recomputation, so it is never made of stale parts.

A missing value is what the daily warm-up tasks prevent (``DAILY_TASKS``): inside
``recomputing()`` they compute each page's figures for the day, stale ones included, before the
first reader. The values must then be shared by the processes: production sets ``CACHE_URL`` (Redis,
``settings.py``); with each process's own memory, a warm-up only warms its own process.

``settings.RECENT_REFRESH = "inline"`` recomputes a stale value before answering instead: the
tests use it, their database transaction being invisible to another thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connections

FRESH_SECONDS = 300
KEEP_SECONDS = 24 * 3600
LOCK_SECONDS = 120

logger = logging.getLogger(__name__)
_running: list[threading.Thread] = []
_inside = threading.local()


def recent(key: str, compute: Callable[[], Any], fresh_seconds: int = FRESH_SECONDS) -> Any:
    found = cache.get(key)
    if found is None:
        return _store(key, compute)
    computed, value = found
    if time.time() - computed < fresh_seconds:
        return value
    if getattr(settings, "RECENT_REFRESH", "thread") == "inline" or getattr(_inside, "refresh", False):
        return _store(key, compute)
    if cache.add(f"{key}:refreshing", 1, LOCK_SECONDS):
        if getattr(_inside, "request", False):
            _inside.pending = [*getattr(_inside, "pending", []), (key, compute)]
        else:
            _start(key, compute)
    return value


@contextmanager
def recomputing() -> Iterator[None]:
    """Within it, a stale value is recomputed on the spot rather than behind the reader."""
    before = getattr(_inside, "refresh", False)
    _inside.refresh = True
    try:
        yield
    finally:
        _inside.refresh = before


def _start(key: str, compute: Callable[[], Any]) -> None:
    thread = threading.Thread(target=_refresh, args=(key, compute), daemon=True)
    _running[:] = [t for t in _running if t.is_alive()]
    _running.append(thread)
    thread.start()


def _request_started(**kwargs) -> None:
    _inside.request = True
    _inside.pending = []


def _request_finished(**kwargs) -> None:
    _inside.request = False
    pending, _inside.pending = getattr(_inside, "pending", []), []
    for key, compute in pending:
        _start(key, compute)


request_started.connect(_request_started, dispatch_uid="core.recent.request_started")
request_finished.connect(_request_finished, dispatch_uid="core.recent.request_finished")


def wait_for_refreshes(timeout: float | None = None) -> None:
    """Wait until the recomputations started by this process are over (benchmarks, shutdown)."""
    while _running:
        _running.pop().join(timeout)


def _store(key: str, compute: Callable[[], Any]) -> Any:
    value = compute()
    cache.set(key, (time.time(), value), KEEP_SECONDS)
    return value


def _refresh(key: str, compute: Callable[[], Any]) -> None:
    _inside.refresh = True
    try:
        _store(key, compute)
    except Exception:
        # The stale value stays in place; the next reader after the lock will try again.
        logger.exception("Recalcul en arrière-plan impossible pour %s", key)
    finally:
        cache.delete(f"{key}:refreshing")
        connections.close_all()  # this thread's own connections
