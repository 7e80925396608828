//! Name resolution with `--resolve`, offline mode and the address guard.
//!
//! Judging addresses here, on what DNS returned, closes the DNS-rebinding window: the address we
//! check is the address the connector uses, for every request and every redirect hop. The same
//! resolver serves the HTTP client (through reqwest's [`Resolve`]) and every connection made with
//! [`super::Guard`] (the browser engine's proxy), so both obey one set of rules.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::guard::{AddressPolicy, ForbiddenAddress};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveError {
    #[error("offline mode: {host} has no --resolve mapping")]
    Offline { host: String },
    #[error("DNS lookup failed: {reason}")]
    Lookup { reason: String },
    #[error("no address")]
    NoAddress,
}

/// Why a name got no address to connect to.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum LookupFailure {
    /// Every address it resolved to is refused by the policy.
    #[error(transparent)]
    Forbidden(ForbiddenAddress),
    #[error(transparent)]
    Resolve(ResolveError),
}

#[derive(Debug)]
pub(crate) struct GuardedResolver {
    map: HashMap<String, IpAddr>,
    offline: bool,
    policy: Arc<AddressPolicy>,
}

impl GuardedResolver {
    pub(crate) fn new(
        map: HashMap<String, IpAddr>,
        offline: bool,
        policy: Arc<AddressPolicy>,
    ) -> Self {
        GuardedResolver {
            map,
            offline,
            policy,
        }
    }

    /// The addresses `host` (a name, not an IP literal) may be reached at: its `--resolve`
    /// mapping (allowed by the policy, which lists every mapping's target); offline, nothing
    /// else and no DNS query; otherwise what DNS says, without the addresses the policy refuses.
    pub(crate) async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, LookupFailure> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(addr) = self.map.get(&host) {
            return Ok(vec![*addr]);
        }
        if self.offline {
            return Err(LookupFailure::Resolve(ResolveError::Offline { host }));
        }
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
            .await
            .map_err(|e| {
                LookupFailure::Resolve(ResolveError::Lookup {
                    reason: e.to_string(),
                })
            })?
            .collect();
        let mut refused = None;
        let mut allowed: Vec<IpAddr> = Vec::new();
        for addr in found {
            match self.policy.check(addr.ip()) {
                Ok(()) if !allowed.contains(&addr.ip()) => allowed.push(addr.ip()),
                Ok(()) => {}
                Err(e) => {
                    refused.get_or_insert(e);
                }
            }
        }
        if allowed.is_empty() {
            return Err(match refused {
                Some(forbidden) => LookupFailure::Forbidden(forbidden),
                None => LookupFailure::Resolve(ResolveError::NoAddress),
            });
        }
        Ok(allowed)
    }
}

/// reqwest's side: the same lookup. The inner error is boxed as itself (not the wrapper) so
/// [`super::HttpClient`] finds it in the error chain and names it.
#[derive(Debug, Clone)]
pub(crate) struct ReqwestResolver(pub(crate) Arc<GuardedResolver>);

impl Resolve for ReqwestResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.0.clone();
        Box::pin(async move {
            match resolver.lookup(name.as_str()).await {
                // Port 0: the connector uses the URL's port (curl's --resolve semantics, any
                // port).
                Ok(addrs) => {
                    Ok(Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0))) as Addrs)
                }
                Err(LookupFailure::Forbidden(forbidden)) => Err(Box::new(forbidden) as _),
                Err(LookupFailure::Resolve(resolve)) => Err(Box::new(resolve) as _),
            }
        })
    }
}
