// Auth0 post-login Action: copies the person's RentRoll client and role from
// app_metadata into namespaced claims of the access token (which the API
// checks against its user registry) and the ID token (which the console
// reads). The platform writes app_metadata when it invites a person or
// changes their role; nothing here decides access. Deployed by auth0.tf;
// tested by post-login.test.js (`node --test terraform/auth0/`).
'use strict';

const DEFAULT_NAMESPACE = 'https://rentroll.ai/';
const ROLES = new Set(['client_user', 'client_admin', 'super_admin']);

/**
 * @param {Event} event - Details about the user and the context in which they are logging in.
 * @param {PostLoginAPI} api - Interface whose methods can be used to change the behavior of the login.
 */
exports.onExecutePostLogin = async (event, api) => {
  let ns = (event.secrets && event.secrets.CLAIMS_NAMESPACE) || DEFAULT_NAMESPACE;
  if (!ns.endsWith('/') && !ns.endsWith(':')) {
    ns += '/';
  }
  const user = event.user || {};
  const md = user.app_metadata || {};
  const claims = {};
  if (typeof md.client_id === 'string' && md.client_id !== '') {
    claims.client_id = md.client_id;
  }
  // An unknown role is left out rather than passed on: the API then decides
  // from its registry alone.
  if (typeof md.role === 'string' && ROLES.has(md.role)) {
    claims.role = md.role;
  }
  if (typeof user.email === 'string' && user.email !== '') {
    claims.email = user.email;
  }
  for (const [name, value] of Object.entries(claims)) {
    api.accessToken.setCustomClaim(ns + name, value);
    api.idToken.setCustomClaim(ns + name, value);
  }
};
