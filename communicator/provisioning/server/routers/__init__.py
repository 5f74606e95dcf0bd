"""The HTTP API's routes, one module per subject; ``admin`` carries every admin route."""
