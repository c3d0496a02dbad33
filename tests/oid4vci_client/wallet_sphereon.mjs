// A second, independent wallet library for Tessera's OpenID4VCI tests: Sphereon's
// @sphereon/oid4vci-client (pinned in package.json; it speaks draft 15, sending a single
// `proof`). Same input and output as wallet.mjs, one credential per configuration.

import crypto from "node:crypto";
import { OpenID4VCIClientV1_0_15 as OpenID4VCIClient } from "@sphereon/oid4vci-client";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function main() {
  const input = await readStdin();
  const client = await OpenID4VCIClient.fromURI({
    uri: input.offer,
    retrieveServerMetadata: true,
    resolveOfferUri: true,
  });
  await client.acquireAccessToken({ pin: input.tx_code });
  const results = {};
  for (const credentialConfigurationId of client.credentialOffer.credential_offer.credential_configuration_ids) {
    const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const publicJwk = publicKey.export({ format: "jwk" });
    const signCallback = async ({ header, payload }) => {
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
      const signature = crypto.sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" });
      return `${input}.${b64url(signature)}`;
    };
    try {
      // A fresh c_nonce for each request: the client would reuse the last one (draft-era
      // wallets took the next nonce from the credential response), and Tessera's are
      // single-use.
      await client.acquireNonce();
      const response = await client.acquireCredentials({
        credentialConfigurationId,
        proofCallbacks: { signCallback },
        alg: "ES256",
        jwk: publicJwk,
      });
      const credentials = response.credentials
        ? response.credentials.map((entry) => entry.credential)
        : [response.credential];
      results[credentialConfigurationId] = { credentials, keys: [publicJwk] };
    } catch (error) {
      results[credentialConfigurationId] = { error: error.message };
    }
  }
  process.stdout.write(JSON.stringify({ credential_issuer: client.getIssuer(), results }));
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
