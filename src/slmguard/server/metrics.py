"""Prometheus metrics of one app instance (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Requests, decisions by label and category, latencies and the guard queue."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "slmguard_requests_total", "HTTP requests by route and status", ["route", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "slmguard_request_seconds", "HTTP request latency", ["route"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.decisions = Counter(
            "slmguard_decisions_total",
            "Decided texts by endpoint, label and action",
            ["endpoint", "label", "action"],
            registry=r,
        )
        self.flagged = Counter("slmguard_flagged_total", "Flagged categories", ["category"], registry=r)
        self.guard_seconds = Histogram(
            "slmguard_guard_batch_seconds",
            "Guard inference time per micro-batch",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "slmguard_batch_texts", "Texts per micro-batch", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=r
        )
        self.queue_depth = Gauge("slmguard_queue_texts", "Texts waiting for the guard", registry=r)
        self.memo_hits = Gauge("slmguard_memo_hits", "Texts answered from the verdict memo since start", registry=r)
        self.rejected = Counter("slmguard_rejected_total", "Requests refused by backpressure", registry=r)
        self.upstream_seconds = Histogram(
            "slmguard_upstream_seconds",
            "Upstream LLM latency (to the last byte)",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.stream_blocks = Counter("slmguard_stream_blocked_total", "Streams ended by output moderation", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
