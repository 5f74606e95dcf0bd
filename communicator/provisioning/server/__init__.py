"""The central provisioning server (never imports Qt or pjsua2)."""
