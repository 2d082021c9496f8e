"""SNS (query protocol): topics, subscriptions, filter policies, signed deliveries to Lambda,
SQS and HTTP(S) endpoints."""

from lambdaport.services.sns.service import ROUTE_PREFIX, SnsService

__all__ = ["ROUTE_PREFIX", "SnsService"]
