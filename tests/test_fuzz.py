"""Fuzzing: Schemathesis generates requests from the API's own OpenAPI document (valid and invalid ones,
then sequences that follow the links between operations) and sends them to the running API over HTTP,
against a real Redis. Whatever they hold, no answer may be a 5xx.

Bounded for CI: a fixed seed and a fixed number of examples per operation keep the run reproducible and
well under a minute. For a longer hunt, run the same command with a larger --max-examples.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import Api

EXAMPLES_PER_OPERATION = 25
BUDGET_SECONDS = 60


def test_no_generated_request_gets_a_server_error(api: Api, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{api.base_url}/openapi.json",
        "--checks", "not_a_server_error",
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--seed", "20240426",
        "--request-timeout", "10",
        "--generation-database", "none",
        "--no-color",
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(
        command,
        cwd=tmp_path,  # whatever it writes (reports, caches) stays out of the repository
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=BUDGET_SECONDS + 60,
    )
    took = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert "Server error" not in result.stdout
    assert took < BUDGET_SECONDS, f"fuzzing took {took:.0f} s, over its {BUDGET_SECONDS} s budget"
