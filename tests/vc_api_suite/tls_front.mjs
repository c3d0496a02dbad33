// An https front for a plain-http server, for the W3C test suite: the suite sends configured
// headers (the bearer token) and unwraps VC-API answers only for https: endpoints.
// Usage: node tls_front.mjs <key.pem> <cert.pem> <backend base URL>; prints the port it
// listens on (127.0.0.1, chosen by the system) on its first line.
import {readFileSync} from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const [keyFile, certFile, backend] = process.argv.slice(2);
const target = new URL(backend);
const server = https.createServer({
  key: readFileSync(keyFile),
  cert: readFileSync(certFile)
}, (request, response) => {
  const headers = {...request.headers, host: target.host};
  const upstream = http.request({
    hostname: target.hostname,
    port: target.port,
    path: request.url,
    method: request.method,
    headers
  }, answer => {
    response.writeHead(answer.statusCode, answer.headers);
    answer.pipe(response);
  });
  upstream.on('error', () => {
    response.writeHead(502, {'content-type': 'text/plain'});
    response.end('backend unreachable');
  });
  request.pipe(upstream);
});
server.listen(0, '127.0.0.1', () => {
  console.log(server.address().port);
});
