"""Publication dates: one normal form (ISO 8601) and the timestamp the story window is measured in."""

from __future__ import annotations

from datetime import UTC, date, datetime


def normalise_date(value: str) -> str:
    """An ISO 8601 date or datetime in its canonical spelling; ValueError with a readable message if not."""
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 date or datetime (e.g. 2024-04-26 or 2024-04-26T10:24:00Z)"
        ) from None


def to_datetime(iso: str) -> datetime:
    """The moment an ISO date or datetime names: a date alone is its midnight UTC, a naive datetime UTC."""
    if len(iso) == 10:
        moment = datetime.combine(date.fromisoformat(iso), datetime.min.time())
    else:
        moment = datetime.fromisoformat(iso)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def to_timestamp(iso: str) -> float:
    """Seconds since the epoch (see to_datetime)."""
    return to_datetime(iso).timestamp()


def from_timestamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()
