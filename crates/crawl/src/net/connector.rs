//! The address guard inside the connector: every connection is judged on the address it actually
//! reached (the socket's peer), before a byte of the request is written.
//!
//! This is the last of three checks. Names are judged by the resolver after DNS and IP-literal
//! URLs by [`super::HttpClient::get`] before connecting, so a refused address is normally never
//! connected to at all; this layer catches whatever reaches a socket any other way (a future code
//! path, a library change), and is what makes the guarantee hold on the connected address itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::{Connection, HttpInfo};

use super::guard::AddressPolicy;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Wraps reqwest's connector with the peer-address check.
#[derive(Debug, Clone)]
pub(crate) struct GuardLayer {
    policy: Arc<AddressPolicy>,
}

impl GuardLayer {
    pub(crate) fn new(policy: Arc<AddressPolicy>) -> GuardLayer {
        GuardLayer { policy }
    }
}

impl<S> tower::Layer<S> for GuardLayer {
    type Service = GuardedConnector<S>;

    fn layer(&self, inner: S) -> GuardedConnector<S> {
        GuardedConnector {
            inner,
            policy: self.policy.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct GuardedConnector<S> {
    inner: S,
    policy: Arc<AddressPolicy>,
}

/// The connection reached an address nobody can tell: refused, the guard fails closed.
#[derive(Debug, thiserror::Error)]
#[error("the connection's peer address is unknown, so the address guard refused it")]
pub(crate) struct UnknownPeer;

impl<S, R> tower::Service<R> for GuardedConnector<S>
where
    S: tower::Service<R>,
    S::Response: Connection + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let policy = self.policy.clone();
        let connecting = self.inner.call(request);
        Box::pin(async move {
            let connection = connecting.await.map_err(Into::into)?;
            let mut extras = http::Extensions::new();
            connection.connected().get_extras(&mut extras);
            let Some(info) = extras.get::<HttpInfo>() else {
                return Err(Box::new(UnknownPeer) as BoxError);
            };
            policy
                .check(info.remote_addr().ip())
                .map_err(|forbidden| Box::new(forbidden) as BoxError)?;
            Ok(connection)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use tower::{Layer, Service};

    /// A connector that dials one address, whatever the request: a stand-in for a code path
    /// that skipped the resolver and the IP-literal check.
    #[derive(Clone)]
    struct DialAnyway(SocketAddr);

    impl Service<()> for DialAnyway {
        type Response = tokio::net::TcpStream;
        type Error = std::io::Error;
        type Future = Pin<Box<dyn Future<Output = std::io::Result<tokio::net::TcpStream>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: ()) -> Self::Future {
            let addr = self.0;
            Box::pin(async move { tokio::net::TcpStream::connect(addr).await })
        }
    }

    fn policy_allowing(addr: &str) -> Arc<AddressPolicy> {
        let mut policy = AddressPolicy::default();
        policy.allowed.insert(addr.parse().unwrap());
        Arc::new(policy)
    }

    #[tokio::test]
    async fn connections_are_judged_on_the_peer_they_reached() {
        let allowed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let trap = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
        let layer = GuardLayer::new(policy_allowing("127.0.0.1"));

        let mut ok = layer.layer(DialAnyway(allowed.local_addr().unwrap()));
        assert!(ok.call(()).await.is_ok());

        let mut refused = layer.layer(DialAnyway(trap.local_addr().unwrap()));
        let error = refused.call(()).await.unwrap_err();
        let forbidden = error
            .downcast_ref::<super::super::ForbiddenAddress>()
            .expect("the guard's own error");
        assert_eq!(forbidden.addr.to_string(), "127.0.0.2");
    }
}
