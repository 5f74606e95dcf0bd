from tests.client.site import site

__all__ = ["site"]
