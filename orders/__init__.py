"""Order intake: single and bulk orders, cut-off, idempotency, allocation to batches."""
