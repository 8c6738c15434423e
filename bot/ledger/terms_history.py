"""A facility's terms as they were at a moment: the versions each change keeps, and reading them.

Every write of a facility's terms (`facility add`, `facility set`, a first draw fixing the
repayment day) calls :func:`keep_terms`, which keeps the facility's terms, thresholds and
active flag as a version valid from that moment (audited). :func:`facilities_as_of` gives the
checks a stand-in for `Facility` that reads the version in force at T, for a check run as of a
moment some version is newer than; otherwise the checks read `facilities` itself, as fast as
before.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import case, exists, select
from sqlalchemy.orm import Session, aliased

from bot import audit
from bot.models import VERSIONED_COLUMNS, Facility, FacilityTermsVersion


def keep_terms(
    session: Session, actor: audit.Actor, facility: Facility, *, now: datetime
) -> FacilityTermsVersion:
    """Keep `facility`'s terms as they are now, valid from `now` (audited)."""
    session.flush()
    version = FacilityTermsVersion(
        facility_id=facility.id,
        valid_from=now,
        **{name: getattr(facility, name) for name in VERSIONED_COLUMNS},
    )
    session.add(version)
    audit.record(session, actor, "facility.terms", version, at=now)
    return version


def changed_after(session: Session, now: datetime) -> bool:
    """Whether some facility's terms changed after `now` (one probe of the valid_from index)."""
    return bool(session.scalar(select(exists().where(FacilityTermsVersion.valid_from > now))))


def facilities_as_of(session: Session, now: datetime) -> Any:
    """`Facility`, or a stand-in for it with each facility's terms as they were at `now`.

    The stand-in has every column of `facilities`; the versioned ones come from the version in
    force at `now` (the latest valid from `now` or before, the later written on a tie). A
    facility with none keeps its own: one written past the ORM, and one set up after `now`,
    which the checks leave out by what they read (nothing about it was known at `now`). When
    no version is newer than `now` (every check run but one "as of" the past), the terms in
    force are the facility's own, and `Facility` itself comes back.
    """
    if not changed_after(session, now):
        return Facility
    return aliased(Facility, terms_at(now), name="facilities_then", adapt_on_names=True)


def terms_at(now: datetime) -> Any:
    """Every facility's columns with the terms of the version in force at `now` (a subquery)."""
    version = FacilityTermsVersion
    in_force = (
        select(version.id)
        .where(version.facility_id == Facility.id, version.valid_from <= now)
        .order_by(version.valid_from.desc(), version.id.desc())
        .limit(1)
        .correlate(Facility)
        .scalar_subquery()
    )
    table, versions = Facility.__table__, version.__table__
    # A facility written past the ORM (a bulk load) has no version: its own terms stand.
    unversioned = versions.c.id.is_(None)
    columns = [
        (
            case((unversioned, column), else_=versions.c[column.name])
            if column.name in VERSIONED_COLUMNS
            else column
        ).label(column.name)
        for column in table.c
    ]
    return (
        select(*columns)
        .select_from(table)
        .outerjoin(versions, versions.c.id == in_force)
        .subquery("facilities_then")
    )
