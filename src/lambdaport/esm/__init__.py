"""Event source mappings: the supervisor runs one poller per Enabled mapping; pollers read
their sources (lambdaport's own stores, never over HTTP), batch, filter, invoke through the
one trigger seam and settle (``supervisor``, ``poller``, ``source``, ``sqs``)."""
