"""An unsigned query-protocol post to a queue URL (curl, old hand-written clients) reaches SQS."""

from __future__ import annotations

import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

from tests.services.sqs.conftest import MakeQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def test_unsigned_send_to_a_queue_url(sqs: SQSClient, make_queue: MakeQueue) -> None:
    url = make_queue()
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode({"Action": "SendMessage", "MessageBody": "curl"}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode()
    assert "<SendMessageResponse" in body and "<MessageId>" in body
    received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in received] == ["curl"]
