"""Tessera verifier: the credential format and everything needed to check one.

This package never imports ``issuer``: an employer can install and run it alone.
"""
