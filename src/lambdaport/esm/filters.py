"""FilterCriteria (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html):
up to five patterns, OR-ed, in the EventBridge syntax of ``events.patterns``, matched against
each record's view (SQS: the record with its body parsed when it is JSON)."""

from __future__ import annotations

from collections.abc import Sequence

from lambdaport.esm.source import SourceRecord
from lambdaport.events.patterns import Pattern, compile_pattern


class RecordFilter:
    def __init__(self, patterns: Sequence[str] | None) -> None:
        self._patterns: tuple[Pattern, ...] = tuple(compile_pattern(p) for p in patterns or ())

    def split(
        self, records: Sequence[SourceRecord]
    ) -> tuple[list[SourceRecord], list[SourceRecord]]:
        """(kept, left out)."""
        if not self._patterns:
            return list(records), []
        kept, left_out = [], []
        for record in records:
            if any(p.matches(record.view) for p in self._patterns):
                kept.append(record)
            else:
                left_out.append(record)
        return kept, left_out
