// PostGraphile 5 over the customer-graph benchmark's database, the reference it is timed against.
//
//   node server.mjs <postgres://…/db> <port>
//
// Serves POST /graphql on 127.0.0.1:<port> with the amber preset and simplified inflection
// (`customers`, `loans`, `installments`: names close to lendgraph's), and prints "ready" once
// the schema is built. No JWT, no row-level security: it reads as the connecting role.
// GET /statements answers how many statements its pool has sent so far (the benchmark's
// statements per request, as lendgraph's are counted from Tortoise's log).

// PostGraphile 5 asks for Node 22; on Node 20 all it misses is Promise.withResolvers, which
// grafast and grafserv call while loading. The polyfill must exist before they are imported,
// hence the dynamic imports below.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { promise, resolve, reject };
  };
}

const [connectionString, portText] = process.argv.slice(2);
if (!connectionString || !portText) {
  console.error("usage: node server.mjs <postgres://…/db> <port>");
  process.exit(2);
}
const port = Number(portText);

const { createServer } = await import("node:http");
const { default: pg } = await import("pg");
const { postgraphile } = await import("postgraphile");
const { grafserv } = await import("postgraphile/grafserv/node");
const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
const { makePgService } = await import("postgraphile/adaptors/pg");
const { PgSimplifyInflectionPreset } = await import("@graphile/simplify-inflection");

let statements = 0;
const pool = new pg.Pool({ connectionString });
pool.on("connect", (client) => {
  const query = client.query;
  client.query = function countedQuery(...args) {
    statements += 1;
    return query.apply(this, args);
  };
});

const preset = {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
  pgServices: [makePgService({ pool, schemas: ["public"] })],
  grafserv: { port, graphiql: false, watch: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
await pgl.getSchema(); // build the schema before saying ready: the first request is not timed
// no websockets here, so the plain request handler (addTo would also take over upgrades)
const graphql = serv.createHandler();
const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/statements") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(String(statements));
  } else {
    graphql(req, res);
  }
});
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => console.log("ready"));

const stop = async () => {
  server.close();
  await pgl.release();
  await pool.end();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
