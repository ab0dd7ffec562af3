// The GraphQL-over-HTTP audit (graphql-http's auditServer) against a running lendgraph.
// Usage: LENDGRAPH_GRAPHQL_URL=http://127.0.0.1:8000/graphql LENDGRAPH_TOKEN=… node this-file
// Prints one JSON line per audit: {id, name, status, reason}; exits 0 unless it cannot run.
import { auditServer } from 'graphql-http';

const url = process.env.LENDGRAPH_GRAPHQL_URL;
const token = process.env.LENDGRAPH_TOKEN;
if (!url || !token) {
  console.error('set LENDGRAPH_GRAPHQL_URL and LENDGRAPH_TOKEN');
  process.exit(2);
}

// every request of the audit is signed in: lendgraph answers nothing else
async function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn });
for (const result of results) {
  const { id, name, status } = result;
  const reason = status === 'ok' ? null : result.reason;
  console.log(JSON.stringify({ id, name, status, reason }));
}
