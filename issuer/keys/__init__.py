"""Signing keys: generation, encrypted storage, rotation, compromise, the published JWKS."""
