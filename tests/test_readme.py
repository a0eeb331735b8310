from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from slmguard.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_python_snippet_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})


def test_readme_starts_with_the_two_commands() -> None:
    first = re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1).strip().splitlines()
    assert len(first) == 2
    assert first[0].startswith("python3 -m venv .venv") and "slmguard check" in first[0]
    assert first[1] == ".venv/bin/python -m pytest"
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert first[0] in ci and first[1] in ci


def test_readme_check_examples_run() -> None:
    for line in README.splitlines():
        if line.startswith("slmguard check ") and "--input" not in line:
            args = shlex.split(line.split("  #")[0])[1:]
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, (line, result.output)
