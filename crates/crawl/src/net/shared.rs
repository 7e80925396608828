//! What the clients of one process share: the TLS configuration, with the platform's root
//! certificates read and parsed once, and the clients themselves, one per distinct set of
//! options.
//!
//! An audit job crawls several sites at once, and a scan's consent runs crawl one site again.
//! Each crawl used to build two clients, and each client read and parsed the system's root store
//! again (about 2.3 MB per site at once). Crawls with the same options now share one client: its
//! connection pool is per host and it keeps no cookies (each crawl's jar is its own), so nothing of
//! one site reaches another. A client lives while a crawl holds it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use cookie_audit_model::error_chain;

use super::{ClientOptions, ClientParts, FetchError};

/// The client configuration every verifying client uses: the platform verifier (the system's root
/// store, as reqwest reads it by default), HTTP/2 and HTTP/1.1 offered by ALPN as reqwest offers
/// them. Built on first use; a failure (no root certificates at all) is kept and reported each
/// time a client is asked for.
pub(super) fn verifying_tls() -> Result<rustls::ClientConfig, FetchError> {
    static TLS: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    TLS.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
            .map_err(|e| error_chain(&e))?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| error_chain(&e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    })
    .clone()
    .map_err(|reason| FetchError::Tls { reason })
}

/// Options as a key: equal options give the same client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    timeout: Duration,
    user_agent: String,
    insecure: bool,
    offline: bool,
    allow_private: bool,
    resolve: Vec<(String, IpAddr)>,
}

impl ClientKey {
    fn new(options: &ClientOptions) -> ClientKey {
        let mut resolve: Vec<(String, IpAddr)> = options
            .resolve
            .iter()
            .map(|(host, addr)| (host.clone(), *addr))
            .collect();
        resolve.sort();
        ClientKey {
            timeout: options.timeout,
            user_agent: options.user_agent.clone(),
            insecure: options.insecure,
            offline: options.offline,
            allow_private: options.allow_private,
            resolve,
        }
    }
}

/// The client for `options`: the one a live crawl already holds, or a new one from `build`.
pub(super) fn shared_client(
    options: &ClientOptions,
    build: impl FnOnce() -> Result<ClientParts, FetchError>,
) -> Result<Arc<ClientParts>, FetchError> {
    static CLIENTS: OnceLock<Mutex<HashMap<ClientKey, Weak<ClientParts>>>> = OnceLock::new();
    let mut clients = CLIENTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    // Clients no crawl holds any more are forgotten here, so the map stays as small as the
    // number of option sets in use.
    clients.retain(|_, client| client.strong_count() > 0);
    let key = ClientKey::new(options);
    if let Some(client) = clients.get(&key).and_then(Weak::upgrade) {
        return Ok(client);
    }
    let client = Arc::new(build()?);
    clients.insert(key, Arc::downgrade(&client));
    Ok(client)
}
