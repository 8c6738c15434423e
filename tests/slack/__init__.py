"""Slack surfaces: Block Kit builders, without Bolt or a database."""
