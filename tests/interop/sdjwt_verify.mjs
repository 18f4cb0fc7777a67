// Independent verification of an SD-JWT VC with @sd-jwt/sd-jwt-vc (SDJwtVcInstance); signatures are
// checked with panva/jose, digests with @sd-jwt/crypto-nodejs.
//
// stdin: {"sd_jwt": "<issuer-signed SD-JWT~d1~...~>", "issuer_jwk": {...}, "alg": "EdDSA" | "ES256",
//         "now": optional epoch seconds (time of the check; default: the wall clock),
//         "kb": optional {"holder_jwk_private": {...}, "alg": "EdDSA"|"ES256", "aud": "...", "nonce": "..."},
//         "present": optional presentation frame, e.g. {"volunteer": {"name": true}, "skills": {"0": true}},
//         "fetch_status": bool (default false), "fetch_type_metadata": bool (default false)}
// stdout: {"ok": bool, "header", "payload": disclosed claims, "disclosures": [[salt, name?, value]...],
//          "presentation", "presented_payload", "kb": {header, payload}, "status", "type_metadata",
//          "checks": [names], "error"}
//
// With fetch_status the library itself GETs payload.status.status_list.uri (Accept:
// application/statuslist+jwt), verifies that JWT with the issuer key and rejects a non-zero status.
// With fetch_type_metadata it GETs payload.vct and validates it as SD-JWT VC type metadata. Both
// are off unless asked for (no network otherwise).
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { digest, generateSalt } from "@sd-jwt/crypto-nodejs";
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const b64 = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));

// The library hands verifiers "<header>.<payload>" and the signature; jose checks the compact JWS.
function verifierFor(jwk, alg) {
  return async (data, signature) => {
    try {
      const header = b64(data.split(".")[0]);
      if (header.alg !== alg) return false;
      await compactVerify(`${data}.${signature}`, await importJWK(jwk, alg), { algorithms: [alg] });
      return true;
    } catch {
      return false;
    }
  };
}

// The library hands signers "<header>.<payload>" and wants the base64url signature of exactly that.
function signerFor(privateJwk, alg) {
  return async (signingInput) => rawSign(signingInput, await importJWK(privateJwk, alg), alg);
}

async function rawSign(signingInput, key, alg) {
  const { subtle } = globalThis.crypto;
  const algorithm = alg === "EdDSA" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" };
  const signature = await subtle.sign(algorithm, key, new TextEncoder().encode(signingInput));
  return Buffer.from(signature).toString("base64url");
}

const output = { ok: false, checks: [] };
const options = {};
if (input.now) options.currentDate = input.now;

