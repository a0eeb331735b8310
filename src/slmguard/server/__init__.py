"""The guard server: OpenAI-compatible moderation, a guarded chat proxy and a durable decision log."""

from __future__ import annotations

from slmguard.server.app import create_app
from slmguard.server.config import ServerConfig, load_config

__all__ = ["ServerConfig", "create_app", "load_config"]
