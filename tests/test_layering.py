from __future__ import annotations

import subprocess
import sys


def test_core_import_pulls_in_no_front_end_or_torch() -> None:
    code = (
        "import sys, slmguard; print(sorted(m for m in ('fastapi', 'typer', 'pydantic', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
