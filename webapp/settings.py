"""Polypscope settings: one file; every environment variable is read once, here, through typed helpers.

Environment (defaults suit a developer machine with local PostgreSQL and Redis):
    Any variable may instead name a file holding its value: NAME_FILE (Docker and Kubernetes secrets).
    DEBUG                    bool, default off.
    POLYPSCOPE_LOCAL         a developer's or CI machine (make test sets it; DEBUG and POLYPSCOPE_EMBEDDED imply it):
                             the localhost defaults below and plain HTTP. Without it (production) SECRET_KEY,
                             DATABASE_URL, REDIS_URL and ALLOWED_HOSTS are required and the HTTPS settings are on
    SECRET_KEY               required in production.
    ALLOWED_HOSTS            comma-separated; local default "127.0.0.1,localhost"
    SECURE_PROXY_SSL_HEADER / SECURE_SSL_REDIRECT / SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE  bools, on in
                             production: trust the proxy's X-Forwarded-Proto, redirect plain HTTP (not /healthz,
                             /readyz, /metrics), cookies over HTTPS only
    SECURE_HSTS_SECONDS      HSTS max-age, production default one year (0: off); SECURE_HSTS_INCLUDE_SUBDOMAINS and
                             SECURE_HSTS_PRELOAD on in production
    CSRF_TRUSTED_ORIGINS     comma-separated origins (https://polypscope.example.org) for the session login's CSRF
    SESSION_COOKIE_AGE_S     a browser session's lifetime, default 43200 (12 h, like an API token)
    API_THROTTLE_USER / API_THROTTLE_ANON  API requests per user / per anonymous address, default 1200/min and
                             120/min (over: 429 with Retry-After)
    LOG_LEVEL / LOG_FORMAT   INFO; text (default) or json (one object a line with request_id and task_id)
    METRICS_TOKEN            set: GET /metrics needs `Authorization: Bearer <token>`; empty (default): open (the proxy
                             does not route it from outside)
    METRICS_PORT             a worker's Prometheus exporter port (its task metrics), default none
    DATABASE_URL             local default postgres://postgres@127.0.0.1:5432/polypscope
    DATABASE_TEST_NAME       database the test runner creates, default test_polypscope (fixed, so that
                             a Celery worker started by the tests can point at the same database).
    DATABASE_POOL_MAX_SIZE   PostgreSQL connections one process may hold, through a pool, default 0 (no pool: one
                             connection per thread); the web server (webapp/server.py) defaults it to 16 per process.
                             Web replicas x this + workers must stay under PostgreSQL's max_connections (100)
    DATABASE_POOL_MIN_SIZE / DATABASE_POOL_TIMEOUT_S  connections kept open (2) and how long a request waits for one
                             when all are busy before failing (10 s)
    REDIS_URL                Celery broker and Channels layer, local default redis://127.0.0.1:6379/0
    MEDIA_ROOT               uploaded files on local disk, default <repo>/.data/media
    S3_BUCKET                empty (the default): media on local disk under MEDIA_ROOT. Set: media in this bucket of
                             an S3-compatible store through django-storages (the bucket must exist)
    S3_ENDPOINT_URL          empty: AWS S3; else the store's URL (MinIO, Ceph, ...), addressed path-style
    S3_REGION                the bucket's region, default empty (boto3's default)
    S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY  empty: boto3's own chain (AWS_* variables, instance role)
    S3_URL_EXPIRE_S          lifetime of the presigned URLs the video file endpoint redirects to, default 3600
    STATIC_ROOT              collectstatic target, default <repo>/.data/static
    UPLOAD_MAX_BYTES         largest accepted upload, default 2 GiB; enforced while the body streams in
                             (webapp/uploads.py)
    UPLOAD_PART_BYTES        part size of resumable uploads (webapp/transfers/), default 16 MiB (S3: at least 5 MiB)
    UPLOAD_SESSION_TTL_H     an unfinished resumable upload's parts are removed this many hours after it started,
                             default 24 (Celery beat, transfers.expire_uploads, hourly)
    IMPORT_MAX_UNPACKED_BYTES / IMPORT_MAX_MEMBERS / IMPORT_MAX_RATIO  Kvasir zip import limits (4 GiB, 20000, 100)
    LOGIN_THROTTLE_RATE      login attempts (token and session) per client address and username, default 10/min;
                             over it: 429 (webapp/accounts/throttles.py). Counted in the cache (Redis, REDIS_URL)
    TOKEN_TTL_HOURS          lifetime of an API token from POST /api/auth/token/, default 12 (then 401: log in again)
    POLYPSCOPE_ADMIN_PASSWORD  password for `manage.py ensure_admin`; empty: one is generated and printed
    POLYPSCOPE_CHECKPOINT    checkpoint registered as the first model version; empty: the shipped model
    INFERENCE_DEVICE         auto | cpu | cuda, default auto
    INFERENCE_FAST           torch.compile fast path, default on (off in tests and embedded mode: compiling costs
                             a minute on CPU)
    INFERENCE_BATCH          frames per engine batch and per bulk write, default 16
    WORKER_WARM              a `gpu` worker (and run_embedded) loads the active model's engine as it starts and runs
                             one dummy batch through it, in a thread, so its first video does not wait for that;
                             default on (webapp/mlops/engines.py: EngineWarmer)
    WORKER_WARM_POLL_S       while idle, a warm worker looks at the active model this often and warms a newly promoted
                             one before its first video, default 5 (0: only at start)
    COMPILED_CACHE_DIR       compiled models (the fast path's cache, keyed by checkpoint, device and precision) that a
                             worker loads instead of compiling again, default <repo>/.data/compiled
    CELERY_TASK_ALWAYS_EAGER run tasks in-process (no worker), default off
    CELERY_VISIBILITY_TIMEOUT_S  Redis redelivers an unacknowledged message after this long, default 1 h: longer than
                             a range task (1500 frames: about 4 min on 2 CPU cores, seconds on a GPU); only a backstop
                             (the leases and the reconciler recover work; a redelivered copy of a message whose range or
                             training run is held does nothing)
  Video work is split into frame ranges, each leased (webapp/videos/leases.py): never stranded, never done twice.
    VIDEO_RANGE_FRAMES       frames of one range, default 1500 (1 min at 25 fps): a longer video is split into ranges
                             of equal length, at most this long, processed by several `gpu` workers at once (task
                             `videos.process_range`); a video of this many frames or fewer is one range. A range
                             takes about 4 min on 2 CPU cores (6 frames/s), seconds on a GPU: the visibility timeout
                             (CELERY_VISIBILITY_TIMEOUT_S) must exceed the longest range, not the longest video
    VIDEO_LEASE_S            a worker renews its lease on a range every VIDEO_LEASE_S / 6 (5 s by default; and with
                             every batch stored); a lease older than this, default 30, lets another worker take over
    VIDEO_RECONCILE_S        Celery beat runs the reconciler `videos.recover_videos` this often, default 15: it
                             re-enqueues ranges whose lease expired or whose message the broker lost, and queued videos
                             the broker no longer holds. A killed worker's range is queued again within
                             VIDEO_LEASE_S + VIDEO_RECONCILE_S (45 s)
    VIDEO_STALL_S            the heartbeat stops renewing when no batch was stored for this long, default 900 (a
                             hung decoder gives its video up; compiling the model takes about a minute on CPU)
    VIDEO_MAX_ATTEMPTS       claims of one range that ended without a clean hand-back (a killed worker, a database
                             outage) before its video is failed with the reason, default 5
    VIDEO_TASK_MAX_RETRIES / VIDEO_RETRY_BACKOFF_S  a database error retries the task after backoff * 2**n s, default
                             5 retries from 5 s (155 s in all); after the last one the range is handed back (queued)
    POLYPSCOPE_EMBEDDED      `make run`'s mode, default off: one process, no outside services. DATABASE_URL then
                             defaults to SQLite in <repo>/.data, the broker is in memory, the Celery worker
                             and the channel layer live in the web process (`manage.py run_embedded`).
    POLYPSCOPE_DATASETS      where `run_embedded` looks for the demo study's data, default <repo>/../shared/datasets
  The retraining loop (webapp/mlops/):
    TRAINING_EPOCHS / TRAINING_LR / TRAINING_SIZE / TRAINING_BATCH / TRAINING_REPLAY_RATIO  the fine-tuning form's
                             defaults (2, 2e-4, 352, 8, 0.25: 500 corrected frames within 15 min on 2 CPU cores)
    TRAINING_DEVICE          auto | cpu | cuda for fine-tuning and the gate, default auto
    TRAINING_HOLDOUT_FRACTION  share of patients in the fixed holdout, default 0.2 (assigned once per patient)
    TRAINING_LEASE_S         a training worker renews its lease on a run within this time, default 120; an expired
                             lease lets another worker resume the run (and the reconciler, Celery beat, re-enqueue it)
    TRAINING_WORK_DIR        the training worker's scratch folder, default <repo>/.data/training
    TRAINING_BASE_DATASET    Kvasir-SEG style folder mixed in as replay and scored by the gate (its fixed split's
                             train and test parts); default <POLYPSCOPE_DATASETS>/kvasir-seg when present, "-": none
    CHECKPOINT_CACHE_DIR     local copies of fine-tuned checkpoints (kept in the media storage), .data/checkpoints
    GATE_MIN_DICE_GAIN (0.01) / GATE_REQUIRE_CI_ABOVE_ZERO (on) / GATE_MAX_DROP (0.01) / GATE_BOOTSTRAP_SAMPLES (2000)
    GATE_BASE_TEST_LIMIT     images of the base test split the gate scores, default 0 (all)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from webapp.ops.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str) -> str | None:
    """The variable, or the content of the file NAME_FILE names (secrets mounted as files: Docker and Kubernetes
    secrets), without its trailing newline."""
    path = os.environ.get(f"{name}_FILE", "")
    if path:
        try:
            return Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path}: {exc.strerror}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str | None = None) -> str:
    value = _env(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"environment variable {name} is required")
        return default
    return value


def env_int(name: str, default: int) -> int:
    raw = _env(name) or ""
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"environment variable {name} must be an integer, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = (_env(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"environment variable {name} must be a boolean (1/0, true/false), got {raw!r}")


def env_float(name: str, default: float) -> float:
    raw = _env(name) or ""
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"environment variable {name} must be a number, got {raw!r}") from exc


def env_list(name: str, default: str | None) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The embedded mode is a local demo on 127.0.0.1 with no outside services; never a deployment.
EMBEDDED = env_bool("POLYPSCOPE_EMBEDDED", False)
# A developer's or CI machine (make test sets it; DEBUG and the embedded demo imply it): local defaults for the
# secret, the database, Redis and the hosts, and plain HTTP. Anything else is production: it refuses to start
# without SECRET_KEY, DATABASE_URL, REDIS_URL and ALLOWED_HOSTS (no silent localhost fallbacks) and runs HTTPS-only.
LOCAL = DEBUG or EMBEDDED or env_bool("POLYPSCOPE_LOCAL", False)
PRODUCTION = not LOCAL


def local_default(value: str) -> str | None:
    """`value` on a local machine; None (the variable is required) in production."""
    return value if LOCAL else None


SECRET_KEY = env_str("SECRET_KEY", local_default("insecure-dev-only-key"))
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", local_default("127.0.0.1,localhost"))
# Behind the reverse proxy (nginx, the ingress), which terminates TLS and says so in X-Forwarded-Proto. Each switch
# has its variable; production defaults make `manage.py check --deploy` pass clean.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", PRODUCTION) \
    else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]  # probes and scrapes reach the pod directly
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# A browser session lasts a working shift, as an API token does (TOKEN_TTL_HOURS).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE_S", 12 * 3600)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "webapp.accounts",
    "webapp.audit",
    "webapp.mlops",
    "webapp.studies",
    "webapp.videos",
    "webapp.annotations",
    "webapp.transfers",
    "webapp.embedded",
    "webapp.ops",
]

MIDDLEWARE = [
    "webapp.ops.middleware.ProbeHostMiddleware",  # /healthz, /readyz, /metrics answer a pod's IP as Host too
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # request latency and counts (GET /metrics)
    "webapp.ops.logs.RequestIdMiddleware",  # X-Request-ID in, out and on every log line of the request
    "django.middleware.security.SecurityMiddleware",
    "webapp.guards.NulQueryMiddleware",  # 400 for %00 in a query string, before any filter reaches PostgreSQL
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "webapp.urls"
ASGI_APPLICATION = "webapp.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_DEFAULT_DATABASE_URL = (
    f"sqlite:///{BASE_DIR / '.data' / 'polypscope.sqlite3'}" if EMBEDDED
    else "postgres://postgres@127.0.0.1:5432/polypscope"
)
DATABASES = {
    "default": {
        **dj_database_url.parse(env_str("DATABASE_URL", local_default(_DEFAULT_DATABASE_URL))),
        "TEST": {"NAME": env_str("DATABASE_TEST_NAME", "test_polypscope")},
    }
}
# A bounded pool of PostgreSQL connections per process (psycopg_pool through Django's "pool" option): a request
# borrows one and gives it back when it ends, and a burst waits up to DATABASE_POOL_TIMEOUT_S for one instead of
# opening connection after connection until PostgreSQL refuses ("too many clients", a 500 under load). On for the web
# server (webapp/server.py sets DATABASE_POOL_MAX_SIZE when unset); workers (one connection per task thread) and
# management commands connect directly unless it is set.
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not the request threads
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": min(env_int("DATABASE_POOL_MIN_SIZE", 2), DATABASE_POOL_MAX_SIZE),
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": env_float("DATABASE_POOL_TIMEOUT_S", 10.0),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web threads and the worker thread write concurrently: WAL lets reads run beside a write,
    # IMMEDIATE takes the write lock up front (no deadlocked lock upgrade), and a writer waits up to
    # 30 s for the lock instead of failing at once with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / ".data" / "static")))
# The review UI, built by Vite (frontend/, `npm run build`): its assets are served at /static/app/.
FRONTEND_DIST = BASE_DIR / "webapp" / "frontend_dist"
STATICFILES_DIRS = [("app", FRONTEND_DIST)] if FRONTEND_DIST.is_dir() else []
# Serve static files straight from their sources too (no collectstatic needed after a frontend rebuild).
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))


def storages_for(*, bucket: str, endpoint_url: str = "", region: str = "", access_key_id: str = "",
                 secret_access_key: str = "", url_expire_s: int = 3600) -> dict:
    """Django's STORAGES: media on local disk (MEDIA_ROOT) when bucket is empty, else in an S3-compatible bucket.

    Every read and write of media goes through the default storage (webapp/media.py for what needs a local
    path), so this is the one switch. A function so that the tests build the same S3 settings against an
    in-process S3 server.
    """
    default: dict = {"BACKEND": "django.core.files.storage.FileSystemStorage"}  # location: MEDIA_ROOT
    if bucket:
        default = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint_url or None,
                "region_name": region or None,
                "access_key": access_key_id or None,  # None: boto3's credential chain
                "secret_key": secret_access_key or None,
                # S3-compatible stores (MinIO, Ceph, a test server) serve buckets under the path, not as
                # subdomains of the endpoint; AWS itself is left to boto3's choice.
                "addressing_style": "path" if endpoint_url else None,
                "querystring_expire": url_expire_s,
                # Presigned URLs signed with SigV4: regions opened since 2014 accept nothing older, and
                # without it boto3 signs presigned URLs the old way.
                "signature_version": "s3v4",
                # Objects are private; reads are signed (the video endpoint redirects to a presigned URL).
                "default_acl": None,
                "querystring_auth": True,
                # Names are fresh UUIDs: no existence check (one request less per write).
                "file_overwrite": True,
                # An object opened for reading is downloaded whole; above this it spills to a temporary file
                # instead of memory (django-storages' default keeps it all in memory: a 2 GiB video).
                "max_memory_size": 16 * 1024**2,
            },
        }
    return {
        "default": default,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


STORAGES = storages_for(
    bucket=env_str("S3_BUCKET", ""),
    endpoint_url=env_str("S3_ENDPOINT_URL", ""),
    region=env_str("S3_REGION", ""),
    access_key_id=env_str("S3_ACCESS_KEY_ID", ""),
    secret_access_key=env_str("S3_SECRET_ACCESS_KEY", ""),
    url_expire_s=env_int("S3_URL_EXPIRE_S", 3600),
)

# Uploads: anything above 2.5 MB goes to a temporary file (Django's default), never into memory; the
# limit handler comes first so that an oversized body is refused while it streams (webapp/uploads.py).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 2 * 1024**3)
FILE_UPLOAD_HANDLERS = [
    "webapp.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024**2
# Resumable uploads (webapp/transfers/): a 2 GiB video in 128 parts of 16 MiB; a part lost to a dropped connection
# costs seconds to send again, and S3 takes 5 MiB to 5 GiB a part. Parts of uploads nobody finished go after a day.
UPLOAD_PART_BYTES = env_int("UPLOAD_PART_BYTES", 16 * 1024**2)
UPLOAD_SESSION_TTL_H = env_float("UPLOAD_SESSION_TTL_H", 24.0)
# Kvasir-SEG zip import, against zip bombs: total unpacked bytes (Kvasir-SEG itself unpacks to ~50 MB),
# members (it has ~2000), and one member's compression ratio (JPEG/PNG barely compress; bombs reach 1000:1).
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 4 * 1024**3)
IMPORT_MAX_MEMBERS = env_int("IMPORT_MAX_MEMBERS", 20_000)
IMPORT_MAX_RATIO = env_int("IMPORT_MAX_RATIO", 100)

REDIS_URL = env_str("REDIS_URL", local_default("redis://127.0.0.1:6379/0"))

# Django's cache holds the login throttle's counts (webapp/accounts/throttles.py): shared by every web process
# through Redis, or each process would grant its own allowance. Embedded: one process, its memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"} if EMBEDDED else {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "polypscope",
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # The socket timeout must exceed channels-redis's 5 s blocking pop, or an idle websocket dies with
        # "Timeout reading from ..." (redis-py 5+ defaults to a 5 s socket timeout: the same 5 s, a race).
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}], "prefix": "polypscope"},
    }
}

if EMBEDDED:
    # One process: the consumers and the worker thread share this layer (see webapp/embedded/layers.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "webapp.embedded.layers.ThreadSafeInMemoryChannelLayer"}}

# Embedded: kombu's in-memory transport, shared by the web threads and the worker thread of one process.
CELERY_BROKER_URL = "memory://" if EMBEDDED else REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ROUTES = {
    "videos.process_video": {"queue": "gpu"},
    "videos.process_range": {"queue": "gpu"},
    "videos.predict_images": {"queue": "gpu"},
    # The video reconciler runs on an idle `gpu` worker: only a worker that is free can take the work it re-enqueues.
    "videos.recover_videos": {"queue": "gpu"},
    # Mask propagation decodes a few seconds of video and runs optical flow: short, beside the videos.
    "annotations.propagate": {"queue": "gpu"},
    # Fine-tuning has its own queue and worker: a run takes minutes to hours and must never hold up videos.
    "mlops.train_run": {"queue": "train"},
    "mlops.recover_runs": {"queue": "train"},
    # The sweeper of forgotten uploads: a few deletions an hour, on a worker that is always there.
    "transfers.expire_uploads": {"queue": "gpu"},
}
# One video at a time per worker process: a prefetched second video would wait behind the first.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message not acknowledged within this time is handed to another worker (acks_late). Only a backstop: a video's
# lease decides who works on it, so a copy redelivered while its worker still runs finds the video held and does
# nothing, and a dead worker's video is recovered by the reconciler within VIDEO_LEASE_S + VIDEO_RECONCILE_S,
# long before this. Longer than the longest video takes (a 1-hour 25 fps video at 25 FPS on CPU takes an hour),
# so live workers' messages are not copied around needlessly.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 3600)}
if EMBEDDED:
    # kombu's memory transport has no blocking pop: the worker polls its queues, once a second by default, so a video
    # uploaded in `make run` waited up to 1 s before its task started (its first result came 0.24-1.1 s after the
    # upload). Every 50 ms: a look into two in-process queues 20 times a second.
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = 0.05

# Video leases (webapp/videos/leases.py). 30 s: renewed every 5 s, so six missed renewals in a row (a database
# failover takes 10-30 s) before another worker may take over; with a 15 s reconciler a killed worker's video is
# queued again within 45 s (the target: resumed within 60 s).
# 1500 frames, 1 min at 25 fps: long enough that a range's fixed costs (claim, download, seek, model load: about 1 s)
# stay small beside its 4 min on 2 CPU cores, short enough that a 10-minute video keeps 10 workers busy.
VIDEO_RANGE_FRAMES = env_int("VIDEO_RANGE_FRAMES", 1500)
VIDEO_LEASE_S = env_float("VIDEO_LEASE_S", 30.0)
VIDEO_RECONCILE_S = env_float("VIDEO_RECONCILE_S", 15.0)
VIDEO_STALL_S = env_float("VIDEO_STALL_S", 900.0)
VIDEO_MAX_ATTEMPTS = env_int("VIDEO_MAX_ATTEMPTS", 5)
VIDEO_TASK_MAX_RETRIES = env_int("VIDEO_TASK_MAX_RETRIES", 5)
VIDEO_RETRY_BACKOFF_S = env_float("VIDEO_RETRY_BACKOFF_S", 5.0)

# Celery beat (`celery -A webapp beat`, one per deployment): the reconcilers re-enqueue work nobody holds: fine-tuning
# runs and videos whose lease expired (a killed worker), and queued videos the broker lost (a Redis restarted empty).
# A reconciler message expires after one interval: one that waited behind busy workers is dropped, not piled up.
CELERY_BEAT_SCHEDULE = {
    "recover-training-runs": {"task": "mlops.recover_runs", "schedule": float(env_int("TRAINING_LEASE_S", 120))},
    "recover-videos": {"task": "videos.recover_videos", "schedule": VIDEO_RECONCILE_S,
                       "options": {"expires": VIDEO_RECONCILE_S}},
    "expire-uploads": {"task": "transfers.expire_uploads", "schedule": 3600.0, "options": {"expires": 3600.0}},
}

# Password of the `admin` user that `manage.py ensure_admin` creates; empty: generated and printed once.
ADMIN_PASSWORD = env_str("POLYPSCOPE_ADMIN_PASSWORD", "")

INFERENCE_CHECKPOINT = env_str("POLYPSCOPE_CHECKPOINT", "")
INFERENCE_DEVICE = env_str("INFERENCE_DEVICE", "auto")
# Embedded (`make run`) defaults to eager: the demo's first frames appear at once instead of after a
# minute of compiling, and a Ctrl+C cannot land in the middle of a compiler run (which failed the video).
INFERENCE_FAST = env_bool("INFERENCE_FAST", not EMBEDDED)
INFERENCE_BATCH = env_int("INFERENCE_BATCH", 16)
# Warm workers (issue 13): the first call of a model costs about 1 s on 2 CPU cores eager and about 65 s compiled
# (the fast path; measured, 2-core EPYC), which a worker pays at start instead of its first video. 5 s between looks at
# the active model: one indexed query, and a promoted model is warm long before anyone uploads the next video.
WORKER_WARM = env_bool("WORKER_WARM", True)
WORKER_WARM_POLL_S = env_float("WORKER_WARM_POLL_S", 5.0)
COMPILED_CACHE_DIR = Path(env_str("COMPILED_CACHE_DIR", str(BASE_DIR / ".data" / "compiled")))

# --- the retraining loop (webapp/mlops/) -----------------------------------------------------------------
# Fine-tuning defaults (the admin's form starts from these; inference.fit.FINETUNE_DEFAULTS holds the same).
# Sized so that 500 corrected frames with replay finish within 15 minutes on the 2-core dev machine: a training
# step of batch 8 at 352 px takes about 4.3 s there, 78 steps an epoch, 11 minutes (inference/fit.py).
TRAINING_DEFAULTS = {
    "epochs": env_int("TRAINING_EPOCHS", 2),
    "lr": env_float("TRAINING_LR", 2e-4),
    "size": env_int("TRAINING_SIZE", 352),
    "batch_size": env_int("TRAINING_BATCH", 8),
    "replay_ratio": env_float("TRAINING_REPLAY_RATIO", 0.25),
}
TRAINING_DEVICE = env_str("TRAINING_DEVICE", "auto")
# Fine-tuned checkpoints live in the media storage; workers keep a local copy here, named by sha256.
CHECKPOINT_CACHE_DIR = Path(env_str("CHECKPOINT_CACHE_DIR", str(BASE_DIR / ".data" / "checkpoints")))
# Where the training worker keeps a run's files while it works (its checkpoints also go to the media storage).
TRAINING_WORK_DIR = Path(env_str("TRAINING_WORK_DIR", str(BASE_DIR / ".data" / "training")))
# Share of patients put in the holdout (assigned once per patient, never moved).
TRAINING_HOLDOUT_FRACTION = env_float("TRAINING_HOLDOUT_FRACTION", 0.2)
# A worker renews its lease on a run at least this often; a run whose lease is older may be taken over.
TRAINING_LEASE_S = env_int("TRAINING_LEASE_S", 120)
# The gate (webapp/mlops/gate.py): promote only when holdout Dice improves by at least MIN_DICE_GAIN, the
# bootstrap interval's lower bound is above zero (when REQUIRE_CI), and no guarded metric drops by more than
# MAX_DROP (absolute).
GATE_MIN_DICE_GAIN = env_float("GATE_MIN_DICE_GAIN", 0.01)
GATE_REQUIRE_CI_ABOVE_ZERO = env_bool("GATE_REQUIRE_CI_ABOVE_ZERO", True)
GATE_MAX_DROP = env_float("GATE_MAX_DROP", 0.01)
GATE_BOOTSTRAP_SAMPLES = env_int("GATE_BOOTSTRAP_SAMPLES", 2000)
# Images of the base test split scored by the gate to catch forgetting (0: all of them).
GATE_BASE_TEST_LIMIT = env_int("GATE_BASE_TEST_LIMIT", 0)

DEMO_DATASETS = Path(env_str("POLYPSCOPE_DATASETS", str(BASE_DIR.parent / "shared" / "datasets")))

# The base training set mixed into every fine-tuning run (replay, against forgetting) and whose test split
# the gate scores: a Kvasir-SEG style folder with images/ and masks/ and the fixed split file. Empty: none.
_KVASIR = DEMO_DATASETS / "kvasir-seg"
TRAINING_BASE_DATASET = env_str("TRAINING_BASE_DATASET", str(_KVASIR) if _KVASIR.is_dir() else "-")
TRAINING_BASE_DATASET = "" if TRAINING_BASE_DATASET == "-" else TRAINING_BASE_DATASET

# Logins per client address and username (DRF's rate syntax: N/s, N/min, N/hour): ten a minute lets a person
# mistype a few times and stops password guessing (40 guesses in 9 s were let through before).
LOGIN_THROTTLE_RATE = env_str("LOGIN_THROTTLE_RATE", "10/min")
# API tokens expire: a token copied into a script or leaked in a log stops working within a shift (12 h).
TOKEN_TTL_HOURS = env_int("TOKEN_TTL_HOURS", 12)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: unauthenticated requests then get 401 with `WWW-Authenticate: Token`, not 403.
        "webapp.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["webapp.accounts.permissions.HasAnyRole"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "webapp.errors.exception_handler",
    # API rate limits per user (and per address for anonymous requests), counted in the cache (Redis): generous for
    # a person (the review page asks for a few requests a second at most), a stop for a runaway script. Over: 429.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle",
                                 "rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("API_THROTTLE_USER", "1200/min"),
                               "anon": env_str("API_THROTTLE_ANON", "120/min")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Polypscope API",
    "DESCRIPTION": "Colonoscopy studies, video upload, per-frame polyp segmentation and polyp events.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Four models have a `status` with its own choices: each enum keeps its model's name.
    "ENUM_NAME_OVERRIDES": {
        "VideoStatusEnum": "webapp.videos.models.VideoStatus",
        "StudyStatusEnum": "webapp.studies.models.StudyStatus",
        "PropagationStatusEnum": "webapp.annotations.models.PropagationStatus",
        "RunStatusEnum": "webapp.mlops.models.RunStatus",
    },
}

# text (a developer's terminal) or json (one object a line with request_id and task_id: webapp/ops/logs.py)
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"environment variable LOG_FORMAT must be text or json, got {LOG_FORMAT!r}")
LOGGING = logging_config(level=env_str("LOG_LEVEL", "INFO"), json_format=LOG_FORMAT == "json")
# Prometheus: the web process serves GET /metrics (METRICS_TOKEN set: only with `Authorization: Bearer <token>`);
# a worker serves its metrics on METRICS_PORT when set (django-prometheus starts the exporter; webapp/ops/metrics.py).
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
PROMETHEUS_METRICS_EXPORT_PORT = env_int("METRICS_PORT", 0) or None
PROMETHEUS_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, float("inf"))
