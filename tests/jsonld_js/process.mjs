// jsonld.js in safe mode for tests/jsonld_js.py: reads {contexts, documents} on stdin and
// writes, for each document, its canonical N-Quads (RDFC-1.0) or the error safe mode raised.
// The document loader answers from `contexts` (the vendored files) and refuses every other
// URL: nothing is fetched.
import jsonld from "jsonld";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf-8"));

const documentLoader = async (url) => {
  if (!Object.hasOwn(request.contexts, url)) throw new Error(`no vendored context for ${url}`);
  return { contextUrl: null, documentUrl: url, document: request.contexts[url] };
};

const answers = {};
for (const [name, document] of Object.entries(request.documents)) {
  try {
    await jsonld.expand(document, { documentLoader, safe: true });
    const nquads = await jsonld.canonize(document, {
      algorithm: "RDFC-1.0",
      format: "application/n-quads",
      documentLoader,
      safe: true,
    });
    answers[name] = { nquads };
  } catch (error) {
    const details = error.details && error.details.event ? error.details.event.code : null;
    answers[name] = { error: error.name || "Error", code: details, message: String(error.message) };
  }
}
process.stdout.write(JSON.stringify(answers));
