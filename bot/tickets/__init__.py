"""Tickets with a platform: opened from an alert or by hand, sent with the usage records, chased.

Free of Slack and the scheduler, like the rest of the domain; Slack, the CLI and the wake-ups
(`jobs/cycle.py`) call in here with a session, an actor and a clock.

- `words`: the states, timeline kinds, channels and languages, and the human id (`T-3`);
- `contacts`: how each platform is reached (per platform, with a per-facility override);
- `records`: the usage records (使用记录) of a facility and the discrepancy they show;
- `text`: every word a platform reads (zh and en), written once;
- `notices`: the typed payloads of the outbox rows a ticket change writes;
- `actions`: open, note, reply, sent, close, reopen; `follow_ups`: the wake-ups;
- `delivery`: a message the platform never got, on the ticket's timeline;
- `exports`: tickets as plain rows for `loanwatch export tickets`.
"""
