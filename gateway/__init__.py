"""An email approval gateway for posts on a town office's official social-media accounts."""

__version__ = "0.1.0"
