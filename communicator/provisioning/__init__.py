"""The profile schema shared by client and server, the client side of the provisioning API,
and the central server (in ``server/``)."""
