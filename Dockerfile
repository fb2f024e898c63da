# syntax=docker/dockerfile:1
# Polypscope's images: one Dockerfile, a target per role (deploy/README.md "Images").
#
#   web         python -m webapp.server (uvicorn: HTTP and websockets) with the review UI and the collected static
#               files. No torch: the web process never imports it (STYLE.md 16), and the image is a GB lighter.
#   worker      Celery on the CPU: queue `gpu` on a server without a GPU, queue `train`, beat and the migrate step.
#               torch==2.13.0, the CPU build, from PyTorch's CPU index (the version the project is tested with).
#   worker-gpu  Celery on an NVIDIA GPU: the CUDA build of torch on a CUDA runtime base.
#   proxy       nginx with the static files and deploy/nginx/ (the single-server set-up, deploy/compose.yaml).
#
#   docker build --target web -t polypscope-web:0.1.0 .          (podman build takes the same arguments)
#
# Bases are pinned by tag here. For a build that cannot change under you, pin each by digest as well:
#   --build-arg PYTHON_BASE=docker.io/library/python:3.11.7-slim-bookworm@sha256:<digest>
# <digest> being what `docker buildx imagetools inspect <image:tag>` (or `skopeo inspect`) prints for the tag; the
# placeholders are in deploy/.env.example (*_BASE) and deploy/README.md "Pinning the bases" says how. No digest is
# written here: none could be read where this file was written (no registry reachable).
ARG NODE_BASE=docker.io/library/node:20.20.2-bookworm-slim
ARG PYTHON_BASE=docker.io/library/python:3.11.7-slim-bookworm
ARG CUDA_BASE=docker.io/nvidia/cuda:12.8.1-runtime-ubuntu24.04
ARG NGINX_BASE=docker.io/library/nginx:1.28.0-bookworm
ARG TORCH_VERSION=2.13.0
ARG TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu
# The CUDA build of torch bundles its CUDA libraries; its CUDA version (cu128: 12.8) must not be newer than what the
# hosts' NVIDIA driver supports (`nvidia-smi` prints it). Change both this and CUDA_BASE to match an older driver.
ARG TORCH_CUDA_INDEX=https://download.pytorch.org/whl/cu128

# ---- the review UI: TypeScript + React built by Vite into webapp/frontend_dist (frontend/vite.config.ts) --------------
FROM ${NODE_BASE} AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

# ---- Python, tini (PID 1: forwards SIGTERM, the workers' warm shutdown, and reaps children), the unprivileged user ---
FROM ${PYTHON_BASE} AS python
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && python -m venv /opt/venv \
 && groupadd --system --gid 10001 polypscope \
 && useradd --system --uid 10001 --gid polypscope --home-dir /home/polypscope --create-home \
      --shell /usr/sbin/nologin polypscope
# The base dependencies of pyproject.toml without torch (deploy/docker/requirements.py).
COPY pyproject.toml deploy/docker/requirements.py /build/
RUN python /build/requirements.py /build/pyproject.toml > /build/requirements.txt \
 && python /build/requirements.py /build/pyproject.toml --extra cpu-int8 > /build/requirements-cpu-int8.txt

# ---- the app's files: the same in every image and at the same path, /app. A model version records its checkpoint's
# path (the shipped one is /app/inference/weights/...), and the web's readiness check and every worker look there.
FROM python AS source
WORKDIR /app
COPY manage.py pyproject.toml ./
COPY inference/ inference/
COPY webapp/ webapp/
COPY --from=frontend /src/webapp/frontend_dist/ webapp/frontend_dist/

# Settings every image shares (webapp/settings.py): media on local disk only when S3_BUCKET is unset, scratch and
# caches under /tmp (the one writable place when the root filesystem is read-only), matplotlib's and torch's caches too.
FROM python AS runtime
ENV STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    CHECKPOINT_CACHE_DIR=/tmp/polypscope/checkpoints \
    COMPILED_CACHE_DIR=/tmp/polypscope/compiled \
    TRAINING_WORK_DIR=/tmp/polypscope/training \
    MPLCONFIGDIR=/tmp/matplotlib \
    XDG_CACHE_HOME=/tmp/cache \
    HOME=/home/polypscope
