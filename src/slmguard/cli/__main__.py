"""`python -m slmguard.cli` runs the CLI."""

from __future__ import annotations

from slmguard.cli import main

main()
