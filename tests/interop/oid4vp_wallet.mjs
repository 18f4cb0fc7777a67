// A wallet built on @openid4vc/openid4vp's Openid4vpClient (OpenID4VP 1.0): it resolves a signed
// request object by reference, verifies it with the verifier's did:web key, evaluates the DCQL query
// with the `dcql` library (the DCQL implementation of the same openid4vc family; @openid4vc/openid4vp
// only passes dcql_query through), presents an SD-JWT VC with only the needed disclosures and a
// KB-JWT (@sd-jwt/sd-jwt-vc, signatures by panva/jose), and answers with direct_post.
//
// stdin:  {"request_link": "openid4vp://?client_id=...&request_uri=...",
//          "sd_jwt": "<issuer JWT>~<all disclosures>~", "holder_jwk_private": {JWK with d},
//          "alg": "ES256" | "EdDSA",
//          "disclose": optional [claim ids the volunteer agrees to show]: the first claim_set of the
//                      query made only of these ids is presented (default: the first satisfiable set),
//          "now": optional epoch seconds for the KB-JWT iat (the service's test clock),
//          "kb_overrides": optional {"aud": ..., "nonce": ...} replacing the correct KB-JWT values
//                          (negative tests only), "submit": optional bool (default true)}
// stdout: {"link", "request", "request_header", "client", "version", "did", "dcql_query",
//          "dcql_result", "chosen_claim_set", "presentation", "kb", "presented_claims",
//          "dcql_presentation_result", "response_payload", "response_check",
//          "submitted": {"status", "content_type", "body"}, "errors": [{step, ...}], "trace": [http log]}
//
// The service under test runs on plain http://127.0.0.1:<port>. The library only accepts https URLs
// unless its global config says otherwise, hence setGlobalConfig({allowInsecureUrls: true}); and
// did:web always means https, but this wallet resolves did:web:127.0.0.1%3A<port> (and localhost)
// over http, because that is where the test server listens. Nothing else is relaxed.
import { Openid4vpClient, parseDcqlVpToken, validateOpenid4vpAuthorizationResponsePayload } from "@openid4vc/openid4vp";
import { HashAlgorithm, setGlobalConfig } from "@openid4vc/oauth2";
import { DcqlPresentationResult, DcqlQuery } from "dcql";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { digest, generateSalt } from "@sd-jwt/crypto-nodejs";
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";
import { createHash } from "node:crypto";

setGlobalConfig({ allowInsecureUrls: true });

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const alg = input.alg ?? "ES256";
const b64json = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));

const output = { link: input.request_link, errors: [], trace: [] };

function headerOf(headers, name) {
  if (!headers) return undefined;
  if (typeof headers.get === "function") return headers.get(name) ?? undefined;
  const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === name);
  return entry?.[1];
}

const tracingFetch = async (url, init) => {
  const response = await fetch(url, init);
  output.trace.push({
    method: init?.method ?? "GET",
    url: String(url),
    accept: headerOf(init?.headers, "accept"),
    request_content_type: headerOf(init?.headers, "content-type"),
    request_body: typeof init?.body === "string" ? init.body : undefined,
    status: response.status,
    content_type: response.headers.get("content-type"),
    cache_control: response.headers.get("cache-control"),
  });
  return response;
};

// ---- did:web resolution (DID method did:web: https://<host>[/<path>]/did.json; http for 127.0.0.1)
async function resolveDidWeb(did) {
  if (!did.startsWith("did:web:")) throw new Error(`only did:web is resolvable by this wallet, got ${did}`);
  const [hostPart, ...pathParts] = did.slice("did:web:".length).split(":");
  const host = decodeURIComponent(hostPart);
  const local = /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host);
  const scheme = local ? "http" : "https"; // did:web requires https; http only for the local test server
  const path = pathParts.length ? `/${pathParts.map(decodeURIComponent).join("/")}/did.json` : "/.well-known/did.json";
  const url = `${scheme}://${host}${path}`;
  const response = await tracingFetch(url, { method: "GET", headers: { Accept: "application/did+json, application/json" } });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  const document = await response.json();
  if (document.id !== did) throw new Error(`DID document at ${url} has id ${document.id}, not ${did}`);
  return { url, document };
}

function relationships(document, vmId, did) {
  const names = ["authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation", "keyAgreement"];
  return names.filter((name) =>
    (document[name] ?? []).some((ref) => {
      const id = typeof ref === "string" ? ref : ref?.id;
      return id === vmId || (id?.startsWith("#") && `${did}${id}` === vmId);
    }),
  );
}

