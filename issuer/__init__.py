"""Tessera issuer: database, signing keys, catalog, issuance, the registrar API and the CLI.

It imports ``verifier`` for the shared credential format; never the reverse.
"""
