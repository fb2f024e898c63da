from django.apps import AppConfig


class EmbeddedConfig(AppConfig):
    name = "webapp.embedded"
    label = "embedded"
    verbose_name = "Embedded single-process mode (make run)"
