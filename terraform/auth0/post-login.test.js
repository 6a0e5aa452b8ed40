'use strict';
// Run with: node --test terraform/auth0/
const test = require('node:test');
const assert = require('node:assert/strict');
const { onExecutePostLogin } = require('./post-login.js');

// fakeApi records the claims the Action sets, as Auth0's api object would
// apply them to the tokens.
function fakeApi() {
  const access = {};
  const id = {};
  return {
    access,
    id,
    accessToken: { setCustomClaim: (k, v) => { access[k] = v; } },
    idToken: { setCustomClaim: (k, v) => { id[k] = v; } },
  };
}

const cases = [
  {
    name: 'client admin: client, role and e-mail under the default namespace',
    event: { user: { email: 'ann@acme.example', app_metadata: { client_id: 'acme', role: 'client_admin' } }, secrets: {} },
    want: {
      'https://rentroll.ai/client_id': 'acme',
      'https://rentroll.ai/role': 'client_admin',
      'https://rentroll.ai/email': 'ann@acme.example',
    },
  },
  {
    name: 'super admin: no client',
    event: { user: { email: 'ops@rentroll.ai', app_metadata: { client_id: '', role: 'super_admin' } } },
    want: { 'https://rentroll.ai/role': 'super_admin', 'https://rentroll.ai/email': 'ops@rentroll.ai' },
  },
  {
    name: 'configured namespace, trailing slash added',
    event: { user: { email: 'b@x.example', app_metadata: { client_id: 'x', role: 'client_user' } }, secrets: { CLAIMS_NAMESPACE: 'https://claims.example' } },
    want: {
      'https://claims.example/client_id': 'x',
      'https://claims.example/role': 'client_user',
      'https://claims.example/email': 'b@x.example',
    },
  },
  {
    name: 'no app_metadata: only the e-mail',
    event: { user: { email: 'new@x.example' } },
    want: { 'https://rentroll.ai/email': 'new@x.example' },
  },
  {
    name: 'unknown role and non-string values are left out',
    event: { user: { email: 'c@x.example', app_metadata: { client_id: 42, role: 'owner' } } },
    want: { 'https://rentroll.ai/email': 'c@x.example' },
  },
];

for (const tc of cases) {
  test(tc.name, async () => {
    const api = fakeApi();
    await onExecutePostLogin(tc.event, api);
    assert.deepEqual(api.access, tc.want);
    assert.deepEqual(api.id, tc.want);
  });
}
