"""The review UI: a labels store, review queues, explanations and the FastAPI app that serves them."""

from __future__ import annotations
