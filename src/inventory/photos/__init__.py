"""Phase 2, the photos: display and ids, API verdicts, transports, the API budget, retries, the run,
queue jobs, webhooks."""
