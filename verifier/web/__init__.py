"""HTTP: the verify API and page, and the standalone verifier app."""
