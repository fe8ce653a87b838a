"""The demo application of ``flasksess serve-demo``: Flask's session tutorial with a cookie inspector.

Imports Flask: only ``serve-demo`` imports this package.
"""

from flasksess_cli.demo.app import create_app

__all__ = ["create_app"]
