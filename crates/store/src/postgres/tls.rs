//! TLS to PostgreSQL, as libpq's `sslmode` and `sslrootcert` URL parameters say, so a URL that
//! works with `psql` works here:
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (default) | when the server offers it | not checked |
//! | `require` | always | not checked (checked as `verify-ca` when `sslrootcert` is given) |
//! | `verify-ca` | always | signed by a trusted CA |
//! | `verify-full` | always | signed by a trusted CA and for the host connected to |
//!
//! The trusted CAs are the PEM file `sslrootcert` names (a private CA, as most database servers
//! have), else the system's root store. `prefer` and `require` encrypt without authenticating the
//! server, exactly as libpq does; a history on another machine should use `verify-full`.
//!
//! tokio-postgres knows only `disable`, `prefer` and `require` and refuses parameters it does not
//! know, so the two libpq parameters are read here and taken out of the URL it parses.
//! tokio-postgres-rustls is the connector: rustls (with ring, the workspace's one crypto
//! provider) under tokio-postgres, rather than a second TLS stack.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode as DriverMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode`, the values this store takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            // libpq's `allow` tries without TLS first; nothing here would gain from it.
            other => {
                return Err(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }

    /// What tokio-postgres is told: whether to try TLS, and whether it must succeed.
    pub(crate) fn driver_mode(self) -> DriverMode {
        match self {
            SslMode::Disable => DriverMode::Disable,
            SslMode::Prefer => DriverMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverMode::Require,
        }
    }
}

/// The TLS parameters of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    pub mode: SslMode,
    /// `sslrootcert`: a PEM file of the CAs to trust instead of the system's.
    pub root_cert: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` out of `url`'s query: the URL for tokio-postgres, and the
/// settings.
pub(crate) fn split_url(url: &str) -> Result<(String, TlsSettings), String> {
    let mut settings = TlsSettings {
        mode: SslMode::Prefer,
        root_cert: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), settings));
    };
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || {
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map(|v| v.into_owned())
                .map_err(|_| format!("{key}: not UTF-8 once decoded"))
        };
        match key {
            "sslmode" => settings.mode = SslMode::parse(&decoded()?)?,
            "sslrootcert" => settings.root_cert = Some(PathBuf::from(decoded()?)),
            _ => kept.push(pair),
        }
    }
    if settings.root_cert.is_some() && settings.mode == SslMode::Require {
        // libpq: "require" with a root certificate file verifies the chain, as verify-ca.
        settings.mode = SslMode::VerifyCa;
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, settings))
}

/// The connector for `settings`: used for every mode but `disable`, where the driver never asks.
pub(crate) fn connector(settings: &TlsSettings) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match settings.mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => {
            Arc::new(Unauthenticated(provider.clone()))
        }
        SslMode::VerifyCa => Arc::new(AnyName(chain_verifier(settings, &provider)?)),
        SslMode::VerifyFull => chain_verifier(settings, &provider)?,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Certificates checked against `sslrootcert`'s CAs, else the system's root store.
fn chain_verifier(
    settings: &TlsSettings,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    let Some(path) = &settings.root_cert else {
        let platform = rustls_platform_verifier::Verifier::new(provider.clone())
            .map_err(|e| format!("the system's root certificates: {e}"))?;
        return Ok(Arc::new(platform));
    };
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "sslrootcert {} holds no certificate",
            path.display()
        ));
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    Ok(verifier)
}

/// `prefer` and `require`: the connection is encrypted and the handshake's signatures checked,
/// but whose certificate it is is not (libpq's meaning of these modes).
#[derive(Debug)]
struct Unauthenticated(Arc<CryptoProvider>);

impl ServerCertVerifier for Unauthenticated {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted CA; the name in the certificate is not checked.
#[derive(Debug)]
struct AnyName(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_parameters_leave_the_url_and_the_rest_stays() {
        let (url, tls) =
            split_url("postgres://u:p%40ss@db:5432/h?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca.pem")
                .unwrap();
        assert_eq!(url, "postgres://u:p%40ss@db:5432/h?application_name=x");
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.root_cert, Some(PathBuf::from("/etc/ca.pem")));

        let (url, tls) = split_url("postgres://db/h").unwrap();
        assert_eq!(
            (url.as_str(), tls.mode),
            ("postgres://db/h", SslMode::Prefer)
        );
        let (url, tls) = split_url("postgres://db/h?sslmode=disable").unwrap();
        assert_eq!(
            (url.as_str(), tls.mode),
            ("postgres://db/h", SslMode::Disable)
        );
        // As libpq: a root certificate makes `require` check the chain.
        let (_, tls) = split_url("postgres://db/h?sslmode=require&sslrootcert=ca.pem").unwrap();
        assert_eq!(tls.mode, SslMode::VerifyCa);

        let error = split_url("postgres://db/h?sslmode=allow").unwrap_err();
        assert!(error.contains("sslmode=allow is not one of"), "{error}");
    }

    #[test]
    fn a_root_certificate_file_that_holds_none_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let settings = TlsSettings {
            mode: SslMode::VerifyFull,
            root_cert: Some(path),
        };
        let error = connector(&settings).err().expect("refused");
        assert!(error.contains("holds no certificate"), "{error}");
        let settings = TlsSettings {
            mode: SslMode::VerifyFull,
            root_cert: Some(dir.path().join("missing.pem")),
        };
        assert!(connector(&settings).err().unwrap().contains("missing.pem"));
    }
}
