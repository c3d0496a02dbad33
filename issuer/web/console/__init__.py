"""The registrar console: server-rendered pages (Jinja2) on the services the API uses.

docs/decisions/0038-console-sign-in.md: sign-in, sessions, CSRF. Every page is in Chinese and
English, loads only this server's own files under the strict CSP, and asks
``issuer.access.policy`` what the signed-in person may see and do.
"""
