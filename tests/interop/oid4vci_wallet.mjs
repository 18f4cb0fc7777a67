// A wallet built on @openid4vc/openid4vci's Openid4vciClient (OpenID4VCI 1.0, pre-authorized code
// flow with a transaction code), signing its proofs with panva/jose through the library's callbacks.
//
// stdin:  {"offer_uri": "openid-credential-offer://?credential_offer_uri=...", "tx_code": "123456",
//          "holder_jwk_private": {JWK with d}, "alg": "EdDSA" | "ES256", "configurations": [ids],
//          "now": optional epoch seconds for the proof's iat (the service's test clock)}
// stdout: {"offer", "issuer_metadata", "draft_version", "authorization_servers",
//          "known_configurations", "token", "nonces", "proofs", "credentials": {id: credential},
//          "responses": {id: full credential response}, "errors": [{step, ...}], "trace": [http log]}
//
// The service under test runs on plain http://127.0.0.1:<port>; the library only accepts https URLs
// unless its global config says otherwise, hence setGlobalConfig({allowInsecureUrls: true}).
import { Openid4vciClient, setGlobalConfig } from "@openid4vc/openid4vci";
import { HashAlgorithm, clientAuthenticationAnonymous } from "@openid4vc/oauth2";
import { CompactSign, exportJWK, importJWK } from "jose";
import { createHash, createPublicKey, randomBytes } from "node:crypto";

setGlobalConfig({ allowInsecureUrls: true });

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const alg = input.alg ?? "EdDSA";
const privateKey = await importJWK(input.holder_jwk_private, alg);
// The public half as jose exports it (OKP: kty, crv, x; EC: kty, crv, x, y), nothing else.
const publicJwk = await exportJWK(createPublicKey({ key: input.holder_jwk_private, format: "jwk" }));

const trace = [];
const tracingFetch = async (url, init) => {
  const response = await fetch(url, init);
  trace.push({
    method: init?.method ?? "GET",
    url: String(url),
    request_content_type: headerOf(init?.headers, "content-type"),
    request_body: typeof init?.body === "string" ? init.body : undefined,
    status: response.status,
    content_type: response.headers.get("content-type"),
    cache_control: response.headers.get("cache-control"),
  });
  return response;
};

function headerOf(headers, name) {
  if (!headers) return undefined;
  if (typeof headers.get === "function") return headers.get(name) ?? undefined;
  const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === name);
  return entry?.[1];
}

const hashNames = { [HashAlgorithm.Sha256]: "sha256", [HashAlgorithm.Sha384]: "sha384", [HashAlgorithm.Sha512]: "sha512" };

const client = new Openid4vciClient({
  callbacks: {
    fetch: tracingFetch,
    hash: (data, hashAlg) => new Uint8Array(createHash(hashNames[hashAlg]).update(data).digest()),
    generateRandom: (length) => new Uint8Array(randomBytes(length)),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, { header, payload }) => {
      if (signer.method !== "jwk") throw new Error(`this wallet signs with a jwk signer only, got ${signer.method}`);
      const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(header)
        .sign(privateKey);
      return { jwt, signerJwk: signer.publicJwk };
    },
  },
});

function describe(error) {
  const out = { name: error?.name, message: String(error?.message ?? error) };
  for (const key of ["errorResponse", "textResponse", "responseText"]) {
    if (error?.[key] !== undefined) out[key] = error[key];
  }
  if (error?.zodError) out.zod = error.zodError.issues ?? String(error.zodError);
  if (error?.response && typeof error.response === "object") {
    const r = error.response;
    if (r.response?.status !== undefined) out.status = r.response.status;
    if (r.status !== undefined && typeof r.status === "number") out.status = r.status;
    if (r.credentialErrorResponseResult?.data) out.credential_error = r.credentialErrorResponseResult.data;
    if (r.credentialResponseResult?.error) out.credential_response_issues = r.credentialResponseResult.error.issues;
  }
  if (error?.cause) out.cause = String(error.cause?.message ?? error.cause);
  return out;
}

const output = { credentials: {}, responses: {}, nonces: [], proofs: {}, errors: [], trace };

async function step(name, fn) {
  try {
    return await fn();
  } catch (error) {
    output.errors.push({ step: name, ...describe(error) });
    return undefined;
  }
}

async function main() {
  const offer = await step("resolve_offer", () => client.resolveCredentialOffer(input.offer_uri));
  if (!offer) return;
  output.offer = offer;

  const issuerMetadata = await step("issuer_metadata", () => client.resolveIssuerMetadata(offer.credential_issuer));
  if (!issuerMetadata) return;
  output.issuer_metadata = issuerMetadata.credentialIssuer;
  output.draft_version = issuerMetadata.originalDraftVersion;
  output.authorization_servers = issuerMetadata.authorizationServers;
  output.known_configurations = Object.keys(issuerMetadata.knownCredentialConfigurations);

  const token = await step("token", () =>
    client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer,
      issuerMetadata,
      txCode: input.tx_code,
    }),
  );
  if (!token) return;
  output.token = { authorization_server: token.authorizationServer, ...token.accessTokenResponse };

  const wanted = input.configurations ?? offer.credential_configuration_ids;
  for (const configurationId of wanted) {
    const nonce = await step(`nonce:${configurationId}`, () => client.requestNonce({ issuerMetadata }));
    if (!nonce) continue;
    output.nonces.push(nonce);
    const proof = await step(`proof:${configurationId}`, () =>
      client.createCredentialRequestJwtProof({
        issuerMetadata,
        credentialConfigurationId: configurationId,
        signer: { method: "jwk", publicJwk, alg },
        nonce: nonce.c_nonce,
        issuedAt: input.now ? new Date(input.now * 1000) : undefined,
      }),
    );
    if (!proof) continue;
    output.proofs[configurationId] = proof.jwt;
    const result = await step(`credential:${configurationId}`, () =>
      client.retrieveCredentials({
        issuerMetadata,
        accessToken: token.accessTokenResponse.access_token,
        credentialConfigurationId: configurationId,
        proofs: { jwt: [proof.jwt] },
      }),
    );
    if (!result) continue;
    const response = result.credentialResponse;
    output.responses[configurationId] = response;
    const first = response.credentials?.[0];
    const credential = first && typeof first === "object" && "credential" in first ? first.credential : (first ?? response.credential);
    output.credentials[configurationId] = credential;
  }
}

await main();
process.stdout.write(JSON.stringify(output));
