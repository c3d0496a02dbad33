// A real OpenID Connect provider (node-oidc-provider) for Tessera's single sign-on tests.
//
// One confidential client whose redirect URI the test gives; PKCE required; the provider's
// own development login page, where any login name is accepted with any password (the
// person's claims come from ACCOUNTS below); consent is given without asking. The signing
// keys are made at start-up, so each run has its own.
//
// Settings from the environment: PORT, REDIRECT_URI, CLIENT_ID, CLIENT_SECRET,
// ID_TOKEN_ALG (RS256, ES256 or EdDSA; RS256 when unset) and ISSUER_HOST (127.0.0.1 when
// unset; "localhost" makes it another site than a server on 127.0.0.1). It listens on
// 127.0.0.1 and prints "ready".
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

// Login names the tests use, and the claims each person has.
const ACCOUNTS = {
  registrar: { email: 'registrar@example.com', email_verified: true, name: 'Li Na' },
  unverified: { email: 'registrar@example.com', email_verified: false, name: 'Not Li Na' },
  stranger: { email: 'stranger@example.com', email_verified: true, name: 'Stranger' },
};

const env = process.env;
const port = Number(env.PORT);
const issuer = `http://${env.ISSUER_HOST || '127.0.0.1'}:${port}`;

function privateJwk(type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `test-${alg}` };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env.CLIENT_ID,
      client_secret: env.CLIENT_SECRET,
      redirect_uris: [env.REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: env.ID_TOKEN_ALG || 'RS256',
    },
  ],
  jwks: {
    keys: [
      privateJwk('rsa', { modulusLength: 2048 }, 'RS256'),
      privateJwk('ec', { namedCurve: 'P-256' }, 'ES256'),
      privateJwk('ed25519', {}, 'EdDSA'),
    ],
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...(ACCOUNTS[id] || {}) };
      },
    };
  },
  // Consent is not part of what the tests look at: the client gets what it asks for.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log('ready');
});
