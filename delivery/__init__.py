"""The delivery worker: sends the queued `deliver` rows exactly once (docs/architecture.md, "The
`due_work` outbox"). `worker` claims, leases, retries; `routing` finds each message's
conversations; `fanout` splits a pair's message into one row per conversation; `stats` counts."""
