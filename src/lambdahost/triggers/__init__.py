"""Triggers: what delivers events to functions as AWS's services do — the template's schedules,
S3 notifications, SNS subscriptions and EventBridge rules (``sources.py``, run by ``runner.py``),
and the pollers of event source mappings (``sqs.py``, ``streams.py``), with the event filter
patterns they share (``patterns.py``).

Nothing is imported here: a template load needs the schedule grammar and nothing else."""
