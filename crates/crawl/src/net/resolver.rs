//! Name resolution with `--resolve`, offline mode and the address guard.
//!
//! Judging addresses here, on what DNS returned, closes the DNS-rebinding window: the address we
//! check is the address the connector uses, for every request and every redirect hop.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::guard::AddressPolicy;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveError {
    #[error("offline mode: {host} has no --resolve mapping")]
    Offline { host: String },
    #[error("DNS lookup failed: {reason}")]
    Lookup { reason: String },
    #[error("no address")]
    NoAddress,
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
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        if let Some(addr) = self.map.get(&host) {
            // Port 0: the connector uses the URL's port (curl's --resolve semantics, any port).
            let addrs: Addrs = Box::new(std::iter::once(SocketAddr::new(*addr, 0)));
            return Box::pin(async move { Ok(addrs) });
        }
        if self.offline {
            return Box::pin(async move { Err(Box::new(ResolveError::Offline { host }) as _) });
        }
        let policy = self.policy.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> {
                    Box::new(ResolveError::Lookup {
                        reason: e.to_string(),
                    })
                })?
                .collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.check(addr.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refused.get_or_insert(e);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                return Err(match refused {
                    Some(forbidden) => Box::new(forbidden) as _,
                    None => Box::new(ResolveError::NoAddress) as _,
                });
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}