// The library hands us the signer it derived from the request object (method "did", didUrl = kid);
// we resolve the DID and verify the compact JWS with jose.
async function verifyJwt(signer, { header, compact }) {
  if (signer.method !== "did") throw new Error(`this wallet verifies did-signed request objects only, got ${signer.method}`);
  const [did, fragment] = signer.didUrl.split("#");
  if (!fragment) throw new Error(`kid ${signer.didUrl} names no key (no #fragment)`);
  const { url, document } = await resolveDidWeb(did);
  const absolute = `${did}#${fragment}`;
  const method = (document.verificationMethod ?? []).find((vm) => vm.id === absolute || vm.id === `#${fragment}`);
  if (!method) throw new Error(`no verificationMethod ${absolute} in ${url}`);
  if (!method.publicKeyJwk) throw new Error(`verificationMethod ${absolute} has no publicKeyJwk`);
  if (!["ES256", "EdDSA"].includes(header.alg)) throw new Error(`request object alg ${header.alg} is not ES256/EdDSA`);
  await compactVerify(compact, await importJWK(method.publicKeyJwk, header.alg), { algorithms: [header.alg] });
  output.did = {
    url,
    id: document.id,
    verification_method: method.id,
    type: method.type,
    relationships: relationships(document, absolute, did),
    public_jwk: method.publicKeyJwk,
  };
  return { verified: true, signerJwk: method.publicKeyJwk };
}

const hashNames = { [HashAlgorithm.Sha256]: "sha256", [HashAlgorithm.Sha384]: "sha384", [HashAlgorithm.Sha512]: "sha512" };

const client = new Openid4vpClient({
  callbacks: {
    fetch: tracingFetch,
    hash: (data, hashAlg) => new Uint8Array(createHash(hashNames[hashAlg]).update(data).digest()),
    verifyJwt,
    decryptJwe: async () => {
      throw new Error("encrypted request objects are not expected");
    },
    encryptJwe: async () => {
      throw new Error("this wallet answers with direct_post, not direct_post.jwt");
    },
    signJwt: async () => {
      throw new Error("this wallet signs nothing through the openid4vp library");
    },
  },
});

function describe(error) {
  const out = { name: error?.name, message: String(error?.message ?? error) };
  for (const key of ["errorResponse", "error", "error_description", "internalMessage"]) {
    if (error?.[key] !== undefined && typeof error[key] !== "function") out[key] = error[key];
  }
  if (error?.details) out.details = error.details;
  if (error?.cause) out.cause = String(error.cause?.message ?? error.cause);
  return out;
}

async function step(name, fn) {
  try {
    return await fn();
  } catch (error) {
    output.errors.push({ step: name, ...describe(error) });
    return undefined;
  }
}

// ---- SD-JWT helpers
async function rawSign(signingInput, key) {
  const algorithm = alg === "EdDSA" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" };
  const signature = await globalThis.crypto.subtle.sign(algorithm, key, new TextEncoder().encode(signingInput));
  return Buffer.from(signature).toString("base64url");
}

const holderKey = await importJWK(input.holder_jwk_private, alg);
const sdjwt = new SDJwtVcInstance({
  hasher: digest,
  saltGenerator: generateSalt,
  kbSigner: (signingInput) => rawSign(signingInput, holderKey),
  kbSignAlg: alg,
});

// Everything under a claim value: objects and arrays frame all their members.
function fullFrame(value) {
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, i) => [String(i), fullFrame(item)]));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fullFrame(v)]));
  return true;
}

// Merge the frame for one DCQL claims path (strings, indices, null = every element) into `frame`.
function addPath(frame, claims, path) {
  if (path.length === 0) return;
  const [head, ...rest] = path;
  const keys = head === null ? (Array.isArray(claims) ? claims.map((_, i) => i) : []) : [head];
  for (const key of keys) {
    const value = claims?.[key];
    if (value === undefined) continue;
    const name = String(key);
    if (rest.length === 0) {
      frame[name] = mergeFrames(frame[name], fullFrame(value));
    } else {
      if (typeof frame[name] !== "object") frame[name] = {};
      addPath(frame[name], value, rest);
    }
  }
}

function mergeFrames(a, b) {
  if (a === undefined || a === true) return b === undefined ? a : b;
  if (b === true || b === undefined) return a;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = mergeFrames(out[k], v);
  return out;
}

