"""python manage.py run_embedded [--host 127.0.0.1] [--port 8000]: the whole app in one process (`make run`).

Why one process: with no outside services there is no broker or channel layer that two processes could
share (kombu's memory transport and channels' in-memory layer are per process). So the web server (uvicorn,
with production's options: webapp/server.py) and one Celery worker (a thread with a pool of two task threads,
consuming queue `gpu` for videos and still images and queue `train` for fine-tuning runs, so an admin can try the
whole retraining loop while videos keep being processed) live in this process and share the in-memory broker
and channel layer; the database is SQLite. Ctrl+C (or SIGTERM) stops the server, then the workers;
no child process is left behind because none is started.

Startup: migrate, collect static files, ensure the `admin` user, register the default model, start warming its engine
in a thread (webapp/mlops/engines.py: the demo's and the first upload's results then come at once), load the
demo study once, start the workers (re-queueing videos and training runs a previous run left unfinished: the
memory broker forgot them; a run resumes from its last epoch), then serve.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from webapp.accounts.services import user_ensure_admin
from webapp.celery import app as celery_app
from webapp.embedded.demo import demo_study_ensure
from webapp.mlops.services import model_version_ensure_active
from webapp.server import options as server_options

# How long Ctrl+C waits for the video batch in progress (a batch of 16 frames takes about 2-4 s on two CPU
# cores, README "Speed") before the process exits anyway; the video resumes on the next start.
WORKER_STOP_TIMEOUT_S = 5.0
# The engine's warm-up (one dummy frame: about 1 s on two CPU cores eager) is waited for as briefly before leaving.
WARMER_STOP_TIMEOUT_S = 2.0


class Command(BaseCommand):
    help = "Run the web server and a worker in one process, on SQLite and in-memory queues (make run)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="do not load the demo study")

    def handle(self, *args, host: str, port: int, no_demo: bool, **options) -> None:
        if not settings.EMBEDDED or not settings.CELERY_BROKER_URL.startswith("memory://"):
            raise CommandError("run_embedded needs POLYPSCOPE_EMBEDDED=1 (in-memory broker and channel layer)")
        for folder in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
            folder.mkdir(parents=True, exist_ok=True)
        db_name = settings.DATABASES["default"]["NAME"]
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            Path(db_name).parent.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)

        admin, generated = user_ensure_admin(password=settings.ADMIN_PASSWORD)
        if generated:
            password = f"{generated} (generated; set POLYPSCOPE_ADMIN_PASSWORD to choose one)"
        elif settings.ADMIN_PASSWORD and admin.check_password(settings.ADMIN_PASSWORD):
            password = "from POLYPSCOPE_ADMIN_PASSWORD"
        else:
            password = "unchanged (printed when it was generated on the first run)"
        version = model_version_ensure_active()
        self.stdout.write(f"model: {version}")
        from webapp.mlops.engines import start_engine_warmer  # torch: this process is the worker too
        from webapp.videos.tasks import engine_busy

        warmer = start_engine_warmer(busy=engine_busy)

        # One worker thread consuming both queues with two task threads, so a fine-tuning run (`train`) never holds
        # up a video (`gpu`), as with production's separate workers. (Two WorkControllers in one process do not
        # share kombu's memory transport: the second one starved the first.)
        worker = celery_app.WorkController(
            pool="threads", concurrency=2, queues=["gpu", "train"], loglevel="INFO",
            without_heartbeat=True, without_mingle=True, without_gossip=True,  # no other workers to talk to
        )
        thread = threading.Thread(target=worker.start, name="celery-worker", daemon=True)
        thread.start()
        from webapp.mlops.tasks import train_run
        from webapp.mlops.trainer import training_runs_unfinished
        from webapp.videos.leases import videos_unfinished
        from webapp.videos.tasks import process_video

        for video_id in videos_unfinished():
            process_video.delay(video_id)  # the memory broker forgot it; resumes after its last stored frame
        for run_id in training_runs_unfinished():
            train_run.delay(run_id)  # the memory broker forgot it; resumes from its last epoch

        if not no_demo:
            study, created = demo_study_ensure(owner=admin, datasets=settings.DEMO_DATASETS)
            self.stdout.write(f"demo study {study.pk}: {'loaded' if created else 'already there'}")

        url = f"http://{host}:{port}"

        def ready() -> None:
            self.stdout.write(f"\nPolypscope is running at {url}/  (the review UI; Django admin: {url}/admin/, "
                              f"API: {url}/api/)")
            self.stdout.write(f"  username: admin\n  password: {password}\nCtrl+C stops it.\n")
            self.stdout.flush()

        # The production server's options (webapp/server.py), in this process: the worker shares its memory broker.
        config = uvicorn.Config(_asgi_application(), **{**server_options(host=host, port=port), "workers": None,
                                                         "access_log": False})
        server = _Server(config, ready)  # Ctrl+C and SIGTERM stop it, then run() returns
        connections.close_all()  # the startup's connection; the server's and worker's threads open their own
        try:
            server.run()
        finally:
            from webapp.videos.leases import request_stop

            request_stop()  # the video in progress stops at its next batch and is handed back
            worker.stop(in_sighandler=False)
            thread.join(WORKER_STOP_TIMEOUT_S)
            warm_done = warmer is None or warmer.stop(WARMER_STOP_TIMEOUT_S)
            self.stdout.write("stopped")
            if thread.is_alive() or not warm_done:
                # The worker is still inside a batch (or the warmer inside the model's first call). Finalising the
                # interpreter under a thread in native torch code aborts the process (std::terminate), so leave now;
                # SQLite rolls back the open batch and the video resumes from its last stored frame.
                self.stdout.write("a video was interrupted; it resumes on the next start" if thread.is_alive()
                                  else "the model's warm-up was interrupted")
                self.stdout.flush()
                sys.stderr.flush()
                os._exit(0)


class _Server(uvicorn.Server):
    """uvicorn's server that says when it listens."""

    def __init__(self, config: uvicorn.Config, ready) -> None:
        super().__init__(config)
        self._ready = ready

    def handle_exit(self, sig, frame) -> None:
        # uvicorn raises a captured Ctrl+C or SIGTERM again once it has stopped (to end the process); here the
        # worker is stopped next, and the process exits 0 (handle's finally).
        super().handle_exit(sig, frame)
        self._captured_signals.clear()

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            self._ready()


def _asgi_application():
    from webapp.asgi import application

    return application
