"""Credentials: the catalog, claims, issuance, lifecycle, reissue, status lists, QR codes."""
