"""goengine: learn Go move patterns from game records and play with them.

Importing the package loads neither gymnasium nor torch; it arranges for the gymnasium
environment ``goengine/Go-v0`` to be registered as soon as gymnasium is imported
(see ``goengine.play.registration``).
"""

__version__ = "0.1.0"

from goengine.play.registration import register_on_first_use as _register_on_first_use

_register_on_first_use()
