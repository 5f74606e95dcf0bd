"""The only package that imports pjsua2: endpoint, account, call and audio adapters."""
