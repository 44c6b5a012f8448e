// cofi API docs: Swagger UI (swagger-ui-dist, served by the API) on /openapi.json. "Try it out" sends the key the
// dashboard saved in this browser (app.js: localStorage `cofi.apiKey`) unless the reader authorized another.

const savedKey = () => localStorage.getItem('cofi.apiKey') || '';

window.addEventListener('DOMContentLoaded', () => {
  const root = document.getElementById('docs');
  root.replaceChildren();
  const ui = SwaggerUIBundle({
    url: '/openapi.json',
    domNode: root,
    deepLinking: true,
    // No call to the public validator, nothing outside this API.
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
    requestInterceptor: (req) => {
      const key = savedKey();
      const headers = req.headers || {};
      if (key && !headers.Authorization && !headers.authorization) headers.Authorization = `Bearer ${key}`;
      req.headers = headers;
      return req;
    },
    onComplete: () => {
      // Shows the saved key as Swagger UI's own authorization (the padlocks), which the reader may change.
      const key = savedKey();
      if (key) ui.preauthorizeApiKey('apiKey', key);
    },
  });
});
