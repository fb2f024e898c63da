"""The Kubernetes manifests (deploy/k8s): every overlay renders with kustomize, passes the Kubernetes schemas
(kubernetes-validate, strict: unknown fields refused), and holds the deployment's invariants: probes, requests and
limits, GPU scheduling, grace periods, non-root read-only containers, environment names the app reads, one beat,
scaling within PostgreSQL's connections. KEDA's resources have no schema there: checked by hand."""

from __future__ import annotations

import math
import re

import pytest
import yaml
from kubernetes_validate import utils as kv

from tests.deploy.manifests import (
    K8S,
    OVERLAYS,
    SECRET_EXAMPLE,
    Container,
    command_line,
    containers,
    named,
    of_kind,
    pod_spec,
    rendered,
    settings_read_files,
    unknown_env_names,
    workloads,
)

# The oldest Kubernetes these manifests are for, and the newest kubernetes-validate knows.
K8S_VERSIONS = ("1.30.0", kv.latest_version())
# What a `gpu` worker needs after SIGTERM: the video hands back at its next batch within 10 s (tests/webapp/videos/
# test_reliability.py HAND_BACK_BOUND_S), and a first batch may still be compiling the model, about a minute on CPU
# (settings: VIDEO_STALL_S's docstring). A training worker: the reconciler's short tasks.
WORKER_GRACE_MIN_S = 60
# webapp/server.py: uvicorn lets requests finish for WEB_GRACEFUL_S (default 20 s) after SIGTERM.
WEB_GRACEFUL_S = 20
# PostgreSQL's default max_connections; what one worker process holds at most (the task thread, the lease heartbeat,
# the batch writer, the progress broadcast), and beat plus the migrate Job.
PG_MAX_CONNECTIONS = 100
CONNECTIONS_PER_WORKER = 4
CONNECTIONS_OTHER = 2
KEDA = "keda.sh/v1alpha1"


def _all() -> list[tuple[str, dict]]:
    return [(overlay, doc) for overlay in OVERLAYS for doc in rendered(overlay)]


def _secret_keys() -> set[str]:
    return set(yaml.safe_load(SECRET_EXAMPLE.read_text())["stringData"])


def _is_worker(c: Container) -> bool:
    return not c.init and " worker " in f" {command_line(c.spec)} "


def _env(c: Container) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in c.spec.get("env", [])}


@pytest.mark.parametrize("overlay", ("base", *OVERLAYS))
def test_every_overlay_renders_with_kustomize(overlay):
    docs = rendered(overlay)
    assert of_kind(docs, "Deployment") and all(d["metadata"].get("namespace") == "polypscope" for d in docs
                                                if d["kind"] != "Namespace")


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_passes_the_kubernetes_schema(overlay, version):
    checked = 0
    for doc in rendered(overlay):
        if doc["apiVersion"] == KEDA:
            continue  # a CRD: no schema in kubernetes-validate; test_keda_scales_gpu_workers_on_the_gpu_queue
        try:
            kv.validate(doc, version, strict=True)
        except kv.ValidationError as exc:
            pytest.fail(f"{overlay}: {doc['kind']} {doc['metadata']['name']} (Kubernetes {version}): {exc}")
        checked += 1
    assert checked >= 15


def test_the_schema_check_refuses_an_unknown_field():
    """The validator is not a no-op: a misspelt field of a real manifest fails it."""
    web = named(rendered("gpu"), "Deployment", "web")
    broken = yaml.safe_load(yaml.safe_dump(web))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, K8S_VERSIONS[0], strict=True)


