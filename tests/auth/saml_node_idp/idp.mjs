// A SAML 2.0 identity provider built on samlify (not the SP's library), for the
// interoperability test in tests/auth/test_saml_node_idp.py. Configuration from the environment:
//   SAML_IDP_PORT (or PORT), IDP_KEY, IDP_CERT (PEM file paths; re-read on POST /rotate),
//   SP_METADATA (a file path, or the SP's metadata URL, read at each request),
//   ACCOUNTS (JSON: {"nameid": {"attribute name": ["value", ...]}}) or ACCOUNTS_FILE,
//   ENCRYPT ("1": encrypt assertions for the SP's encryption certificate).
// `make run` starts it for the SAML demo tenant (web/demo/saml.py); a person picks an
// account on its page, like the OIDC dev provider's.
// GET /metadata, GET /idp-initiated?user=NAMEID, GET /sso?SAMLRequest&SigAlg&Signature&user=NAMEID (the user "chooses" an
// account; answers the auto-submitting POST form), GET /slo (LogoutRequest → LogoutResponse).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

import * as samlifyModule from 'samlify';
import * as validator from '@authenio/samlify-node-xmllint';

const samlify = samlifyModule.default ?? samlifyModule;
samlify.setSchemaValidator(validator.default ?? validator);

const port = Number(process.env.SAML_IDP_PORT || process.env.PORT);
const base = process.env.IDP_BASE || `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.ACCOUNTS_FILE
  ? readFileSync(process.env.ACCOUNTS_FILE, 'utf8') : (process.env.ACCOUNTS || '{}'));
const LOA = 'https://data.gov.dk/concept/core/nsis/loa/Substantial';
let idp;
let spMetadata = null;
async function loadSp() {
  const source = process.env.SP_METADATA;
  spMetadata = source.startsWith('http') ? await (await fetch(source)).text() : readFileSync(source);
}
const sp = () => samlify.ServiceProvider({ metadata: spMetadata });
const pending = new Map(); // token → a verified AuthnRequest, while the person picks an account

function buildIdp() {
  idp = samlify.IdentityProvider({
    entityID: `${base}/metadata`,
    privateKey: readFileSync(process.env.IDP_KEY),
    signingCert: readFileSync(process.env.IDP_CERT),
    wantAuthnRequestsSigned: true,
    isAssertionEncrypted: process.env.ENCRYPT === '1',
    dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
    keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
    requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: `${base}/sso` }],
    singleLogoutService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: `${base}/slo` }],
  });
}
buildIdp();

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function attributeStatement(attributes) {
  const all = { ...attributes, 'https://data.gov.dk/model/core/eid/loa': ['Substantial'] };
  const parts = Object.entries(all).map(([name, values]) =>
    `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">`
    + values.map((v) => `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`).join('')
    + '</saml:Attribute>');
  return `<saml:AttributeStatement>${parts.join('')}</saml:AttributeStatement>`;
}

async function loginResponse(url, res, solicited = true) {
  const query = Object.fromEntries(url.searchParams);
  // IdP-initiated (GET /idp-initiated?user=...): a response to no request at all.
  let request = { extract: { request: { id: '' } } };
  if (query.token && pending.has(query.token)) {
    request = pending.get(query.token);
    pending.delete(query.token);
  } else if (solicited) {
    request = await idp.parseLoginRequest(sp(), 'redirect', { query, octetString: octet(url) });
  }
  const nameId = query.user;
  if (solicited && nameId === undefined) { chooser(request, res); return; }
  if (!Object.hasOwn(accounts, nameId)) { res.writeHead(403).end('unknown user'); return; }
  const target = sp();
  const now = new Date();
  const later = new Date(now.getTime() + 5 * 60 * 1000);
  const acs = target.entityMeta.getAssertionConsumerService('post');
  const id = `_${randomUUID()}`;
  const values = {
    ID: id, AssertionID: `_${randomUUID()}`, Destination: acs, Audience: target.entityMeta.getEntityID(),
    SubjectRecipient: acs, Issuer: idp.entityMeta.getEntityID(), IssueInstant: now.toISOString(),
    StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success', ConditionsNotBefore: now.toISOString(),
    ConditionsNotOnOrAfter: later.toISOString(), SubjectConfirmationDataNotOnOrAfter: later.toISOString(),
    NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', NameID: nameId,
    InResponseTo: request.extract.request.id,
    AuthnStatement: `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${id}"><saml:AuthnContext><saml:AuthnContextClassRef>${LOA}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
    AttributeStatement: attributeStatement(accounts[nameId]),
  };
  // The two statements are XML already; every other value is text (samlify's own
  // replaceTagsByValue escapes everything).
  const raw = new Set(['AuthnStatement', 'AttributeStatement']);
  const replace = (template) => ({
    id,
    context: template.replace(/\{(\w+)\}/g, (_, key) => (raw.has(key) ? values[key] : esc(values[key] ?? ''))),
  });
  const { context, entityEndpoint } = await idp.createLoginResponse(target, request, 'post', { email: nameId }, replace);
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(
    `<!doctype html><html><body><form id="saml" method="post" action="${esc(entityEndpoint)}">`
    + `<input type="hidden" name="SAMLResponse" value="${esc(context)}">`
    + '<button type="submit">Continue</button></form>'
    + '<script>document.getElementById("saml").submit()</script></body></html>');
}

function chooser(request, res) {
  const token = randomUUID();
  pending.set(token, request);
  const buttons = Object.entries(accounts).map(([id, attrs]) =>
    `<li><button type="submit" name="user" value="${esc(id)}">${esc((attrs['https://data.gov.dk/model/core/eid/fullName'] || [id])[0])}</button></li>`);
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(
    '<!doctype html><html lang="en"><head><title>samlify demo IdP</title></head><body>'
    + '<h1>samlify demo IdP: log in as</h1><form method="get" action="/sso">'
    + `<input type="hidden" name="token" value="${token}"><ul>${buttons.join('')}</ul></form></body></html>`);
}

// The HTTP-Redirect signature covers the query exactly as sent (saml-bindings 3.4.4.1).
function octet(url) {
  const raw = Object.fromEntries(url.search.slice(1).split('&').map((p) => p.split('=')));
  return ['SAMLRequest', 'RelayState', 'SigAlg'].filter((k) => k in raw).map((k) => `${k}=${raw[k]}`).join('&');
}

async function logout(url, res) {
  const query = Object.fromEntries(url.searchParams);
  const request = await idp.parseLogoutRequest(sp(), 'redirect', { query, octetString: octet(url) });
  const { context } = idp.createLogoutResponse(sp(), request, 'redirect', '', undefined);
  res.writeHead(302, { Location: context }).end();
}

createServer(async (req, res) => {
  const url = new URL(req.url, base);
  try {
    if (url.pathname !== '/metadata') await loadSp();
    if (url.pathname === '/metadata') {
      res.writeHead(200, { 'Content-Type': 'application/samlmetadata+xml' }).end(idp.getMetadata());
    } else if (url.pathname === '/sso') {
      await loginResponse(url, res);
    } else if (url.pathname === '/idp-initiated') {
      await loginResponse(url, res, false);
    } else if (url.pathname === '/slo') {
      await logout(url, res);
    } else if (url.pathname === '/rotate' && req.method === 'POST') {
      buildIdp();
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  } catch (error) {
    console.error(error);
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`refused: ${error.message ?? error}`);
  }
}).listen(port, '127.0.0.1', () => console.log(`samlify IdP on ${base}`));
