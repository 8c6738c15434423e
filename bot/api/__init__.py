"""The ingest API on /api/v1 (docs/api.md): observations in, facilities, alerts and installments
out, for scripts and spreadsheets.

An entry point like bot/slack: it calls the domain and is called by nobody in it, and it imports
nothing of Slack (tests/test_layers.py). `bot.api.app` builds the FastAPI application,
`bot.api.wsgi` mounts it in the waitress server that serves Slack.
"""
