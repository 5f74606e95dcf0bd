"""Profile schema shared by client and server, the client of the provisioning API, and the server."""
