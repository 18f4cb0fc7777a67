// Independent decoding of an IETF Token Status List (statuslist+jwt) with @sd-jwt/jwt-status-list;
// the JWT signature is checked with panva/jose when a key is given.
//
// stdin:  {"jwt": "<statuslist+jwt>", "issuer_jwk": optional {...}, "alg": optional "EdDSA"|"ES256"}
// stdout: {"bits": n, "length": n, "set": {"<index>": value, ...} for every non-zero entry,
//          "header", "payload" (status_list.lst left out), "signature": "ok" | "bad" | "unchecked",
//          "error"?}
import { getListFromStatusListJWT } from "@sd-jwt/jwt-status-list";
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK } from "jose";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const output = {};
try {
  output.header = decodeProtectedHeader(input.jwt);
  const payload = decodeJwt(input.jwt);
  output.payload = { ...payload, status_list: { ...payload.status_list, lst: undefined } };
  output.signature = "unchecked";
  if (input.issuer_jwk) {
    const alg = input.alg ?? output.header.alg;
    try {
      await compactVerify(input.jwt, await importJWK(input.issuer_jwk, alg), {
        algorithms: [alg],
        typ: "statuslist+jwt",
      });
      output.signature = "ok";
    } catch (error) {
      output.signature = "bad";
      output.signature_error = String(error?.code ?? error?.message ?? error);
    }
  }
  const list = getListFromStatusListJWT(input.jwt);
  const values = list.statusList;
  output.bits = list.getBitsPerStatus();
  output.length = values.length;
  output.set = {};
  values.forEach((value, index) => {
    if (value !== 0) output.set[index] = value;
  });
} catch (error) {
  output.error = String(error?.message ?? error);
}
process.stdout.write(JSON.stringify(output));
