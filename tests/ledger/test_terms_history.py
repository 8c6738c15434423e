"""A terms version keeps every column of a facility that can change after `facility add`."""

from bot.models import VERSIONED_COLUMNS, Facility, FacilityTermsVersion

# What a facility is, rather than its terms: never changed, or not read as of a moment.
# Where alerts go and who is on call route messages now; they are not terms a past check reads.
FIXED = {
    "id",
    "slug",
    "platform_id",
    "name",
    "currency",
    "timezone",
    "alert_channel",
    "language",  # how its messages are worded, not a term: never versioned
    "oncall_rotation",
    "reading_owner",
    "readings",
    "readings_since",
    "created_at",
}


def test_a_version_keeps_every_changeable_column_of_a_facility_with_its_type() -> None:
    """A column added to facilities is either fixed or versioned, and a version stores it alike:
    otherwise `check --at` would read today's value of it."""
    facility = Facility.__table__.c
    version = FacilityTermsVersion.__table__.c
    assert {column.name for column in facility} - FIXED == set(VERSIONED_COLUMNS)
    assert {column.name for column in version} == {"id", "facility_id", "valid_from"} | set(
        VERSIONED_COLUMNS
    )
    for name in VERSIONED_COLUMNS:
        assert repr(version[name].type) == repr(facility[name].type), name
