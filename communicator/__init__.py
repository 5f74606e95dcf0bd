"""Communicator: a centrally provisioned SIP softphone for contact-center agents."""

__version__ = "0.1.0"
