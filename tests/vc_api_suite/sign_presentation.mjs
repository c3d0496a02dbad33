// Signs a presentation (JSON on stdin) as the W3C VC 2.0 test suite does: an
// eddsa-rdfc-2022 Data Integrity proof by the suite's did:key, its credentials issued by the
// same did:key (the suite's own data-generator.js and its pinned Digital Bazaar libraries).
// Prints {"presentation", "challenge", "domain"} as JSON.
import {challenge, createLocalVp, domain} from
  '../vendor/vc-data-model-2.0-test-suite/tests/data-generator.js';

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
}
const presentation = await createLocalVp({presentation: JSON.parse(input)});
process.stdout.write(JSON.stringify({presentation, challenge, domain}));
