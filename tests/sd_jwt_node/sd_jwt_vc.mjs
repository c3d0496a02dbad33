// An independent SD-JWT VC holder and verifier for Tessera's tests: @sd-jwt/sd-jwt-vc with
// @sd-jwt/crypto-nodejs (pinned in package.json). Reads one JSON request on stdin, writes one
// JSON answer on stdout: {"ok": true, ...} or {"ok": false, "error": "..."}.
//
//   {"command": "verify", "presentation": "...", "jwks": {...}, "nonce": "...", "aud": "..."}
//     verifies the issuer's signature with the key of the given JWKS whose kid the signed
//     header names, the disclosures, the key binding (when a nonce is given: signed by the
//     cnf key, nonce, sd_hash; aud compared here), the status through the Token Status List
//     fetched over HTTP from the credential's status.status_list.uri, and the vct's type
//     metadata fetched over HTTP and validated by the library.
//   {"command": "present", "sd_jwt": "...", "frame": {"score": true}, "holder_jwk": {...},
//    "nonce": "...", "aud": "..."}
//     a presentation with the chosen disclosures and a KB-JWT signed by holder_jwk.
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { ES256, digest, generateSalt } from "@sd-jwt/crypto-nodejs";

function decodeSegment(segment) {
  return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
}

function issuerVerifier(jwks) {
  // The signing input is "<header>.<payload>": the key is the JWKS entry the header's kid names.
  return async (data, signature) => {
    const header = decodeSegment(data.split(".")[0]);
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    if (!jwk || header.alg !== "ES256") return false;
    const verify = await ES256.getVerifier(jwk);
    return verify(data, signature);
  };
}

async function verify(request) {
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    verifier: issuerVerifier(request.jwks),
    kbVerifier: async (data, signature, payload) => {
      const verify = await ES256.getVerifier(payload.cnf.jwk);
      return verify(data, signature);
    },
    loadTypeMetadataFormat: true,
  });
  const options = request.nonce ? { keyBindingNonce: request.nonce } : {};
  const result = await sdjwt.verify(request.presentation, options);
  if (request.aud && result.kb?.payload.aud !== request.aud) {
    throw new Error("KB-JWT aud is not the expected audience");
  }
  return {
    header: result.header,
    claims: result.payload,
    kb: result.kb?.payload ?? null,
    type_metadata: result.typeMetadata?.mergedTypeMetadata ?? null,
  };
}

async function present(request) {
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    saltGenerator: generateSalt,
    kbSigner: await ES256.getSigner(request.holder_jwk),
    kbSignAlg: "ES256",
  });
  const presentation = await sdjwt.present(request.sd_jwt, request.frame, {
    kb: {
      payload: {
        iat: Math.floor(Date.now() / 1000),
        aud: request.aud,
        nonce: request.nonce,
      },
    },
  });
  return { presentation };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const commands = { verify, present };
  try {
    const answer = await commands[request.command](request);
    process.stdout.write(JSON.stringify({ ok: true, ...answer }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ ok: false, error: String(error?.message ?? error) }));
  }
}

await main();
