// A wallet's side of OpenID4VCI 1.0 (pre-authorised code flow), driven by the OpenWallet
// Foundation's client library @openid4vc/openid4vci (pinned in package.json), for Tessera's
// tests (tests/test_oid4vci_client.py).
//
// Input, one JSON object on stdin:
//   {"offer": "openid-credential-offer://?...", "tx_code": "123456", "proofs": 2}
// Output, one JSON object on stdout: the resolved offer and metadata version, and for each
// credential configuration of the offer the credentials obtained (one per proof, each proof
// made with a key this script generated) and those keys' public JWKs, or the error answered.
//
// The keys are generated and the proofs signed here with Node's own crypto; nothing of
// Tessera's is used.

import crypto from "node:crypto";
import { clientAuthenticationDynamic } from "@openid4vc/oauth2";
import { Openid4vciClient } from "@openid4vc/openid4vci";
import { setGlobalConfig } from "@openid4vc/utils";

// The test server listens on http://127.0.0.1; the library refuses http:// URLs unless told.
setGlobalConfig({ allowInsecureUrls: true });

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

function generateKey(alg) {
  const { publicKey, privateKey } =
    alg === "EdDSA"
      ? crypto.generateKeyPairSync("ed25519")
      : crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { alg, privateKey, publicJwk: publicKey.export({ format: "jwk" }) };
}

const keysByThumbprint = new Map();

const callbacks = {
  fetch: globalThis.fetch,
  generateRandom: (length) => crypto.randomBytes(length),
  hash: (data, alg) => crypto.createHash(alg.replace("-", "").toLowerCase()).update(data).digest(),
  clientAuthentication: clientAuthenticationDynamic({ clientId: "tessera-test-wallet", clientSecret: "" }),
  signJwt: async (signer, { header, payload }) => {
    if (signer.method !== "jwk") throw new Error(`this wallet signs with its own jwk only, not ${signer.method}`);
    const key = keysByThumbprint.get(JSON.stringify(signer.publicJwk));
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = crypto.sign(key.alg === "EdDSA" ? null : "sha256", Buffer.from(input), {
      key: key.privateKey,
      dsaEncoding: "ieee-p1363",
    });
    return { jwt: `${input}.${b64url(signature)}`, signerJwk: signer.publicJwk };
  },
  verifyJwt: async () => {
    throw new Error("this wallet verifies nothing itself: the test does");
  },
  encryptJwe: async () => {
    throw new Error("no encryption");
  },
  decryptJwe: async () => {
    throw new Error("no encryption");
  },
};

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function main() {
  const input = await readStdin();
  const client = new Openid4vciClient({ callbacks });
  const credentialOffer = await client.resolveCredentialOffer(input.offer);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer,
    issuerMetadata,
    txCode: input.tx_code,
  });
  const results = {};
  for (const credentialConfigurationId of credentialOffer.credential_configuration_ids) {
    const { c_nonce } = await client.requestNonce({ issuerMetadata });
    const keys = [];
    const jwts = [];
    for (let i = 0; i < (input.proofs ?? 1); i++) {
      const key = generateKey(i % 2 === 0 ? "ES256" : "EdDSA");
      keysByThumbprint.set(JSON.stringify(key.publicJwk), key);
      keys.push(key.publicJwk);
      const { jwt } = await client.createCredentialRequestJwtProof({
        issuerMetadata,
        credentialConfigurationId,
        signer: { method: "jwk", alg: key.alg, publicJwk: key.publicJwk },
        nonce: c_nonce,
        issuedAt: new Date(),
      });
      jwts.push(jwt);
    }
    try {
      const { credentialResponse } = await client.retrieveCredentials({
        issuerMetadata,
        credentialConfigurationId,
        proofs: { jwt: jwts },
        accessToken: accessTokenResponse.access_token,
      });
      results[credentialConfigurationId] = {
        credentials: credentialResponse.credentials.map((entry) => entry.credential),
        keys,
      };
    } catch (error) {
      results[credentialConfigurationId] = {
        error: error.message,
        response: error.responseText ?? error.response?.credentialErrorResponseResult?.data ?? null,
      };
    }
  }
  process.stdout.write(
    JSON.stringify({
      credential_issuer: credentialOffer.credential_issuer,
      version: issuerMetadata.originalDraftVersion,
      token_type: accessTokenResponse.token_type,
      results,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
