"""Amazon CloudWatch Logs: log groups, streams, events, filter patterns, subscription filters
and the function logs of every invocation (see ``service.py``)."""
