"""Pure Python core: profile-driven state machines and the call-log outbox. No Qt, no pjsua2, no sockets."""
