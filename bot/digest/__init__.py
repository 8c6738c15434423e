"""The daily digest: where every line stands, what falls due, what is firing, and 13 weeks ahead.

Domain only (no Slack, no scheduler): the numbers (`numbers`, from the ledger's own views in
`bot.ledger.portfolio` and `bot.dashboard`; the money each open alert puts at risk is
`bot.alerts.at_risk`'s, shared with the alert's message and its escalation), the 13-week cash
flow (`cashflow`) and its chart (`chart`), the plain-text words (`text`), the JSON the outbox
carries (`payload`), and when each channel's digest is due and claimed (`sending`).
Slack renders the payload (`bot.slack.digest_blocks`).
"""