def test_the_secret_example_passes_the_schema_and_holds_every_key_the_pods_read():
    secret = yaml.safe_load(SECRET_EXAMPLE.read_text())
    kv.validate(secret, K8S_VERSIONS[0], strict=True)
    keys = _secret_keys()
    for _overlay, doc in _all():
        for vol in pod_spec(doc).get("volumes", []) if doc["kind"] in ("Deployment", "StatefulSet", "Job") else []:
            if "secret" in vol:
                assert vol["secret"]["secretName"] == "polypscope"
        if doc["kind"] == "TriggerAuthentication":
            assert {ref["key"] for ref in doc["spec"]["secretTargetRef"]} <= keys
    for c in containers(rendered("gpu")):
        for env in c.spec.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == "polypscope" and ref["key"] in keys, c.where
            if env["name"].endswith("_FILE"):
                assert env["value"].startswith("/run/secrets/polypscope/"), c.where
                assert env["value"].rsplit("/", 1)[1] in keys, f"{c.where}: {env['value']} is not a key of the Secret"
                mounts = {m["mountPath"] for m in c.spec.get("volumeMounts", [])}
                assert "/run/secrets/polypscope" in mounts, c.where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits(overlay):
    for c in containers(rendered(overlay)):
        resources = c.spec.get("resources", {})
        for part in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(part, {})), f"{c.where}: {part} of cpu and memory"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_is_probed_on_readyz_and_healthz(overlay):
    web = named(rendered(overlay), "Deployment", "web")
    (container,) = pod_spec(web)["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        get = container[probe]["httpGet"]
        assert get["port"] == "http"
        # Django answers 400 to a Host it does not know: the probes name one ALLOWED_HOSTS holds.
        (host,) = [h["value"] for h in get["httpHeaders"] if h["name"] == "Host"]
        config = named(rendered(overlay), "ConfigMap", "polypscope-config")["data"]
        assert host in config["ALLOWED_HOSTS"].split(",")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_that_serves_has_probes(overlay):
    """Web and Redis serve; workers answer Celery's ping. Beat, the migrate Job and the init containers serve
    nothing (a restart on exit is all they need)."""
    probed = set()
    for c in containers(rendered(overlay)):
        name = c.workload["metadata"]["name"]
        if c.init or name in ("beat", "migrate"):
            continue
        assert "livenessProbe" in c.spec, c.where
        assert "readinessProbe" in c.spec or _is_worker(c), c.where
        probed.add(name)
    assert {"web", "redis", "worker-train", f"worker-{overlay}"} <= probed


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workers_are_probed_with_celery_ping_on_their_own_node_name(overlay):
    workers = [c for c in containers(rendered(overlay)) if _is_worker(c)]
    assert {c.workload["metadata"]["name"] for c in workers} == {"worker-train", f"worker-{overlay}"}
    for c in workers:
        line = command_line(c.spec)
        # One task at a time, on a pool whose consumer thread answers ping while the task runs.
        assert "--pool threads" in line and "--concurrency 1" in line, c.where
        node = re.search(r"--hostname (\w+)@%h", line)[1]
        queue = re.search(r"-Q (\w+)", line)[1]
        assert node == queue, c.where
        for probe in ("startupProbe", "livenessProbe"):
            probe_line = " ".join(c.spec[probe]["exec"]["command"])
            assert f"inspect ping --destination {node}@$HOSTNAME" in probe_line, c.where
            assert "METRICS_PORT= " in probe_line, c.where  # no second metrics exporter in the probe
            assert c.spec[probe]["timeoutSeconds"] >= 15, c.where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_periods_let_workers_hand_back_and_web_finish(overlay):
    docs = rendered(overlay)
    for name in ("worker-train", f"worker-{overlay}"):
        grace = pod_spec(named(docs, "Deployment", name))["terminationGracePeriodSeconds"]
        assert grace >= WORKER_GRACE_MIN_S, name
    web = pod_spec(named(docs, "Deployment", "web"))
    pre_stop = int(web["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert web["terminationGracePeriodSeconds"] >= WEB_GRACEFUL_S + pre_stop


def test_the_gpu_worker_requests_a_gpu_and_tolerates_the_gpu_taint():
    spec = pod_spec(named(rendered("gpu"), "Deployment", "worker-gpu"))
    (worker,) = spec["containers"]
    assert int(worker["resources"]["limits"]["nvidia.com/gpu"]) >= 1
    assert worker["resources"]["requests"]["nvidia.com/gpu"] == worker["resources"]["limits"]["nvidia.com/gpu"]
    assert any(t["key"] == "nvidia.com/gpu" and t["effect"] == "NoSchedule" and t["operator"] in ("Exists", "Equal")
               for t in spec["tolerations"])
    assert spec["nodeSelector"]
    assert worker["image"].endswith("/worker-gpu:0.1.0")
    assert {"name": "INFERENCE_DEVICE", "value": "cuda"} in worker["env"]


def test_the_cpu_overlay_asks_for_no_gpu():
    for c in containers(rendered("cpu")):
        assert not any("nvidia.com" in key for part in c.spec["resources"].values() for key in part), c.where
        assert not c.spec["image"].endswith("worker-gpu:0.1.0"), c.where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_as_non_root_on_a_read_only_root_with_a_writable_tmp(overlay):
    for workload in workloads(rendered(overlay)):
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, workload["metadata"]["name"]
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        empty_dirs = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
    for c in containers(rendered(overlay)):
        sc = c.spec["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"], c.where
        assert sc["readOnlyRootFilesystem"] is True, c.where
        empty_dirs = {v["name"] for v in pod_spec(c.workload).get("volumes", []) if "emptyDir" in v}
        tmp = [m for m in c.spec["volumeMounts"] if m["mountPath"] == "/tmp"]
        assert tmp and tmp[0]["name"] in empty_dirs, f"{c.where}: /tmp is an emptyDir"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_environment_name_is_one_the_app_reads_or_a_documented_standard_one(overlay):
    docs = rendered(overlay)
    config = named(docs, "ConfigMap", "polypscope-config")["data"]
    assert not unknown_env_names(set(config), app=True)
    for c in containers(docs):
        app = "polypscope" in c.spec["image"]
        unknown = unknown_env_names(set(_env(c)), app=app)
        assert not unknown, f"{c.where}: {sorted(unknown)} are read by nothing (webapp/settings.py renamed them?)"
        if app:
            assert c.spec["envFrom"] == [{"configMapRef": {"name": "polypscope-config"}}], c.where


def test_secrets_reach_the_app_as_files():
    assert settings_read_files(), "webapp/settings.py no longer reads NAME_FILE: the pods' secrets would be lost"
    for c in containers(rendered("gpu")):
        if "polypscope" in c.spec["image"]:
            env = _env(c)
            assert {"SECRET_KEY_FILE", "DATABASE_URL_FILE", "REDIS_URL_FILE"} <= set(env), c.where
            assert not {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} & set(env), c.where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_beat_is_one_pod_replaced_not_rolled(overlay):
    beat = named(rendered(overlay), "Deployment", "beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert not of_kind([d for d in rendered(overlay) if d["metadata"]["name"] == "beat"], "HorizontalPodAutoscaler")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_scales_and_web_and_workers_have_disruption_budgets(overlay):
    docs = rendered(overlay)
    hpa = named(docs, "HorizontalPodAutoscaler", "web")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert 1 < hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    budgets = {pdb["metadata"]["name"]: pdb for pdb in of_kind(docs, "PodDisruptionBudget")}
    for name in ("web", "worker-train", f"worker-{overlay}"):
        labels = named(docs, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        selector = budgets[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items(), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_and_workers_at_their_most_stay_within_postgresql_connections(overlay):
    docs = rendered(overlay)
    web = named(docs, "Deployment", "web")
    env = {e["name"]: e["value"] for e in pod_spec(web)["containers"][0]["env"] if "value" in e}
    web_max = named(docs, "HorizontalPodAutoscaler", "web")["spec"]["maxReplicas"]
    web_connections = web_max * int(env["WEB_CONCURRENCY"]) * int(env["DATABASE_POOL_MAX_SIZE"])
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s["spec"]["maxReplicaCount"] for s in of_kind(docs, "ScaledObject")}
    workers = sum(scaled.get(d["metadata"]["name"], d["spec"]["replicas"]) for d in of_kind(docs, "Deployment")
                  if d["metadata"]["name"].startswith("worker-"))
    total = web_connections + workers * CONNECTIONS_PER_WORKER + CONNECTIONS_OTHER
    assert total < PG_MAX_CONNECTIONS, f"{total} connections at most; PostgreSQL allows {PG_MAX_CONNECTIONS}"


def test_keda_scales_gpu_workers_on_the_gpu_queue():
    """KEDA's ScaledObject and TriggerAuthentication (CRDs: no schema in kubernetes-validate): the fields KEDA needs,
    pointing at what exists."""
    from django.conf import settings

    docs = rendered("gpu")
    (scaled,) = of_kind(docs, "ScaledObject")
    assert scaled["apiVersion"] == KEDA and set(scaled["spec"]) >= {"scaleTargetRef", "triggers"}
    assert named(docs, "Deployment", scaled["spec"]["scaleTargetRef"]["name"])["metadata"]["name"] == "worker-gpu"
    assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    meta = trigger["metadata"]
    # The list Celery keeps the videos' queue in: the queue settings route videos.process_video to.
    assert meta["listName"] == settings.CELERY_TASK_ROUTES["videos.process_video"]["queue"]
    assert int(meta["listLength"]) >= 1
    assert all(isinstance(v, str) for v in meta.values()), "KEDA's trigger metadata values are strings"
    host, port = meta["address"].rsplit(":", 1)
    service = named(docs, "Service", host.split(".")[0])
    assert host == f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc.cluster.local"
    assert int(port) == service["spec"]["ports"][0]["port"]
    auth = named(docs, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    assert auth["apiVersion"] == KEDA
    assert [r["parameter"] for r in auth["spec"]["secretTargetRef"]] == ["password"]


def test_redis_persists_with_aof_on_a_volume():
    redis = named(rendered("gpu"), "StatefulSet", "redis")
    (container,) = pod_spec(redis)["containers"]
    line = command_line(container)
    assert "--appendonly yes" in line and "--maxmemory-policy noeviction" in line and "--requirepass" in line
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]
    assert redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"


def test_the_migrate_job_runs_the_migrate_step_on_the_worker_image():
    job = named(rendered("gpu"), "Job", "migrate")
    (container,) = pod_spec(job)["containers"]
    assert command_line(container) == "polypscope-migrate"
    assert "/worker:" in container["image"]  # registering the model reads the checkpoint with torch
    assert pod_spec(job)["restartPolicy"] in ("OnFailure", "Never")


def test_no_pod_but_the_web_runs_the_web_image():
    for c in containers(rendered("gpu")):
        if "/web:" in c.spec["image"]:
            assert c.workload["metadata"]["name"] == "web", c.where


def test_the_ingress_passes_websockets_and_refuses_oversized_bodies_at_the_apps_own_limits():
    from webapp.guards import LOGIN_BODY_MAX_BYTES  # noqa: F401 - the guard module that defines the limits
    from webapp.uploads import MULTIPART_OVERHEAD_BYTES

    docs = rendered("gpu")
    config = named(docs, "ConfigMap", "polypscope-config")["data"]
    upload_limit = int(config["UPLOAD_MAX_BYTES"]) + MULTIPART_OVERHEAD_BYTES
    main, uploads = named(docs, "Ingress", "polypscope"), named(docs, "Ingress", "polypscope-uploads")
    mib = 1024**2
    assert uploads["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == \
        f"{math.ceil(upload_limit / mib)}m"
    assert uploads["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    # Every other route: the app's JSON limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 10 MiB).
    assert main["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "10m"
    # Websockets stay open while a video processes (ingress-nginx passes the Upgrade itself).
    assert int(main["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    # The upload Ingress' paths are exactly the routes the app's body guard lets carry files.
    from webapp.guards import UPLOAD_PART_ROUTES, UPLOAD_ROUTES

    paths = [p["path"] for rule in uploads["spec"]["rules"] for p in rule["http"]["paths"]]
    for sample in ("/api/studies/12/videos/", "/api/studies/3/images/", "/api/studies/import/",
                   "/api/uploads/7/parts/2/"):
        assert UPLOAD_ROUTES.match(sample) or UPLOAD_PART_ROUTES.match(sample)
        assert any(re.fullmatch(p.rstrip("$"), sample) for p in paths), sample
    assert main["spec"]["rules"][0]["host"] in config["ALLOWED_HOSTS"].split(",")


def test_prometheus_scrapes_the_web_and_the_workers():
    docs = rendered("gpu")
    for name, port in (("web", "8000"), ("worker-gpu", "9100"), ("worker-train", "9100")):
        annotations = named(docs, "Deployment", name)["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/port"] == port
        assert annotations["prometheus.io/path"] == "/metrics"
        if port == "9100":
            (worker,) = pod_spec(named(docs, "Deployment", name))["containers"]
            assert _env(Container(named(docs, "Deployment", name), worker))["METRICS_PORT"] == port


def test_the_kustomizations_name_only_files_that_exist():
    for kustomization in K8S.rglob("kustomization.yaml"):
        for resource in yaml.safe_load(kustomization.read_text())["resources"]:
            assert (kustomization.parent / resource).exists(), f"{kustomization}: {resource}"
