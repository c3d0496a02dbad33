// The W3C VC Data Model 2.0 test suite's local configuration (read by
// vc-test-suite-implementations through APP_ROOT_PATH): one implementation, Tessera, behind
// the https front that tests/test_vc_api_suite.py starts. Endpoints, the issuer's id and the
// admin token come from the environment the test sets.
const base = process.env.TESSERA_SUITE_URL;
const issuerId = process.env.TESSERA_SUITE_ISSUER;
const token = process.env.TESSERA_SUITE_TOKEN;
if(!base || !issuerId || !token) {
  throw new Error('TESSERA_SUITE_URL, TESSERA_SUITE_ISSUER and TESSERA_SUITE_TOKEN are required');
}
const tags = ['vc2.0', 'EnvelopingProof'];
module.exports = {
  settings: {},
  implementations: [{
    name: 'Tessera',
    implementation: 'Tessera',
    issuers: [{
      id: issuerId,
      endpoint: `${base}/credentials/issue`,
      headers: {Authorization: `Bearer ${token}`},
      tags
    }],
    verifiers: [{
      id: issuerId,
      endpoint: `${base}/credentials/verify`,
      tags
    }],
    vpVerifiers: [{
      id: issuerId,
      endpoint: `${base}/presentations/verify`,
      tags: (process.env.TESSERA_SUITE_VP_TAGS || 'vc2.0').split(',')
    }]
  }]
};
