"""On-call: who is on call (rotations, overrides), and the escalation of alerts nobody owns.

- `rotations`: rotations and overrides, and `who(rotation, at)`;
- `shifts`: a person's next shifts and overrides (App Home);
- `policy`: the escalation ladder per severity, as typed and as stored;
- `hours`: business hours on the Chinese workday calendar, in a facility's zone;
- `urgency`: the money at risk of an alert and how near its deadline is;
- `engine`: the wake-up that runs each step due, once.

The package is domain: it imports neither Slack nor the scheduler nor `jobs/`.
"""
