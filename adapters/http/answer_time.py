"""How long people wait for an answer: from a request's arrival to its answer handed to the platform.

``customer_moment_http_request_seconds`` times the HTTP answer, which for Slack is only the
acknowledgement; the answer a person reads may follow it (a command's, a button's, a direct message's).
The server's middleware notes when each request arrived (:func:`arrived`); whatever answers it, in the
request's task or one started from it, says when the answer was handed over (:func:`answered`), and
``customer_moment_answer_seconds{surface,kind}`` records the wait. What the answer is: the first reply the
person sees (Slack; posts for others and work after it are not waited on), the replies of a Teams
message, the HTTP answer of a form's acknowledgement or a Teams invoke. A busy answer is counted apart
(``customer_moment_answers_shed_total``), and nothing that did not come in over HTTP is timed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from bot import metrics

_ARRIVED: ContextVar[float | None] = ContextVar("customer_moment_arrived", default=None)


@contextmanager
def arrived() -> Iterator[None]:
    """Around the handling of one request: it arrived now (tasks started meanwhile keep knowing it)."""
    token = _ARRIVED.set(time.perf_counter())
    try:
        yield
    finally:
        _ARRIVED.reset(token)


def now() -> float:
    """The clock :func:`answered` reads (``time.perf_counter``), for an answer handed over earlier."""
    return time.perf_counter()


def answered(*, surface: str, kind: str, at: float | None = None) -> None:
    """The answer to the request being handled was handed over ``at`` (:func:`now` then; by default now),
    nothing when not handling a request."""
    arrived_at = _ARRIVED.get()
    if arrived_at is not None:
        metrics.ANSWER_SECONDS.labels(surface, kind).observe((now() if at is None else at) - arrived_at)
