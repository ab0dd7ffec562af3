// GraphQL over fetch with the signed-in user's token (kept for this browser tab only).
const KEY = 'lendgraph.token';
const $ = (id) => document.getElementById(id);

export function token() {
  return sessionStorage.getItem(KEY);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export async function gql(query, variables = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const answer = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await answer.json();
  if (body.errors && body.errors.length) {
    const error = new Error(body.errors.map((e) => e.message).join('; '));
    error.code = body.errors[0].extensions && body.errors[0].extensions.code;
    throw error;
  }
  return body.data;
}

export async function signIn(username, password) {
  const data = await gql(
    `mutation ($u: String!, $p: String!) { login(input: {username: $u, password: $p}) {
       __typename ... on LoginSuccess { token user { username roles } } ... on LoginError { message } } }`,
    { u: username, p: password },
  );
  if (data.login.__typename !== 'LoginSuccess') throw new Error(data.login.message);
  sessionStorage.setItem(KEY, data.login.token);
  return data.login.user;
}

export const ME = '{ me { username roles } }';
export const DEFINITIONS = `{ processDefinitions { id processId version deployedAt deployedBy origin inForce retiredAt retiredBy runningInstances bpmnXml dmnXmls } }`;
export const OPERATIONS = '{ serviceOperations { name description params { name type required } example } taskRoles }';
export const CHECK = `query ($xml: String!, $dmns: [String!]!) { checkProcess(input: {bpmnXml: $xml, dmnXmls: $dmns}) { elementId reason line column }
  processLanguages(input: {bpmnXml: $xml, dmnXmls: $dmns}) { file language } }`;
export const DEPLOY = `mutation ($xml: String!, $dmns: [String!]!, $simulation: Int) {
  deployProcess(input: {bpmnXml: $xml, dmnXmls: $dmns, simulationId: $simulation}) {
  __typename
  ... on DeployProcessSuccess { created definition { processId version runningInstances simulationId } }
  ... on ValidationError { message fields { field message } }
  ... on UserError { message } } }`;
export const MIGRATE = `mutation ($pid: String!, $dry: Boolean!) { migrateProcessInstances(input: {processId: $pid, dryRun: $dry}) {
  __typename
  ... on MigrateProcessInstancesSuccess { toVersion movable refused instances { fromVersion migrated problems processInstance { businessKey } } }
  ... on ForbiddenError { message } ... on NotFoundError { message } } }`;
export const DRY_RUN = `mutation ($input: DryRunInput!) { dryRunProcess(input: $input) {
  __typename
  ... on DryRunResult { processId status path waitingAt error errorElement data serviceCalls }
  ... on ValidationError { message fields { field message } } } }`;

// The sign-in every page shares: the form (drawn here), sign-out, and entering at once with a
// kept token.
export function startPage(enter) {
  const view = $('login-view');
  view.innerHTML = `<form id="login-form"><h1></h1>
    <label>Username <input id="username" autocomplete="username" required></label>
    <label>Password <input id="password" type="password" autocomplete="current-password" required></label>
    <button id="login-button" type="submit">Sign in</button>
    <p id="login-error" class="error" role="alert"></p></form>`;
  view.querySelector('h1').textContent = view.dataset.title;
  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('login-error').textContent = '';
    try {
      await signIn($('username').value, $('password').value);
      await enter();
    } catch (err) {
      $('login-error').textContent = err.message;
    }
  });
  $('logout').addEventListener('click', () => { signOut(); window.location.reload(); });
  if (token()) enter(); else $('login-view').hidden = false;
}

// A page's first question, asked with the kept token (it names `me { username roles }`): its
// data, with the page shown and the user named; null, the sign-in form shown again, when no one
// is signed in any more or the caller may not use the page (the refusal said on the form).
export async function opening(query = ME) {
  let data;
  try {
    data = await gql(query);
  } catch (err) {
    signOut();
    $('login-view').hidden = false;
    $('app-view').hidden = true;
    if (err.code === 'FORBIDDEN') $('login-error').textContent = err.message;
    return null;
  }
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('user-badge').textContent = `${data.me.username} (${data.me.roles.join(', ')})`;
  return data;
}
