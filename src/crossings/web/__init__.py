"""The local web app: ``create_app(data_dir)`` and ``serve(host, port, data_dir)``."""

from crossings.web.app import create_app, serve

__all__ = ["create_app", "serve"]
