"""HTTP: dependencies, error handlers, middleware, OpenAPI, metrics, schemas and routes."""
