from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What operators need: probes (/healthz, /readyz), Prometheus metrics (/metrics), JSON logs with ids."""

    name = "webapp.ops"
    label = "ops"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from webapp.ops import metrics
        from webapp.ops.logs import forget_request_id

        metrics.register()
        request_finished.connect(forget_request_id, dispatch_uid="ops.forget_request_id")
