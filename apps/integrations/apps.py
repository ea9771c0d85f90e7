from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Integrations: webhooks and postbacks"

    def ready(self) -> None:
        from apps.core.events import register_event_sink

        # Every domain event is offered to the sink: stored once, delivered after commit.
        register_event_sink("apps.integrations.sink.event_sink")
