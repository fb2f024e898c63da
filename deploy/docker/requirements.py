"""Print the project's base dependencies (pyproject.toml [project] dependencies) as a pip requirements file, one a line,
without torch: every image installs torch on its own (none for web, the CPU or the CUDA build for the workers), so
the base list never pulls a torch of pip's choosing (a several-GB CUDA build).

    python deploy/docker/requirements.py [pyproject.toml] > requirements.txt
    python deploy/docker/requirements.py pyproject.toml --extra cpu-int8 > requirements-cpu-int8.txt

With --extra NAME it prints that optional-dependency group instead (the CPU worker's int8 runtime).

Standard library only: it runs in the bare Python of an image before anything is installed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

EXCLUDED = {"torch"}


def requirement_name(requirement: str) -> str:
    """The distribution name of a PEP 508 requirement, normalised (PEP 503): 'Django>=5.2' -> 'django'."""
    name = re.split(r"[\s\[<>=!~;@(]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def base_requirements(pyproject: Path) -> list[str]:
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [dep for dep in dependencies if requirement_name(dep) not in EXCLUDED]


def extra_requirements(pyproject: Path, extra: str) -> list[str]:
    extras = tomllib.loads(pyproject.read_text())["project"].get("optional-dependencies", {})
    if extra not in extras:
        raise SystemExit(f"{pyproject} has no optional-dependency group {extra!r} (it has {', '.join(sorted(extras))})")
    return [dep for dep in extras[extra] if requirement_name(dep) not in EXCLUDED]


def main(argv: list[str]) -> None:
    args = argv[1:]
    extra = None
    if "--extra" in args:
        i = args.index("--extra")
        if i + 1 >= len(args):
            raise SystemExit("--extra needs the name of an optional-dependency group")
        extra = args[i + 1]
        del args[i : i + 2]
    pyproject = Path(args[0]) if args else Path("pyproject.toml")
    deps = base_requirements(pyproject) if extra is None else extra_requirements(pyproject, extra)
    sys.stdout.write("".join(f"{dep}\n" for dep in deps))


if __name__ == "__main__":
    main(sys.argv)
