from django.apps import AppConfig


class SingleWindowConfig(AppConfig):
    name = "singlewindow"
    verbose_name = "Single window infrastructure"
