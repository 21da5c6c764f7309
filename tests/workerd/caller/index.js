// Forwards `POST /<BINDING>/<path>` to the wallet service through the service binding named
// BINDING, so that tests can call the service the way an app in the same account does. The
// request's method, headers and body are passed on as they came; tests that check the
// binding's identity send no Authorization header.

const BINDINGS = new Set(["WALLET", "WALLET_ANON", "WALLET_OTHER_PROPS"]);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/healthz") {
      return Response.json({ status: "ok" });
    }

    const [, binding, ...rest] = url.pathname.split("/");
    if (!BINDINGS.has(binding)) {
      return Response.json({ error: `no binding named ${binding}` }, { status: 404 });
    }
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    return env[binding].fetch(`https://wallet/${rest.join("/")}`, {
      method: request.method,
      headers: request.headers,
      body: hasBody ? request.body : undefined,
    });
  },
};
