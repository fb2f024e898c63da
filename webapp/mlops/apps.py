from django.apps import AppConfig


class MlopsConfig(AppConfig):
    name = "webapp.mlops"
    label = "mlops"
