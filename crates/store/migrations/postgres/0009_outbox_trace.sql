-- The trace context an outbox entry was written under: a W3C traceparent
-- (`00-<trace id>-<span id>-<flags>`), sent with the item so the parent's
-- span for it continues the same trace. NULL when the node was not tracing.
-- Never personal data: ids and flags only.
ALTER TABLE outbox ADD COLUMN trace_parent TEXT;
