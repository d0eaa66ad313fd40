from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "任务目录与承接"

    def ready(self) -> None:
        from tasks import checks  # noqa: F401  (registers the system checks)
