"""Print the project's base dependencies (pyproject.toml [project] dependencies) as a pip requirements file, one a line,
without torch: every image installs torch on its own (none for web, the CPU or the CUDA build for the workers), so
the base list never pulls a torch of pip's choosing (a several-GB CUDA build).

    python deploy/docker/requirements.py [pyproject.toml] > requirements.txt

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


def main(argv: list[str]) -> None:
    pyproject = Path(argv[1]) if len(argv) > 1 else Path("pyproject.toml")
    sys.stdout.write("".join(f"{dep}\n" for dep in base_requirements(pyproject)))


if __name__ == "__main__":
    main(sys.argv)
