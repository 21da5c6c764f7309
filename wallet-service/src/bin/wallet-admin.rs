//! Operator commands for the wallet service.
//!
//! ```text
//! wallet-admin mint-app-token <app-id> [--expires-in-days N]   (reads APP_TOKEN_SECRET)
//! wallet-admin openapi                                         (prints openapi.json)
//! ```

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use wallet_service::app_auth::{AppId, mint_app_token};

const USAGE: &str = "usage:
  wallet-admin mint-app-token <app-id> [--expires-in-days N]
      prints an app token for <app-id>, signed with the APP_TOKEN_SECRET environment variable
  wallet-admin openapi
      prints the service's OpenAPI document";

const SECONDS_PER_DAY: u64 = 86_400;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["openapi"] => wallet_service::openapi::document()
            .map(|json| print!("{json}"))
            .map_err(|error| format!("cannot write the document: {error}")),
        ["mint-app-token", app] => mint(app, None),
        ["mint-app-token", app, "--expires-in-days", days] => match days.parse::<u64>() {
            Ok(days) => mint(app, Some(days)),
            Err(_) => Err(format!("--expires-in-days takes a whole number, not {days}")),
        },
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn mint(app: &str, expires_in_days: Option<u64>) -> Result<(), String> {
    let app = AppId::new(app).ok_or_else(|| {
        format!("{app} is not an app id: use 1 to 64 of a-z, 0-9, '-', '_' and '.'")
    })?;
    let secret = std::env::var("APP_TOKEN_SECRET")
        .ok()
        .filter(|secret| !secret.is_empty())
        .ok_or("set APP_TOKEN_SECRET to the service's app-token secret")?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970")?
        .as_secs();
    let expires = expires_in_days
        .map(|days| days.checked_mul(SECONDS_PER_DAY).and_then(|s| s.checked_add(now)))
        .map(|expires| expires.ok_or("--expires-in-days is too large"))
        .transpose()?;
    let token = mint_app_token(secret.as_bytes(), &app, now, expires)
        .map_err(|error| format!("cannot sign the token: {error}"))?;
    println!("{token}");
    Ok(())
}
