//! The Worker glue for both roles: pass the request on, or count it in a Durable Object.

// The `durable_object` macro generates undocumented glue that `missing_docs` would flag.
#[allow(missing_docs)]
mod object;

use worker::{Context, Env, Request, Response, event};

use crate::counter_name;

/// The var that tells the Worker which role it plays: `front` or `floor`.
const ROLE_VAR: &str = "FLOOR_ROLE";

/// The front's service binding to the Worker it stands in front of.
const UPSTREAM_BINDING: &str = "UPSTREAM";

/// The floor Worker's Durable Object namespace of counters.
const COUNTER_BINDING: &str = "COUNTER";

#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let role = env.var(ROLE_VAR).map(|var| var.to_string()).unwrap_or_default();
    match role.as_str() {
        // The front passes everything on, health checks included, so that a 200 from its
        // /healthz also says that the binding reaches the floor.
        "front" => env.service(UPSTREAM_BINDING)?.fetch_request(request).await,
        "floor" => floor(request, &env).await,
        _ => Response::error("FLOOR_ROLE must be front or floor", 500),
    }
}

async fn floor(request: Request, env: &Env) -> worker::Result<Response> {
    let path = request.path();
    if path == "/healthz" {
        return Response::ok("ok");
    }
    let Some(name) = counter_name(&path) else {
        return Response::error("there is no such route", 404);
    };

    let stub = env.durable_object(COUNTER_BINDING)?.get_by_name(name)?;
    stub.fetch_with_request(request).await
}
