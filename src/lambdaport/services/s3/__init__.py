"""S3 of lambdaport's own: buckets, objects streamed to files, multipart uploads, versioning,
tagging, ACLs (kept, not enforced), presigned URLs, aws-chunked uploads, and bucket
notifications to Lambda, SQS and SNS (``triggers``).

``build_s3`` wires the parts; ``app.py`` mounts the endpoint (a ``RawEndpoint``: S3 reads
and answers its requests itself) and hands the ``ObjectStore`` to the services that read or
write objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lambdaport.endpoint import RawEndpoint
from lambdaport.invoke.model import InvokeDoor
from lambdaport.invoke.triggers import PushTriggers
from lambdaport.protocol import load_protocol
from lambdaport.protocol.rest_xml import RestXmlProtocol
from lambdaport.services.interfaces import QueueSink, TopicSink
from lambdaport.services.s3.api import S3Api
from lambdaport.services.s3.backend import S3Backend
from lambdaport.services.s3.blobs import BlobStore
from lambdaport.services.s3.cors import BucketCors
from lambdaport.services.s3.destination import BucketDestination
from lambdaport.services.s3.errors import S3Errors
from lambdaport.services.s3.models import new_request_id
from lambdaport.services.s3.object_store import S3ObjectStore
from lambdaport.services.s3.triggers import Notifier
from lambdaport.store.s3 import S3Tables


@dataclass(frozen=True, slots=True)
class S3Service:
    endpoint: RawEndpoint
    objects: S3ObjectStore
    notifier: Notifier
    api: S3Api
    destination: BucketDestination  # buckets as on-failure destinations of async invokes


def build_s3(
    tables: S3Tables,
    data_dir: Path,
    invoker: InvokeDoor | None,
    queues: QueueSink | None = None,
    topics: TopicSink | None = None,
    *,
    strict_auth: bool = False,
) -> S3Service:
    protocol = load_protocol("s3")
    assert isinstance(protocol, RestXmlProtocol)
    triggers = None if invoker is None else PushTriggers(invoker.invoke)
    notifier = Notifier(triggers, queues, topics)
    backend = S3Backend(tables, BlobStore(data_dir / "s3"), notifier)
    api = S3Api(protocol, backend, notifier, strict_auth=strict_auth)
    endpoint = RawEndpoint(
        api,
        S3Errors(protocol),
        cors=BucketCors(backend.tables),
        new_request_id=new_request_id,
    )
    objects = S3ObjectStore(backend)
    return S3Service(endpoint, objects, notifier, api, BucketDestination(objects))


__all__ = ["S3Service", "build_s3"]
