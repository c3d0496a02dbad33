"""Request and response models of the registrar API, one module per resource."""
