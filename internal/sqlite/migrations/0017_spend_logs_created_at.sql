-- GET /spend/logs takes start_date and end_date (LiteLLM's), and lists the
-- logs newest first: one index serves the range and the order.

CREATE INDEX spend_logs_created_at ON spend_logs (created_at DESC, batch_id DESC);
