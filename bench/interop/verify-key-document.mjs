#!/usr/bin/env node
// Checks a Matrix server key document (GET /_matrix/key/v2/server) with code that shares nothing
// with Vestibule: matrix-org's canonical JSON for JS (another-json) and tweetnacl's ed25519.
//
//   node verify-key-document.mjs [URL]                    default http://localhost:8008/_matrix/key/v2/server
//   node verify-key-document.mjs --file F.json --pointer P P: a top-level key, or a JSON Pointer such as /a/0/b
//
// Rule checked (spec server-server §Retrieving server keys, as Synapse enforces it): the document
// carries a valid signature of `server_name` by every key in `verify_keys`, over the canonical
// JSON of the document without `signatures` and `unsigned`.
// Prints one line per key and OK or FAIL; exits 0 on OK, 1 on FAIL, 2 on a usage or fetch error.
import { readFile } from 'node:fs/promises';
import anotherJson from 'another-json';
import nacl from 'tweetnacl';

const DEFAULT_URL = 'http://localhost:8008/_matrix/key/v2/server';

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error('usage: verify-key-document.mjs [URL] | --file <json> --pointer <key or /json/pointer>');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { url: null, file: null, pointer: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--file') opts.file = argv[++i] ?? usage('--file needs a path');
    else if (a === '--pointer') opts.pointer = argv[++i] ?? usage('--pointer needs a key');
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (opts.url) usage('only one URL');
    else opts.url = a;
  }
  if (opts.file && opts.url) usage('give a URL or --file, not both');
  if (opts.pointer && !opts.file) usage('--pointer goes with --file');
  return opts;
}

// RFC 6901 JSON Pointer, or a plain top-level key when it doesn't start with '/'.
function resolvePointer(root, pointer) {
  if (pointer == null || pointer === '') return root;
  const tokens = pointer.startsWith('/')
    ? pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    : [pointer];
  let node = root;
  for (const t of tokens) {
    if (node === null || typeof node !== 'object' || !(t in node)) {
      throw new Error(`pointer ${pointer}: no member "${t}"`);
    }
    node = node[t];
  }
  return node;
}

// Unpadded (or padded) standard base64, strictly: Buffer.from would skip junk characters.
function decodeBase64(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) {
    throw new Error(`not base64: ${JSON.stringify(s)}`);
  }
  return new Uint8Array(Buffer.from(s, 'base64'));
}

async function load(opts) {
  if (opts.file) {
    const text = await readFile(opts.file, 'utf8');
    return { source: `${opts.file}${opts.pointer ? ` ${opts.pointer}` : ''}`, doc: resolvePointer(JSON.parse(text), opts.pointer) };
  }
  const url = opts.url ?? DEFAULT_URL;
  const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return { source: url, doc: JSON.parse(text) };
}

function check(doc) {
  const lines = [];
  let failures = 0;
  const fail = (msg) => { failures++; lines.push(`FAIL ${msg}`); };
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, checked: 0, lines: ['FAIL the document is not a JSON object'] };
  }
  const server = doc.server_name;
  if (typeof server !== 'string' || server === '') {
    return { ok: false, checked: 0, lines: ['FAIL server_name is missing'] };
  }
  const { signatures = {}, unsigned, ...signed } = doc;
  const message = new TextEncoder().encode(anotherJson.stringify(signed));
  const sigs = (signatures && typeof signatures === 'object' && signatures[server]) || {};
  const keys = doc.verify_keys && typeof doc.verify_keys === 'object' ? doc.verify_keys : {};
  lines.push(`server_name ${server}; ${message.length} canonical bytes signed; valid_until_ts ${doc.valid_until_ts}`
    + (typeof doc.valid_until_ts === 'number' ? ` (${new Date(doc.valid_until_ts).toISOString()})` : ''));
  let checked = 0;
  if (Object.keys(keys).length === 0) fail('verify_keys is empty');
  for (const [keyId, entry] of Object.entries(keys)) {
    if (!keyId.startsWith('ed25519:')) { fail(`${keyId}: not an ed25519 key, cannot check`); continue; }
    let publicKey;
    try {
      publicKey = decodeBase64(entry?.key);
      if (publicKey.length !== 32) throw new Error(`public key is ${publicKey.length} bytes, not 32`);
    } catch (e) { fail(`${keyId}: ${e.message}`); continue; }
    if (!(keyId in sigs)) { fail(`${keyId} (${entry.key}): no signature by ${server} with this key`); continue; }
    let signature;
    try {
      signature = decodeBase64(sigs[keyId]);
      if (signature.length !== 64) throw new Error(`signature is ${signature.length} bytes, not 64`);
    } catch (e) { fail(`${keyId}: ${e.message}`); continue; }
    checked++;
    if (nacl.sign.detached.verify(message, signature, publicKey)) lines.push(`OK   ${keyId} (${entry.key}): signature verifies`);
    else fail(`${keyId} (${entry.key}): signature does NOT verify`);
  }
  for (const keyId of Object.keys(sigs)) {
    if (!(keyId in keys)) lines.push(`note ${keyId}: signature by a key not in verify_keys, not checked`);
  }
  return { ok: failures === 0 && checked > 0, checked, lines };
}

const opts = parseArgs(process.argv.slice(2));
let loaded;
try {
  loaded = await load(opts);
} catch (e) {
  console.error(`error: ${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`);
  process.exit(2);
}
const result = check(loaded.doc);
console.log(`key document from ${loaded.source}`);
for (const line of result.lines) console.log(`  ${line}`);
console.log(result.ok
  ? `OK: ${result.checked} signature(s) of ${loaded.doc.server_name} verified with another-json + tweetnacl`
  : 'FAIL');
process.exit(result.ok ? 0 : 1);
