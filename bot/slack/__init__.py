"""The Slack app: Bolt listeners, Block Kit builders, and the HTTP server around them."""
