"""goengine: learn Go move patterns from game records and play with them.

Importing the package registers the gymnasium environment ``goengine/Go-v0``.
"""

__version__ = "0.1.0"

from goengine.play.env import register_envs as _register_envs

_register_envs()
