"""Prometheus metrics the product exposes at `/metrics`.

Counters and histograms are process-wide, as prometheus-client intends; nothing else is created at
import time.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("customer_moment_http_requests_total", "HTTP requests handled", ["surface", "route", "status"])
REQUEST_SECONDS = Histogram(
    "customer_moment_http_request_seconds",
    "Time to answer an HTTP request (for Slack: time to acknowledge)",
    ["surface", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0),
)
PLATFORM_CALLS = Counter(
    "customer_moment_platform_calls_total",
    "Calls to Slack / Teams APIs by method and outcome (ok, ratelimited, error, timeout)",
    ["platform", "method", "outcome"],
)
SCHEDULER_LAG = Histogram(
    "customer_moment_scheduler_lag_seconds",
    "How late an agenda card was posted after its due time",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
)
OCCURRENCES = Counter(
    "customer_moment_occurrences_total",
    "Meeting occurrences handled by the scheduler, by outcome",
    ["outcome"],  # prepared, posted, missed, failed, cancelled, retried, found_already_posted
)
ANSWERS_SHED = Counter(
    "customer_moment_answers_shed_total",
    "Requests answered 'busy, try again in a minute' instead of being served, by surface and kind",
    ["surface", "kind"],  # kind: command, action, event, turn
)
ANSWER_SECONDS = Histogram(
    "customer_moment_answer_seconds",
    "Time from a request's arrival to its answer handed to the platform (Slack: the first reply the person"
    " sees, in the acknowledgement or by the call after it; Teams: a message's replies, an invoke's response),"
    " by surface and kind",
    ["surface", "kind"],  # kind: command, action, shortcut, event, form; turn
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0),
)
