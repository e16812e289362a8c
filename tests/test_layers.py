"""The workers package is a library for the pipeline: it never reaches back into the API layer, and the
API loads none of the extractor."""

from __future__ import annotations

import ast
import subprocess
import sys

from conftest import ROOT


def test_no_module_of_workers_imports_service_or_fastapi() -> None:
    offenders = []
    for path in sorted((ROOT / "workers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("service", "fastapi", "starlette")
            ]
    assert offenders == []


def test_loading_every_worker_module_loads_neither_service_nor_fastapi() -> None:
    modules = sorted(p.stem for p in (ROOT / "workers").glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module('workers.' + m)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('service', 'fastapi', 'starlette')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_api_loads_none_of_the_extractor() -> None:
    """The API only enqueues articles: trafilatura, numba and the block classifier (some 70 MB of memory)
    are for the workers."""
    code = (
        "import sys\n"
        "import service.app, service.cli\n"
        "heavy = ('numba', 'trafilatura', 'workers.blocks', 'workers.pipeline')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
