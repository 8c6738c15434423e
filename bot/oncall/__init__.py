"""On-call: who is on call (rotations, overrides), and the escalation of alerts nobody owns.

- `rotations`: rotations and overrides, and `who(rotation, at)`;
- `policy`: the escalation ladder per severity, as typed and as stored;
- `hours`: business hours on the Chinese workday calendar, in a facility's zone;
- `urgency`: the money at risk of an alert and how near its deadline is (`risks`: the same for
  many alerts in a few queries);
- `engine`: the wake-up that finds each step due, for all open alerts at once;
- `claims`: claims those steps, once across workers and never after an acknowledgement.

The package is domain: it imports neither Slack nor the scheduler nor `jobs/`.
"""
