"""Public holidays of the configured country, loading that country alone.

``holidays.country_holidays`` imports the package ``holidays.countries``, whose ``__init__``
imports all 250 countries (about 60 ms of every cron run's start-up, for one country). The
package's registry names the module and class of each country code, so the country's own
module is loaded here by path, registered under its usual name. A country module that
imports another country (22 of them do, territories mostly) loads the whole package as it
always did; a code the registry does not know goes to ``holidays.country_holidays``, which
raises as it does.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import holidays
from holidays.registry import COUNTRIES, EntityLoader


@cache
def country_codes() -> frozenset[str]:
    """The country codes (and aliases) the holidays package knows, from its registry: those
    of ``holidays.list_supported_countries()``, which imports every country's module to list
    their subdivisions too."""
    return frozenset(EntityLoader.get_country_codes())


def country_holidays(country: str, subdivision: str | None = None) -> holidays.HolidayBase:
    """``holidays.country_holidays(country, subdiv=subdivision)``, the same object; raises
    NotImplementedError for an unknown country or subdivision, as it does."""
    known = next(((m, n) for m, n in COUNTRIES.items() if country in n[1:]), None)
    if known is None:
        return holidays.country_holidays(country, subdiv=subdivision)
    # the package's class for the code itself (``US``, or its alias ``USA``), as it returns
    entity: type[holidays.HolidayBase] = getattr(_module(known[0]), country)
    return entity(subdiv=subdivision)


def _module(name: str) -> ModuleType:
    full = f"holidays.countries.{name}"
    found = sys.modules.get(full)
    if found is not None:
        return found
    path = Path(holidays.__file__).parent / "countries" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(full, path)
    if spec is None or spec.loader is None:  # not a plain file: the package's own way
        return importlib.import_module(full)
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[full]
        raise
    return module
