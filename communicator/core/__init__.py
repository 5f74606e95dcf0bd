"""Pure Python core: profile-driven state machines and the call-log outbox.
No Qt, no pjsua2, no sockets.

State machines (no threads, no clock reads: time comes in as ``now``):

- `registration`: SIP registration, refresh, backoff and the lost-connection message.
- `lines`: the agent's lines and calls (`calls`, `call_events`, `call_effects`,
  `call_record`, `forwarding_decision`).
- `dialing`: what the agent typed -> SIP URI.
- `agent_state`: READY / NOT_READY / ON_CALL / WRAP_UP.
- `errors`: `InvalidOperationError`, the one error type their operations raise.
- `outbox`: the durable call-log outbox; `call_record.call_log_payload` makes its entries.
"""
