"""An email approval gateway for posts on a town office's official social-media accounts."""

from gateway.version import VERSION as __version__

__all__ = ["__version__"]
