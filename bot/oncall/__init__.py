"""On-call: who is on call (rotations, overrides), and the escalation of alerts nobody owns.

- `rotations`: rotations and overrides, and `who(rotation, at)`;
- `shifts`: a person's next shifts and overrides (App Home);
- `usergroups`: a Slack user group kept in step with whoever is on call;
- `policy`: the escalation ladder per severity, as typed and as stored;
- `hours`: business hours on the Chinese workday calendar, in a facility's zone;
- `urgency`: how near the deadline of the money an alert puts at risk (`bot.alerts.at_risk`) is;
- `engine`: the wake-up that runs each step due, once.

The package is domain: it imports neither Slack nor the scheduler nor `jobs/`.
"""
