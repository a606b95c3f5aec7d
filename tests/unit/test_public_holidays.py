"""Public holidays of the configured country, loaded without the other 249 countries: the
same codes and the same holidays as the holidays package's own functions."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from opsync.public_holidays import country_codes, country_holidays


def test_the_known_codes_are_those_the_package_lists() -> None:
    assert country_codes() == frozenset(holidays.list_supported_countries())
    assert {"US", "USA", "GB", "UK", "DE"} <= country_codes()


@pytest.mark.parametrize(
    ("country", "subdivision"),
    [("US", None), ("USA", "CA"), ("GB", None), ("UK", "SCT"), ("DE", "BY"), ("FR", None),
     ("GU", None), ("IN", None)],
)  # fmt: skip
def test_the_holidays_are_those_of_the_package(country: str, subdivision: str | None) -> None:
    ours = country_holidays(country, subdivision)
    theirs = holidays.country_holidays(country, subdiv=subdivision)
    assert type(ours) is type(theirs)
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(730)]
    assert [ours.get(d) for d in days] == [theirs.get(d) for d in days]
    assert any(ours.get(d) for d in days)


def test_an_unknown_country_or_subdivision_is_refused_as_the_package_refuses_it() -> None:
    with pytest.raises(NotImplementedError):
        country_holidays("XX")
    with pytest.raises(NotImplementedError):
        country_holidays("US", "ZZ")
