// A holder's wallet answering a Tessera presentation request (OpenID4VP 1.0), for the tests.
//
// The protocol is @openid4vc/openid4vp's wallet side (Openid4vpClient): it parses the
// openid4vp:// link, fetches and checks the signed request object (x509_hash client id),
// and builds and posts the direct_post answer. The presentation (chosen disclosures and a
// key-binding JWT) is made by @sd-jwt/sd-jwt-vc. This script only trusts a request whose
// signing key, from the x5c certificate, is in the JWKS the test names (TRUSTED_JWKS_URL):
// the wallet's pinning of the verifier.
//
// Input: one JSON object on stdin:
//   link            the openid4vp:// link
//   trusted_jwks    the JWKS whose keys this wallet trusts to sign requests (or its URL)
//   credential      the SD-JWT VC (issuer-signed JWT ~ every disclosure ~), or null to only
//                   resolve the request
//   holder_jwk      the holder's private JWK (ES256), bound in the credential's cnf
//   disclose_all    disclose every claim, not only those the DCQL query asks for
//   nonce, audience override the key-binding JWT's nonce / aud (to be refused)
//   replay          post the same answer a second time
// Output: one JSON object on stdout: the resolved request, the answer's status and body,
// and the replay's.

import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { Openid4vpClient } from '@openid4vc/openid4vp';
import { setGlobalConfig } from '@openid4vc/oauth2';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import * as jose from 'jose';

// The tests serve Tessera over http on a loopback port.
setGlobalConfig({ allowInsecureUrls: true });

async function readInput() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function thumbprintOf(jwk) {
  return jose.calculateJwkThumbprint(jwk, 'sha256');
}

function callbacks(trustedJwksUrl) {
  return {
    fetch,
    hash: (data, alg) => {
      const name = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' }[alg];
      return new Uint8Array(createHash(name).update(data).digest());
    },
    generateRandom: (length) => new Uint8Array(randomBytes(length)),
    verifyJwt: async (signer, { compact }) => {
      if (signer.method !== 'x5c') return { verified: false };
      const certificate = new X509Certificate(Buffer.from(signer.x5c[0], 'base64'));
      const publicJwk = certificate.publicKey.export({ format: 'jwk' });
      const trusted =
        typeof trustedJwksUrl === 'string'
          ? await (await fetch(trustedJwksUrl)).json()
          : trustedJwksUrl;
      const prints = await Promise.all(trusted.keys.map((key) => thumbprintOf(key)));
      if (!prints.includes(await thumbprintOf(publicJwk))) return { verified: false };
      try {
        const key = await jose.importJWK(publicJwk, signer.alg);
        await jose.compactVerify(compact, key, { algorithms: ['ES256', 'EdDSA'] });
        return { verified: true, signerJwk: publicJwk };
      } catch {
        return { verified: false };
      }
    },
    signJwt: async () => {
      throw new Error('this wallet signs no JWT through the client');
    },
    encryptJwe: async () => {
      throw new Error('not used');
    },
    decryptJwe: async () => {
      throw new Error('not used');
    },
    clientAuthentication: () => {},
    getX509CertificateMetadata: (certificate) => {
      const names = (new X509Certificate(Buffer.from(certificate, 'base64')).subjectAltName ?? '')
        .split(', ')
        .filter(Boolean);
      const valuesOf = (kind) =>
        names.filter((name) => name.startsWith(`${kind}:`)).map((name) => name.slice(kind.length + 1));
      return { sanDnsNames: valuesOf('DNS'), sanUriNames: valuesOf('URI') };
    },
  };
}

function presentationFrame(query, discloseAll, credentialClaims) {
  const frame = {};
  const names = discloseAll
    ? credentialClaims
    : query.credentials[0].claims.map((claim) => claim.path[0]);
  for (const name of names) frame[name] = true;
  return frame;
}

async function main() {
  const input = await readInput();
  const client = new Openid4vpClient({ callbacks: callbacks(input.trusted_jwks) });
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: input.link });
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: parsed.params,
  });
  const request = resolved.authorizationRequestPayload;
  const output = {
    client: { prefix: resolved.client.prefix, effective: resolved.client.effective },
    request,
    dcql: resolved.dcql?.query ?? null,
  };
  if (!input.credential) {
    process.stdout.write(JSON.stringify(output));
    return;
  }
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    kbSigner: await ES256.getSigner(input.holder_jwk),
    kbSignAlg: 'ES256',
  });
  const claims = await sdjwt.getClaims(input.credential);
  const frame = presentationFrame(resolved.dcql.query, input.disclose_all, Object.keys(claims));
  const presentation = await sdjwt.present(input.credential, frame, {
    kb: {
      payload: {
        iat: Math.floor(Date.now() / 1000),
        aud: input.audience ?? resolved.client.effective,
        nonce: input.nonce ?? request.nonce,
      },
    },
  });
  const queryId = resolved.dcql.query.credentials[0].id;
  const { authorizationResponsePayload } = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: { vp_token: { [queryId]: [presentation] } },
  });
  const submit = async () => {
    const { response } = await client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request,
      authorizationResponsePayload,
    });
    return { status: response.status, body: await response.json() };
  };
  output.disclosed = Object.keys(frame);
  output.answer = await submit();
  if (input.replay) output.replay = await submit();
  process.stdout.write(JSON.stringify(output));
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n${JSON.stringify(error?.errorResponse ?? {})}\n`);
  process.exit(1);
});
