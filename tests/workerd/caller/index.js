// A stand-in for an app in the same account as the wallet service.
//
// `POST /<BINDING>/<path>` forwards the request to the wallet service through the service
// binding named BINDING, as fetch; the method, headers and body are passed on as they came, and
// tests that check the binding's identity send no Authorization header.
//
// `POST /rpc/<BINDING>/<method>` calls the Workers RPC method of that name on the binding with
// the JSON body as its argument, and answers `{"result": …}` with what it resolved to, or
// `{"thrown": message}` when it threw.

const BINDINGS = new Set(["WALLET", "WALLET_ANON", "WALLET_OTHER_PROPS"]);
const RPC_METHODS = new Set([
  "identify",
  "balance",
  "charge",
  "transactions",
  "placeHold",
  "captureHold",
  "releaseHold",
]);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/healthz") {
      return Response.json({ status: "ok" });
    }

    const [, first, ...rest] = url.pathname.split("/");
    if (first === "rpc") {
      return rpc(env, rest, request);
    }
    if (!BINDINGS.has(first)) {
      return Response.json({ error: `no binding named ${first}` }, { status: 404 });
    }
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    return env[first].fetch(`https://wallet/${rest.join("/")}`, {
      method: request.method,
      headers: request.headers,
      body: hasBody ? request.body : undefined,
    });
  },
};

async function rpc(env, [binding, method], request) {
  if (!BINDINGS.has(binding) || !RPC_METHODS.has(method)) {
    return Response.json({ error: `no RPC method ${binding}.${method}` }, { status: 404 });
  }
  const argument = await request.json();
  try {
    return Response.json({ result: await env[binding][method](argument) });
  } catch (error) {
    return Response.json({ thrown: String(error?.message ?? error) }, { status: 500 });
  }
}
