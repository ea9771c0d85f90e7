"""The event sink registered in ``IntegrationsConfig.ready`` (``apps.core.events``)."""

from apps.core.events import DomainEvent
from apps.integrations.services.deliveries import deliveries_create_for_event


def event_sink(event: DomainEvent) -> None:
    deliveries_create_for_event(event=event)
