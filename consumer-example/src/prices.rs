//! What each route costs: the price table, and finding a request's route in it.

use wallet_client::Amount;

/// A route this Worker serves, and what one request to it costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The HTTP method, in capitals.
    pub method: &'static str,
    /// The path, matched exactly.
    pub path: &'static str,
    /// The price of one request in the wallet's minor unit (cents for USD); 0 for a free route.
    pub price_cents: u32,
    /// For work whose cost is known only at its end: the most it may cost, held before the
    /// work starts and captured down to `price_cents` after it. 0 charges `price_cents` at
    /// once.
    pub hold_cents: u32,
}

impl Route {
    /// Returns the amount one request is charged, or `None` for a free route.
    pub fn price(&self) -> Option<Amount> {
        // A `u32` is far below the largest amount, so only a price of 0 has no `Amount`.
        Amount::new(i64::from(self.price_cents))
    }

    /// Returns the amount held before the work, or `None` for a route charged at once.
    pub fn hold(&self) -> Option<Amount> {
        Amount::new(i64::from(self.hold_cents))
    }
}

/// Every route, with its price.
///
/// | route | price |
/// |---|---|
/// | `GET /search` | 5 cents |
/// | `GET /generate` | 25 cents |
/// | `GET /summarize` | 30 cents, after holding 50 while the work runs |
/// | `GET /balance` | free |
pub const ROUTES: &[Route] = &[
    Route { method: "GET", path: "/search", price_cents: 5, hold_cents: 0 },
    Route { method: "GET", path: "/generate", price_cents: 25, hold_cents: 0 },
    Route { method: "GET", path: "/summarize", price_cents: 30, hold_cents: 50 },
    Route { method: "GET", path: "/balance", price_cents: 0, hold_cents: 0 },
];

/// Where a request falls in the price table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The request names a route.
    Found(&'static Route),
    /// The path is a route's, but with another method; `allowed` is the one it takes.
    WrongMethod {
        /// The method the path takes.
        allowed: &'static str,
    },
    /// No route has this path.
    NotFound,
}

/// Returns the route a request with `method` and `path` is for.
pub fn lookup(method: &str, path: &str) -> Lookup {
    let Some(route) = ROUTES.iter().find(|route| route.path == path) else {
        return Lookup::NotFound;
    };
    if route.method == method {
        Lookup::Found(route)
    } else {
        Lookup::WrongMethod { allowed: route.method }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_costs_five_cents_and_generate_twenty_five() {
        let search = lookup("GET", "/search");
        let generate = lookup("GET", "/generate");

        assert_eq!(search, Lookup::Found(&ROUTES[0]));
        assert_eq!(ROUTES[0].price(), Amount::new(5));
        assert_eq!(generate, Lookup::Found(&ROUTES[1]));
        assert_eq!(ROUTES[1].price(), Amount::new(25));
    }

    #[test]
    fn summarize_holds_more_than_it_finally_costs() {
        let Lookup::Found(route) = lookup("GET", "/summarize") else {
            panic!("/summarize is a route");
        };

        assert_eq!(route.hold(), Amount::new(50));
        assert_eq!(route.price(), Amount::new(30));
        assert!(
            ROUTES
                .iter()
                .all(|route| route.hold_cents == 0 || route.hold_cents >= route.price_cents)
        );
    }

    #[test]
    fn balance_is_free() {
        let Lookup::Found(route) = lookup("GET", "/balance") else {
            panic!("/balance is a route");
        };

        assert_eq!(route.price(), None);
    }

    #[test]
    fn an_unknown_path_is_not_found() {
        assert_eq!(lookup("GET", "/"), Lookup::NotFound);
        assert_eq!(lookup("GET", "/search/"), Lookup::NotFound);
        assert_eq!(lookup("GET", "/SEARCH"), Lookup::NotFound);
    }

    #[test]
    fn a_known_path_with_another_method_names_the_allowed_one() {
        assert_eq!(lookup("POST", "/search"), Lookup::WrongMethod { allowed: "GET" });
    }

    #[test]
    fn paths_are_unique_so_a_path_has_one_price() {
        for (i, route) in ROUTES.iter().enumerate() {
            assert!(ROUTES[..i].iter().all(|earlier| earlier.path != route.path), "{route:?}");
        }
    }
}
