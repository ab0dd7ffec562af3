"""Vocabulary shared by several features (channels, kinds, ratings, stages)."""

from enum import StrEnum


class Channel(StrEnum):
    """A contact point through which a customer can be reached."""

    SMS = "SMS"
    APP_PUSH = "APP_PUSH"
    EMAIL = "EMAIL"
    PHONE = "PHONE"


class CustomerKind(StrEnum):
    """A natural person or a business."""

    PERSON = "PERSON"
    BUSINESS = "BUSINESS"


class RiskRating(StrEnum):
    """Risk rating of a customer, from the risk-rating decision table."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"


class LifecycleStage(StrEnum):
    """Where a customer stands in their relationship with the lender."""

    NEW = "NEW"
    GROWTH = "GROWTH"
    STABLE = "STABLE"
    CHURN_WARNING = "CHURN_WARNING"
    LOST = "LOST"
