// Runs the in-page verifier (verifier/web/static/*.mjs) in Node for
// tests/verifier/phone_cases.py: reads one request on stdin, writes the answers on stdout.
// {cases: [...]} -> one verdict per case; {streams: [...]} -> each stream inflated, or null.
import { pathToFileURL } from "node:url";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf-8"));
const load = (name) => import(pathToFileURL(`${request.static}/${name}`).href);
const dictionaries = Object.fromEntries(
  Object.entries(request.dictionaries).map(([version, data]) => [version, new Uint8Array(Buffer.from(data, "base64"))]),
);
const dictionary = dictionaries[request.version];

async function inflateAll(streams) {
  const inflate = await load("inflate.mjs");
  return streams.map(({ data, gzip }) => {
    const bytes = new Uint8Array(Buffer.from(data, "base64"));
    try {
      const result = gzip
        ? inflate.gunzip(bytes, { limit: 2 * 1024 * 1024 })
        : inflate.inflateRaw(bytes, { dictionary, limit: 64 * 1024 });
      return Buffer.from(result).toString("base64");
    } catch (error) {
      if (error instanceof inflate.InflateError) return null;
      throw error;
    }
  });
}

async function verifyAll(cases) {
  const core = await load("verify-core.mjs");
  const answers = [];
  for (const item of cases) {
    const fetchDocument = async (url) => {
      const [status, text] = item.documents[url] || [404, ""];
      return { status, text, fetchedAt: item.now };
    };
    const result = await core.verifySubmission(item.submission, {
      trusted: item.trusted,
      dictionaries,
      now: item.now,
      clockSkewSeconds: request.skew,
      maxAgeSeconds: 86400,
      fetchDocument,
    });
    const failed = result.checks.find((check) => !check.passed) || null;
    answers.push({
      name: item.name,
      status: result.status,
      check: failed ? failed.code : null,
      error: failed ? failed.error : null,
    });
  }
  return answers;
}

const answer = request.streams ? await inflateAll(request.streams) : await verifyAll(request.cases);
process.stdout.write(JSON.stringify(answer));
