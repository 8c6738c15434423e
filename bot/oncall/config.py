"""What the settings say about escalation, as the engine takes it (`Settings.escalation()`)."""

from dataclasses import dataclass, field

from bot.oncall.hours import BusinessHours, parse_business_hours


@dataclass(frozen=True)
class EscalationConfig:
    """Business hours (warnings wait for them), how near a deadline makes an alert critical,
    and the rotation of alerts whose facility names none."""

    business_hours: BusinessHours = field(
        default_factory=lambda: parse_business_hours("09:00-18:00")
    )
    urgent_days: int = 2
    default_rotation: str | None = None
