// Starts Swagger UI on /docs (verifier/web/api_docs.py): a file of its own, not an inline
// script, so the page keeps the strict Content-Security-Policy. The OpenAPI document's
// address comes from the page; the validator badge stays off (it would call another host).
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