COPY --chmod=0755 deploy/docker/migrate.sh /usr/local/bin/polypscope-migrate
WORKDIR /app

# ---- web: no torch ---------------------------------------------------------------------------------------------
FROM runtime AS web
RUN pip install -r /build/requirements.txt
COPY --from=source /app /app
# collectstatic at build time: the settings demand these in production; nothing is connected to.
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --noinput \
 && mkdir -p /data/media && chown polypscope:polypscope /data/media
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["tini", "--"]
CMD ["python", "-m", "webapp.server", "--host", "0.0.0.0", "--port", "8000"]

# ---- proxy: nginx with the static files (compose only; on Kubernetes the ingress and whitenoise serve them) -------
FROM ${NGINX_BASE} AS proxy
COPY --from=web /app/staticfiles /srv/static
COPY deploy/nginx/polypscope.conf.template /etc/nginx/polypscope.conf.template
COPY --chmod=0755 deploy/nginx/render.sh /docker-entrypoint.d/40-polypscope.sh
RUN rm -f /etc/nginx/conf.d/default.conf

# ---- worker: Celery on the CPU -----------------------------------------------------------------------------------
FROM runtime AS worker
ARG TORCH_VERSION
ARG TORCH_CPU_INDEX
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_CPU_INDEX}"
RUN pip install -r /build/requirements.txt
# The int8 fast path on CPUs without native bf16 (OpenVINO, calibrated by NNCF at the worker's first start).
RUN pip install -r /build/requirements-cpu-int8.txt
COPY --from=source /app /app
RUN mkdir -p /data/media && chown polypscope:polypscope /data/media
ENV INFERENCE_DEVICE=cpu TRAINING_DEVICE=cpu
USER 10001:10001
ENTRYPOINT ["tini", "--"]
# One video at a time; the threads pool keeps the consumer answering `celery inspect ping` (the probes) while a video
# runs, which the solo pool does not (deploy/README.md "Probes"). SIGTERM: warm shutdown, the video handed back.
CMD ["celery", "-A", "webapp", "worker", "-Q", "gpu", "--pool", "threads", "--concurrency", "1", \
     "--hostname", "gpu@%h", "--loglevel", "INFO"]

# ---- worker-gpu: Celery on an NVIDIA GPU ---------------------------------------------------------------------------
FROM ${CUDA_BASE} AS worker-gpu
ARG TORCH_VERSION
ARG TORCH_CUDA_INDEX
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    CHECKPOINT_CACHE_DIR=/tmp/polypscope/checkpoints \
    TRAINING_WORK_DIR=/tmp/polypscope/training \
    MPLCONFIGDIR=/tmp/matplotlib \
    XDG_CACHE_HOME=/tmp/cache \
    HOME=/home/polypscope \
    INFERENCE_DEVICE=cuda \
    TRAINING_DEVICE=cuda
# Ubuntu 24.04's Python is 3.12 (pyproject: >= 3.11).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3.12 python3.12-venv tini \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && python3.12 -m venv /opt/venv \
 && groupadd --system --gid 10001 polypscope \
 && useradd --system --uid 10001 --gid polypscope --home-dir /home/polypscope --create-home \
      --shell /usr/sbin/nologin polypscope
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_CUDA_INDEX}"
COPY --from=python /build/requirements.txt /build/requirements.txt
RUN pip install -r /build/requirements.txt
COPY --chmod=0755 deploy/docker/migrate.sh /usr/local/bin/polypscope-migrate
WORKDIR /app
COPY --from=source /app /app
RUN mkdir -p /data/media && chown polypscope:polypscope /data/media
USER 10001:10001
ENTRYPOINT ["tini", "--"]
CMD ["celery", "-A", "webapp", "worker", "-Q", "gpu", "--pool", "threads", "--concurrency", "1", \
     "--hostname", "gpu@%h", "--loglevel", "INFO"]