async function main() {
  // 1. The link, then the signed request object by reference, verified with the verifier's DID key.
  const parsed = await step("parse_link", () => client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: input.request_link }));
  if (!parsed) return;
  output.link_params = parsed.params;
  output.link_type = parsed.type;
  const resolved = await step("resolve_request", () =>
    client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params }),
  );
  if (!resolved) return;
  const request = resolved.authorizationRequestPayload;
  output.request = request;
  output.request_header = resolved.jar?.jwt?.header;
  output.request_sent_by = resolved.jar?.sendBy;
  output.version = resolved.version;
  output.client = {
    prefix: resolved.client.prefix,
    identifier: resolved.client.identifier,
    effective: resolved.client.effective,
    did_url: resolved.client.didUrl,
  };
  if (!resolved.dcql) {
    output.errors.push({ step: "dcql", message: "the request has no dcql_query" });
    return;
  }

  // 2. DCQL: parse and validate the query, match it against the credential's claims.
  const query = await step("dcql_parse", () => {
    const q = DcqlQuery.parse(resolved.dcql.query);
    DcqlQuery.validate(q);
    return q;
  });
  if (!query) return;
  output.dcql_query = query;
  if (query.credentials.length !== 1) {
    output.errors.push({ step: "dcql", message: `expected one credential query, got ${query.credentials.length}` });
    return;
  }
  const credentialQuery = query.credentials[0];
  const claims = await step("decode_credential", () => sdjwt.getClaims(input.sd_jwt));
  if (!claims) return;
  const credential = { credential_format: "dc+sd-jwt", vct: claims.vct, claims, cryptographic_holder_binding: true };
  const result = await step("dcql_query", () => DcqlQuery.query(query, [credential]));
  if (!result) return;
  const match = result.credential_matches[credentialQuery.id];
  const validSets = match?.success ? (match.valid_credentials[0]?.claims?.valid_claim_sets ?? []) : [];
  output.dcql_result = {
    can_be_satisfied: result.can_be_satisfied,
    credential_query_id: credentialQuery.id,
    valid_claim_set_indexes: validSets.map((s) => s.claim_set_index),
    failed: match?.success ? undefined : match,
  };
  if (!result.can_be_satisfied || validSets.length === 0) {
    output.errors.push({ step: "dcql_query", message: "the credential cannot satisfy the query" });
    return;
  }

  // 3. The claim set to present: the first (= the verifier's preferred) one the volunteer agrees to.
  const allow = input.disclose ? new Set(input.disclose) : undefined;
  const claimIds = (set) => (set.claim_set_index === undefined ? credentialQuery.claims.map((c) => c.id) : credentialQuery.claim_sets[set.claim_set_index]);
  const chosen = validSets.find((set) => !allow || claimIds(set).every((id) => allow.has(id)));
  if (!chosen) {
    output.errors.push({ step: "choose_claim_set", message: `no claim_set uses only ${[...(allow ?? [])].join(", ")}` });
    return;
  }
  const chosenIds = claimIds(chosen);
  output.chosen_claim_set = { index: chosen.claim_set_index, claim_ids: chosenIds };
  const frame = {};
  for (const id of chosenIds) {
    const claimQuery = credentialQuery.claims.find((c) => c.id === id);
    addPath(frame, claims, claimQuery.path);
  }
  output.presentation_frame = frame;

  // 4. The presentation: the issuer JWT, the disclosures of the frame, a KB-JWT for this verifier.
  const kbPayload = {
    iat: input.now ?? Math.floor(Date.now() / 1000),
    aud: output.client.effective, // the Client Identifier, prefix included (OpenID4VP 1.0 B.3.6)
    nonce: request.nonce,
    ...(input.kb_overrides ?? {}),
  };
  const presentation = await step("present", () => sdjwt.present(input.sd_jwt, frame, { kb: { payload: kbPayload } }));
  if (!presentation) return;
  output.presentation = presentation;
  const kbJwt = presentation.split("~").at(-1);
  output.kb = { header: decodeProtectedHeader(kbJwt), payload: b64json(kbJwt.split(".")[1]) };
  const presented = await step("presented_claims", () => sdjwt.getClaims(presentation));
  output.presented_claims = presented;
  output.disclosure_count = presentation.split("~").length - 2;
  output.disclosure_count_all = input.sd_jwt.split("~").length - 2;

  // The wallet's own check that what it sends still satisfies the query.
  output.dcql_presentation_result = await step("dcql_presentation_result", () => {
    const pr = DcqlPresentationResult.fromDcqlPresentation(
      { [credentialQuery.id]: [{ ...credential, claims: presented }] },
      { dcqlQuery: query },
    );
    const match = pr.credential_matches[credentialQuery.id];
    return {
      can_be_satisfied: pr.can_be_satisfied,
      valid_claim_set_indexes: match?.success ? match.valid_credentials[0].claims.valid_claim_sets.map((s) => s.claim_set_index) : [],
    };
  });

  // 5. The authorization response, created and submitted by the library (direct_post).
  const created = await step("create_response", () =>
    client.createOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request,
      authorizationResponsePayload: { vp_token: { [credentialQuery.id]: [presentation] } },
    }),
  );
  if (!created) return;
  output.response_payload = created.authorizationResponsePayload;
  output.response_check = await step("validate_response", () => {
    const checked = validateOpenid4vpAuthorizationResponsePayload({
      authorizationRequestPayload: request,
      authorizationResponsePayload: created.authorizationResponsePayload,
    });
    return { type: checked.type, presentation_ids: Object.keys(parseDcqlVpToken(created.authorizationResponsePayload.vp_token)) };
  });
  if (input.submit === false) return;
  const submitted = await step("submit_response", () =>
    client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request,
      authorizationResponsePayload: created.authorizationResponsePayload,
    }),
  );
  if (!submitted) return;
  const text = await submitted.response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  output.submitted = {
    response_mode: submitted.responseMode,
    status: submitted.response.status,
    content_type: submitted.response.headers.get("content-type"),
    body,
  };
}

await main();
process.stdout.write(JSON.stringify(output));
