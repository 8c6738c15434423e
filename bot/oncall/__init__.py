"""On-call: who is on call (rotations, overrides), and the escalation of alerts nobody owns.

- `rotations`: rotations and overrides, and `who(rotation, at)`;
- `shifts`: a person's next shifts and overrides (App Home);
- `usergroups`: a Slack user group kept in step with whoever is on call;
- `policy`: the escalation ladder per severity, as typed and as stored;
- `hours`: business hours on the Chinese workday calendar, in a facility's zone;
- `urgency`: how near the deadline of the money an alert puts at risk (`bot.alerts.at_risk`,
  read for all escalating alerts in a few queries) is;
- `engine`: the wake-up that finds each step due, for all open alerts at once;
- `claims`: claims those steps, once across workers and never after an acknowledgement;
- `together`: alerts told together (a storm, one bill's two alerts) escalate as one notice.

The package is domain: it imports neither Slack nor the scheduler nor `jobs/`.
"""
