// The OpenID-certified `oidc-provider`, configured for one Aktørskab client, for the
// interoperability test in tests/auth/test_node_provider.py. Configuration comes from the
// environment so that the test decides ports, URIs and accounts:
//   PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI,
//   ACCOUNTS (JSON: {"subject": {"name": ..., "email": ..., "unit": ..., "groups": [...]}})
//   KEYS (optional, JSON: private JWKs; the first signs, all are published)
// For the key refresh tests (tests/auth/test_oidc_key_refresh.py) the test may override
// what /jwks and discovery answer: POST /__test/publish with {"jwks": {...}} (published
// instead of the signing keys), {"status": 500} (both answer that status) or {} (back to
// normal); GET /__test/stats counts the /jwks requests.
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');

function generatedKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'interop-1', use: 'sig', alg: 'RS256' };
}
const keys = process.env.KEYS ? JSON.parse(process.env.KEYS) : [generatedKey()];

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    post_logout_redirect_uris: [process.env.POST_LOGOUT_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys },
  cookies: { keys: ['aktorskab-interop-test'] },
  // The municipality's claims: the org unit and the groups that carry roles.
  claims: {
    openid: ['sub'],
    profile: ['name', 'locale'],
    email: ['email', 'email_verified'],
    aktorskab: ['unit', 'groups'],
  },
  scopes: ['openid', 'profile', 'email', 'aktorskab'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, sub) {
    if (!Object.hasOwn(accounts, sub)) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) };
  },
});
provider.proxy = false;

let published = {};
let jwksRequests = 0;
provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/publish' && ctx.method === 'POST') {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    published = JSON.parse(Buffer.concat(chunks).toString() || '{}');
    ctx.status = 204;
    return;
  }
  if (ctx.path === '/__test/stats') {
    ctx.body = { jwks_requests: jwksRequests };
    return;
  }
  const discovery = ctx.path === '/.well-known/openid-configuration';
  if (ctx.path === '/jwks') jwksRequests += 1;
  if ((ctx.path === '/jwks' || discovery) && published.status) {
    ctx.status = published.status;
    ctx.body = { error: 'server_error' };
    return;
  }
  if (ctx.path === '/jwks' && published.jwks) {
    ctx.body = published.jwks;
    return;
  }
  await next();
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
