"""ASGI middleware: request ids and logs, security headers, body limits, rate limits."""
