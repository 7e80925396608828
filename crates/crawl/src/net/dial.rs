//! The SSRF guard as one value, for connections the HTTP client does not make itself: the browser
//! engine's proxy, which makes Chromium's connections for it. [`Guard`] holds the address policy
//! and the resolver [`super::HttpClient`] is built with, so a name, an IP literal and the address
//! finally reached are judged by the same rules whichever engine asked.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use url::Host;

use super::guard::{AddressPolicy, ForbiddenAddress};
use super::resolver::{GuardedResolver, LookupFailure, ResolveError};

/// Why a connection was not made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DialError {
    /// The guard refused the address.
    #[error(transparent)]
    Forbidden(#[from] ForbiddenAddress),
    /// The name got no address: DNS failed, `--offline` has no mapping for it, or DNS gave none.
    #[error("could not resolve {host}")]
    Resolve {
        /// The host name asked for.
        host: String,
        /// Why it did not resolve.
        source: ResolveError,
    },
    /// No address took the connection: the last failure, in the HTTP engine's words.
    #[error("could not connect: {reason}")]
    Connect {
        /// The last address tried, with its port.
        addr: SocketAddr,
        /// The operating system's reason.
        reason: String,
    },
    /// Resolving and connecting took longer than the timeout.
    #[error("connecting to {host} timed out after {secs}s")]
    Timeout {
        /// The host asked for, name or address.
        host: String,
        /// The timeout, in whole seconds (at least 1).
        secs: u64,
    },
}

impl DialError {
    /// The guard said no (a refused address, or a name `--offline` does not resolve), as opposed
    /// to the network failing: these are the refusals a report lists.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            DialError::Forbidden(_)
                | DialError::Resolve {
                    source: ResolveError::Offline { .. },
                    ..
                }
        )
    }
}

/// The address policy and the guarded resolver. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Guard {
    policy: Arc<AddressPolicy>,
    resolver: Arc<GuardedResolver>,
}

impl Guard {
    /// `resolve`: the `--resolve` mappings (host names in any case); their targets are allowed
    /// addresses. `offline`: nothing else resolves, without a DNS query. `allow_private`: every
    /// address is allowed.
    pub fn new(
        resolve: impl IntoIterator<Item = (String, IpAddr)>,
        offline: bool,
        allow_private: bool,
    ) -> Guard {
        let map: HashMap<String, IpAddr> = resolve
            .into_iter()
            .map(|(host, addr)| (host.to_ascii_lowercase(), addr))
            .collect();
        let policy = Arc::new(AddressPolicy {
            allow_private,
            allowed: map.values().copied().collect(),
        });
        Guard {
            resolver: Arc::new(GuardedResolver::new(map, offline, policy.clone())),
            policy,
        }
    }

    /// The address policy, for checks that need no connection (a link not followed, an IP literal).
    pub fn policy(&self) -> &AddressPolicy {
        &self.policy
    }

    pub(crate) fn policy_arc(&self) -> Arc<AddressPolicy> {
        self.policy.clone()
    }

    pub(crate) fn resolver(&self) -> Arc<GuardedResolver> {
        self.resolver.clone()
    }

    /// The addresses `host` may be reached at: an IP literal if the policy allows it (it skips
    /// DNS), a name by the guarded resolver.
    pub async fn addresses(&self, host: Host<&str>) -> Result<Vec<IpAddr>, DialError> {
        match host {
            Host::Ipv4(v4) => {
                self.policy.check(IpAddr::V4(v4))?;
                Ok(vec![IpAddr::V4(v4)])
            }
            Host::Ipv6(v6) => {
                self.policy.check(IpAddr::V6(v6))?;
                Ok(vec![IpAddr::V6(v6)])
            }
            Host::Domain(name) => self.resolver.lookup(name).await.map_err(|e| match e {
                LookupFailure::Forbidden(forbidden) => DialError::Forbidden(forbidden),
                LookupFailure::Resolve(source) => DialError::Resolve {
                    host: name.to_string(),
                    source,
                },
            }),
        }
    }

