"""The moto tail: AWS services lambdaport does not own, served in-process by moto.

``MotoTail.endpoints(excluded)`` gives the gateway one raw endpoint per service in
``catalog.MOTO_APPS``; ``protocol`` reads and validates each request into a ``MotoCall``
before moto sees it; ``hooks`` holds every moto behaviour the tail relies on.
"""

from lambdaport.services.moto_tail.catalog import MOTO_APPS
from lambdaport.services.moto_tail.protocol import MotoCall
from lambdaport.services.moto_tail.tail import MotoTail

__all__ = ["MOTO_APPS", "MotoCall", "MotoTail"]
