"""The benchmark's stub engine (a model that costs nothing) can never store masks for a real video: only
bench_pipeline imports it, and Django does not offer it as a command."""

from __future__ import annotations

import ast
from pathlib import Path

from django.core.management import get_commands

import webapp
from webapp.videos.management.commands import _stub_engine

WEBAPP = Path(webapp.__file__).resolve().parent
STUB = "webapp.videos.management.commands._stub_engine"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against the file's package
                package = ".".join(path.relative_to(WEBAPP.parent).with_suffix("").parts[: -node.level])
                module = f"{package}.{module}" if module else package
            names.add(module)
            names.update(f"{module}.{a.name}" for a in node.names)
    return names


def test_only_the_benchmark_command_imports_the_stub_engine():
    importers = sorted(str(p.relative_to(WEBAPP.parent)) for p in WEBAPP.rglob("*.py")
                       if p.resolve() != Path(_stub_engine.__file__).resolve() and STUB in _imports(p))
    assert importers == ["webapp/videos/management/commands/bench_pipeline.py"]


def test_the_stub_is_no_command_and_no_model_version():
    assert "_stub_engine" not in get_commands() and "bench_pipeline" in get_commands()
    engine = _stub_engine.StubEngine(size=32, batch=4)
    assert engine.version == _stub_engine.STUB_VERSION  # what a stored result would name, were it ever stored
