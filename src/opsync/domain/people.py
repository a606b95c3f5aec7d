"""People and product areas: who owns what, so that work can be routed to a person."""

from __future__ import annotations

from enum import StrEnum

from opsync.domain.base import Model


class Role(StrEnum):
    PM = "pm"
    ENG_LEAD = "eng_lead"
    HEAD_OF_PRODUCT = "head_of_product"
    PRODUCT_OPS = "product_ops"
    SUPPORT = "support"
    SALES = "sales"
    CS = "cs"
    DATA = "data"
    OTHER = "other"


class Person(Model):
    key: str
    name: str
    role: Role = Role.OTHER
    email: str | None = None
    slack: str | None = None


class ProductArea(Model):
    """A product area and its owners; the PM receives routed insights for it."""

    key: str
    name: str
    pm: str
    eng_lead: str | None = None