    /// A TCP connection to `host:port`, each allowed address tried in turn within `timeout`,
    /// and judged once more on the peer it reached (as the HTTP client's connector does).
    pub async fn connect(
        &self,
        host: Host<&str>,
        port: u16,
        timeout: Duration,
    ) -> Result<TcpStream, DialError> {
        let label = host.to_string();
        let deadline = tokio::time::Instant::now() + timeout;
        let connecting = async {
            let addrs = self.addresses(host).await?;
            let mut last = None;
            for ip in addrs {
                let addr = SocketAddr::new(ip, port);
                match TcpStream::connect(addr).await {
                    Ok(stream) => {
                        let peer = stream.peer_addr().map_err(|e| DialError::Connect {
                            addr,
                            reason: super::io_words(&e, &format!("{label}:{port}")),
                        })?;
                        self.policy.check(peer.ip())?;
                        // Small writes (a TLS handshake through a tunnel) go out at once.
                        let _ = stream.set_nodelay(true);
                        return Ok(stream);
                    }
                    Err(e) => {
                        last = Some(DialError::Connect {
                            addr,
                            reason: super::io_words(&e, &format!("{label}:{port}")),
                        })
                    }
                }
            }
            Err(last.unwrap_or(DialError::Resolve {
                host: label.clone(),
                source: ResolveError::NoAddress,
            }))
        };
        match tokio::time::timeout_at(deadline, connecting).await {
            Ok(result) => result,
            Err(_) => Err(DialError::Timeout {
                host: label,
                secs: timeout.as_secs().max(1),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(resolve: &[(&str, &str)], offline: bool) -> Guard {
        Guard::new(
            resolve
                .iter()
                .map(|(h, a)| (h.to_string(), a.parse().unwrap())),
            offline,
            false,
        )
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn ip_literals_are_judged_without_connecting() {
        let trap = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
        let port = trap.local_addr().unwrap().port();
        let guard = guard(&[("www.a.test", "127.0.0.1")], false);
        for host in ["127.0.0.2", "[::ffff:127.0.0.2]", "169.254.169.254"] {
            let url = url::Url::parse(&format!("http://{host}/")).unwrap();
            let error = guard
                .connect(url.host().unwrap(), port, SECOND)
                .await
                .unwrap_err();
            assert!(error.is_refusal(), "{host}: {error}");
            assert!(matches!(error, DialError::Forbidden(_)), "{host}: {error}");
        }
        // Nothing reached the listener: accept would find a queued connection at once.
        let accepted = tokio::time::timeout(Duration::from_millis(100), trap.accept()).await;
        assert!(accepted.is_err(), "the guard connected to 127.0.0.2");
    }

    #[tokio::test]
    async fn mapped_names_connect_and_offline_refuses_the_rest() {
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = server.local_addr().unwrap().port();
        let guard = guard(&[("WWW.A.test", "127.0.0.1")], true);
        let stream = guard
            .connect(Host::Domain("www.a.test."), port, SECOND)
            .await
            .unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
        // Mapping a name allows its target for IP literals too, as in the HTTP client.
        guard
            .connect(Host::Ipv4("127.0.0.1".parse().unwrap()), port, SECOND)
            .await
            .unwrap();
        let error = guard
            .connect(Host::Domain("metadata.invalid"), port, SECOND)
            .await
            .unwrap_err();
        assert!(error.is_refusal(), "{error}");
        let chain = cookie_audit_model::error_chain(&error);
        assert!(chain.contains("no --resolve mapping"), "{chain}");
    }

    #[tokio::test]
    async fn a_failed_connection_is_not_a_refusal() {
        // Bind then drop: nothing listens on the port any more.
        let port = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap().port()
        };
        let guard = guard(&[("www.a.test", "127.0.0.1")], true);
        let error = guard
            .connect(Host::Domain("www.a.test"), port, SECOND)
            .await
            .unwrap_err();
        assert!(matches!(error, DialError::Connect { .. }), "{error}");
        assert!(!error.is_refusal());
    }
}
