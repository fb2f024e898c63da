"""The images (Dockerfile, .dockerignore, deploy/docker): the web image never gets torch, the workers get the pinned
CPU or a CUDA build, bases are pinned, nothing runs as root, the build context leaves local state out."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from tests.deploy.manifests import DEPLOY, ROOT, dockerfile_args, dockerfile_stages, stage_chain

TORCH = re.compile(r"\btorch\b")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_web_image_installs_no_torch():
    chain = stage_chain("web")
    assert [s.name for s in chain] == ["web", "runtime", "python"]
    for stage in chain:
        assert not TORCH.search(stage.text), f"stage {stage.name} of the web image mentions torch"
        assert "--from=worker" not in stage.text
    # What it installs: the base requirements, which deploy/docker/requirements.py writes without torch.
    assert "pip install -r /build/requirements.txt" in chain[0].text
    assert "requirements.py /build/pyproject.toml > /build/requirements.txt" in chain[-1].text


def test_the_requirements_are_pyprojects_dependencies_without_torch(tmp_path):
    result = subprocess.run([sys.executable, str(DEPLOY / "docker" / "requirements.py"), str(ROOT / "pyproject.toml")],
                            capture_output=True, text=True, check=True, timeout=30)
    lines = result.stdout.splitlines()
    dependencies = _pyproject()["project"]["dependencies"]
    assert lines == [d for d in dependencies if not d.startswith("torch")]
    assert not any(TORCH.match(line) for line in lines)
    assert len(lines) == len(dependencies) - 1  # torch is in the list, once


def test_the_web_image_runs_the_production_server_after_collectstatic():
    web = dockerfile_stages()["web"]
    assert "python manage.py collectstatic --noinput" in web.text
    assert 'CMD ["python", "-m", "webapp.server", "--host", "0.0.0.0", "--port", "8000"]' in web.lines


def test_the_cpu_worker_gets_the_pinned_cpu_torch_from_pytorchs_cpu_index():
    args = dockerfile_args()
    dev_pin = next(d for d in _pyproject()["project"]["optional-dependencies"]["dev"] if d.startswith("torch"))
    assert dev_pin == f"torch=={args['TORCH_VERSION']}" == "torch==2.13.0"
    assert args["TORCH_CPU_INDEX"].endswith("/whl/cpu")
    worker = dockerfile_stages()["worker"]
    assert 'RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_CPU_INDEX}"' in worker.lines
    # torch first, from its index: the base requirements then find it installed and pull no other build.
    text = worker.text
    assert text.index("TORCH_CPU_INDEX") < text.index("pip install -r /build/requirements.txt")


def test_the_gpu_worker_gets_cuda_torch_on_a_cuda_runtime_base():
    args = dockerfile_args()
    gpu = dockerfile_stages()["worker-gpu"]
    assert gpu.base == "${CUDA_BASE}" and "cuda" in args["CUDA_BASE"] and "runtime" in args["CUDA_BASE"]
    assert re.search(r"/whl/cu\d+$", args["TORCH_CUDA_INDEX"])
    assert 'RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_CUDA_INDEX}"' in gpu.lines


def test_every_base_is_pinned_by_a_tag_and_a_digest_can_be_given():
    args = dockerfile_args()
    bases = {name: value for name, value in args.items() if name.endswith("_BASE")}
    assert set(bases) == {"NODE_BASE", "PYTHON_BASE", "CUDA_BASE", "NGINX_BASE"}
    for name, image in bases.items():
        tag = image.rsplit("/", 1)[1].split(":", 1)
        assert len(tag) == 2 and tag[1] and tag[1] != "latest" and re.search(r"\d", tag[1]), f"{name}={image}"
    for stage in dockerfile_stages().values():
        assert stage.base in dockerfile_stages() or stage.base.strip("${}") in bases, stage.name
    # Each base can be pinned by digest from deploy/.env (compose passes it as a build argument).
    env_example = (DEPLOY / ".env.example").read_text()
    for name in bases:
        assert re.search(rf"^# {name}=\S+@sha256:<digest>$", env_example, re.M), name


def test_the_app_images_run_as_an_unprivileged_user_under_tini():
    for target in ("web", "worker", "worker-gpu"):
        lines = [line for stage in stage_chain(target) for line in stage.lines]
        users = [line.split()[1] for line in lines if line.startswith("USER ")]
        assert users and users[0] not in ("root", "0", "0:0"), target
        assert users[0].split(":")[0] == "10001"
        assert 'ENTRYPOINT ["tini", "--"]' in lines, target


def test_the_worker_images_carry_the_migrate_step_and_share_the_apps_path():
    for target in ("worker", "worker-gpu"):
        text = "\n".join(stage.text for stage in stage_chain(target))
        assert "deploy/docker/migrate.sh /usr/local/bin/polypscope-migrate" in text, target
        assert "COPY --from=source /app /app" in text, target
    assert "COPY --from=source /app /app" in dockerfile_stages()["web"].text


def test_the_build_context_leaves_local_state_out():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", "**/node_modules", ".data", "out", "datasets", ".git", "deploy/.env"} <= ignored
    # ... but not what the Dockerfile copies.
    copied = re.findall(r"^COPY (?:--chmod=\S+ )?(?!--from)(\S+)", (ROOT / "Dockerfile").read_text(), re.M)
    for path in copied:
        assert not any(path == p or path.startswith(p.rstrip("/") + "/") for p in ignored), path


def test_only_the_cpu_worker_installs_the_int8_runtime():
    result = subprocess.run([sys.executable, str(DEPLOY / "docker" / "requirements.py"), str(ROOT / "pyproject.toml"),
                             "--extra", "cpu-int8"], capture_output=True, text=True, check=True, timeout=30)
    assert result.stdout.splitlines() == _pyproject()["project"]["optional-dependencies"]["cpu-int8"]
    assert "--extra cpu-int8 > /build/requirements-cpu-int8.txt" in dockerfile_stages()["python"].text
    assert "pip install -r /build/requirements-cpu-int8.txt" in dockerfile_stages()["worker"].text
    for stage in ("web", "worker-gpu"):
        assert "requirements-cpu-int8" not in dockerfile_stages()[stage].text
    # The dev install (and so CI) has the same runtime the CPU worker gets.
    dev = _pyproject()["project"]["optional-dependencies"]["dev"]
    assert set(_pyproject()["project"]["optional-dependencies"]["cpu-int8"]) <= set(dev)


def test_an_unknown_extra_is_refused_by_name():
    result = subprocess.run([sys.executable, str(DEPLOY / "docker" / "requirements.py"), str(ROOT / "pyproject.toml"),
                             "--extra", "gpu-magic"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "'gpu-magic'" in result.stderr
