"""privmap: find personal data, map where it flows, and write the GDPR records that prove it."""

__version__ = "0.1.0"
