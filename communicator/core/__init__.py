"""Pure Python core: profile-driven state machines. No Qt, no pjsua2, no sockets, no files.

State machines (no threads, no clock reads: time comes in as ``now``):

- `registration`: SIP registration, refresh, backoff and the lost-connection message
  (`registration_events`, `registration_values`).
- `lines`: the agent's lines and calls (`operations` says what is allowed now; `line_calls`,
  `transfers`, `adapter_events`; values in `calls`, `call_events`, `call_effects`,
  `call_record`, `forwarding_decision`).
- `dialing`: what the agent typed -> SIP URI.
- `agent_state`: READY / NOT_READY / ON_CALL / WRAP_UP.
- `errors`: `InvalidOperationError`, the one error type their operations raise.

The durable call-log outbox is I/O and lives in `communicator.provisioning.outbox`;
`call_record.call_log_payload` makes its entries.
"""
