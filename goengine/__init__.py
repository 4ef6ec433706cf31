"""goengine: learn Go move patterns from game records and play with them."""

__version__ = "0.1.0"
