// Independent verification of skills-vc outputs with panva/jose and Node's own zlib.
// stdin: {"tokens": [{"name", "jwt", "jwk", "alg"}], "lists": [{"name", "encodedList"}]}
// stdout: {"tokens": [{"name", "ok", "header", "payload" | "error"}], "lists": [{"name", "length", "set"}]}
import { compactVerify, importJWK } from "jose";
import { gunzipSync } from "node:zlib";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const tokens = [];
for (const item of input.tokens ?? []) {
  try {
    const key = await importJWK(item.jwk, item.alg);
    const { payload, protectedHeader } = await compactVerify(item.jwt, key, { algorithms: [item.alg] });
    tokens.push({ name: item.name, ok: true, header: protectedHeader, payload: JSON.parse(new TextDecoder().decode(payload)) });
  } catch (error) {
    tokens.push({ name: item.name, ok: false, error: String(error.code ?? error.message) });
  }
}

const lists = [];
for (const item of input.lists ?? []) {
  if (!item.encodedList.startsWith("u")) throw new Error("not multibase base64url");
  const bits = gunzipSync(Buffer.from(item.encodedList.slice(1), "base64url"));
  const set = [];
  for (let i = 0; i < bits.length * 8; i++) {
    if (bits[i >> 3] & (0x80 >> (i & 7))) set.push(i);
  }
  lists.push({ name: item.name, length: bits.length * 8, set });
}

process.stdout.write(JSON.stringify({ tokens, lists }));
