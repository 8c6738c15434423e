"""Alerts: findings from the checks, as a lifecycle people work; no Slack, no scheduler."""