try {
  const issuerVerifier = verifierFor(input.issuer_jwk, input.alg);
  const holderJwk = input.kb?.holder_jwk_private;
  const holderAlg = input.kb?.alg ?? input.alg;
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    verifier: issuerVerifier,
    statusVerifier: issuerVerifier,
    // The KB-JWT is checked against the key the issuer bound the credential to (cnf.jwk).
    kbVerifier: async (data, signature, payload) => {
      const cnf = payload?.cnf?.jwk;
      if (!cnf) return false;
      return verifierFor(cnf, b64(data.split(".")[0]).alg)(data, signature);
    },
    ...(holderJwk ? { kbSigner: signerFor(holderJwk, holderAlg), kbSignAlg: holderAlg } : {}),
    ...(input.fetch_type_metadata ? { loadTypeMetadataFormat: true } : {}),
  });
  if (!input.fetch_status) {
    // verifyStatus() fetches whenever payload.status.status_list exists; make it a no-op instead.
    sdjwt.verifyStatus = async () => {};
  }

  // 1. The issuer-signed SD-JWT as the wallet received it.
  const [issuerJwt, ...rest] = input.sd_jwt.split("~");
  if (rest.length === 0 || rest[rest.length - 1] !== "") throw new Error("an SD-JWT without KB-JWT must end with '~'");
  output.header = decodeProtectedHeader(issuerJwt);
  if (output.header.typ !== "dc+sd-jwt") throw new Error(`header typ is ${output.header.typ}, not dc+sd-jwt`);
  output.checks.push("typ");

  const verified = await sdjwt.verify(input.sd_jwt, options);
  output.payload = verified.payload;
  output.checks.push("issuer_signature", "disclosures_resolved");
  if (input.fetch_status && verified.payload.status?.status_list) {
    output.status = { fetched: verified.payload.status.status_list.uri, value: 0 };
    output.checks.push("status_list_fetched_and_valid");
  }
  if (verified.typeMetadata) {
    output.type_metadata = verified.typeMetadata.mergedTypeMetadata;
    output.checks.push("type_metadata");
  }

  // 2. Every disclosure is well formed and referenced by exactly one digest of the payload.
  const decoded = await sdjwt.decode(input.sd_jwt);
  const raw = b64(issuerJwt.split(".")[1]);
  if (raw._sd_alg !== "sha-256") throw new Error(`_sd_alg is ${raw._sd_alg}`);
  const referenced = [];
  const collect = (value) => {
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item && typeof item === "object" && !Array.isArray(item) && Object.keys(item).length === 1 && "..." in item) {
          referenced.push(item["..."]);
        } else collect(item);
      }
    } else if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (key === "_sd") referenced.push(...item);
        else collect(item);
      }
    }
  };
  collect(raw);
  output.disclosures = [];
  for (const disclosure of decoded.disclosures) {
    const digestValue = await disclosure.digest({ hasher: digest, alg: "sha-256" });
    const entry = disclosure.key === undefined ? [disclosure.salt, disclosure.value] : [disclosure.salt, disclosure.key, disclosure.value];
    output.disclosures.push(entry);
    collect(disclosure.value); // nested digests inside disclosed values
    const hits = referenced.filter((d) => d === digestValue).length;
    if (hits === 0) throw new Error(`disclosure ${JSON.stringify(entry)} is not referenced by any digest`);
  }
  const all = await Promise.all(decoded.disclosures.map((d) => d.digest({ hasher: digest, alg: "sha-256" })));
  if (new Set(all).size !== all.length) throw new Error("two disclosures have the same digest");
  if (new Set(referenced).size !== referenced.length) throw new Error("a digest appears twice in the payload");
  output.checks.push("every_disclosure_referenced");

  // 3. A presentation with a KB-JWT signed by the holder key, verified again.
  if (input.kb) {
    const frame = input.present ?? undefined;
    const presentation = await sdjwt.present(input.sd_jwt, frame, {
      kb: { payload: { iat: input.now ?? Math.floor(Date.now() / 1000), aud: input.kb.aud, nonce: input.kb.nonce } },
    });
    output.presentation = presentation;
    const keys = await sdjwt.keys(presentation);
    const required = input.required_claim_keys ?? keys.filter((k) => !k.startsWith("_"));
    const again = await sdjwt.verify(presentation, {
      ...options,
      keyBindingNonce: input.kb.nonce,
      requiredClaimKeys: required,
    });
    if (!again.kb) throw new Error("the presentation's KB-JWT was not verified");
    if (again.kb.payload.aud !== input.kb.aud) throw new Error(`KB-JWT aud is ${again.kb.payload.aud}`);
    if (again.kb.header.typ !== "kb+jwt") throw new Error(`KB-JWT typ is ${again.kb.header.typ}`);
    output.presented_payload = again.payload;
    output.kb = { header: again.kb.header, payload: again.kb.payload };
    output.required_claim_keys = required;
    output.checks.push("kb_jwt");

    // A KB-JWT checked against another nonce must fail: the verifier can say no.
    let wrongNonceRejected = false;
    try {
      await sdjwt.verify(presentation, { ...options, keyBindingNonce: `${input.kb.nonce}-other` });
    } catch {
      wrongNonceRejected = true;
    }
    if (!wrongNonceRejected) throw new Error("a wrong KB nonce was accepted");
    output.checks.push("kb_wrong_nonce_rejected");
  }
  output.ok = true;
} catch (error) {
  output.ok = false;
  output.error = String(error?.message ?? error);
  if (error?.details) output.details = error.details;
}

process.stdout.write(JSON.stringify(output));
