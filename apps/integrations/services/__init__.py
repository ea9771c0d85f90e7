"""Writes of the integrations app: webhook endpoints (``webhooks``), webmaster postback
templates (``postbacks``), and deliveries with their retries and replays (``deliveries``)."""
