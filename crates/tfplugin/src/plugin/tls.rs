//! AutoMTLS as go-plugin does it: Terraform hands us its one-shot client certificate, we make a
//! one-shot server certificate and print it in the handshake line. Each side trusts exactly the
//! other's certificate, so no other local process can talk to the provider.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use std::fmt;
use std::sync::Arc;

#[derive(Debug)]
pub enum TlsSetupError {
    ClientCertPem(String),
    Generate(rcgen::Error),
    Config(rustls::Error),
}

impl fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsSetupError::ClientCertPem(e) => write!(
                f,
                "PLUGIN_CLIENT_CERT does not hold a PEM certificate ({e}); Terraform sets it \
                 for AutoMTLS"
            ),
            TlsSetupError::Generate(e) => write!(f, "cannot generate the server certificate: {e}"),
            TlsSetupError::Config(e) => write!(f, "cannot build the TLS configuration: {e}"),
        }
    }
}

impl std::error::Error for TlsSetupError {}

/// The server side of AutoMTLS, ready for a `TlsAcceptor`.
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// Goes, base64-encoded, into the handshake line.
    pub cert_der: CertificateDer<'static>,
}

/// Only aws-lc-rs: ring cannot verify Terraform's P-521 signature, and Go then silently sends
/// no client certificate at all.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(aws_lc_rs::default_provider())
}

/// Parses the first certificate of a PEM text (Terraform sends exactly one).
pub fn parse_client_cert(pem: &str) -> Result<CertificateDer<'static>, TlsSetupError> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| TlsSetupError::ClientCertPem(e.to_string()))
}

/// A throwaway P-256 certificate for "localhost", which is the name go-plugin's client checks.
fn generate_server_cert() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsSetupError>
{
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(TlsSetupError::Generate)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(TlsSetupError::Generate)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let cert = params.self_signed(&key).map_err(TlsSetupError::Generate)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().clone(), key_der))
}

/// Builds the server config from Terraform's PEM client certificate.
pub fn server_tls(client_cert_pem: &str) -> Result<ServerTls, TlsSetupError> {
    let pinned = parse_client_cert(client_cert_pem)?;
    let provider = provider();
    let verifier = PinnedClientCert::new(pinned, provider.clone());
    let (cert_der, key_der) = generate_server_cert()?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsSetupError::Config)?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![cert_der.clone()], key_der)
        .map_err(TlsSetupError::Config)?;
    // Terraform's grpc-go (1.15+) refuses a server that does not negotiate h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        cert_der,
    })
}

/// Accepts exactly one client certificate, byte for byte.
///
/// rustls's WebPkiClientVerifier cannot be used: Terraform's certificate is a self-signed CA
/// certificate used as an end entity, which webpki rejects (CaUsedAsEndEntity). Pinning the DER
/// is stronger anyway; the handshake signature check below proves the peer holds its key.
/// Validity dates are not checked: the certificate was made for this one process start.
pub struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl PinnedClientCert {
    pub fn new(pinned: CertificateDer<'static>, provider: Arc<CryptoProvider>) -> Self {
        PinnedClientCert { pinned, provider }
    }
}

impl fmt::Debug for PinnedClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedClientCert")
            .field("pinned_len", &self.pinned.len())
            .finish()
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    // No CA hints: with an empty list Go's client sends its one certificate unconditionally.
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> (String, CertificateDer<'static>) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), cert.der().clone())
    }

    #[test]
    fn pins_only_the_given_certificate() {
        let (pem, der) = ca_pem();
        let (_, other) = ca_pem();
        let v = PinnedClientCert::new(parse_client_cert(&pem).unwrap(), provider());
        assert!(v.client_auth_mandatory());
        assert!(v.verify_client_cert(&der, &[], UnixTime::now()).is_ok());
        assert!(v.verify_client_cert(&other, &[], UnixTime::now()).is_err());
        // Terraform's key is P-521: the aws-lc-rs provider must offer it.
        assert!(
            v.supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
        );
    }

    #[test]
    fn bad_pem_is_an_error() {
        assert!(matches!(
            server_tls("not a certificate"),
            Err(TlsSetupError::ClientCertPem(_))
        ));
    }

    #[test]
    fn server_config_offers_h2() {
        let (pem, _) = ca_pem();
        let tls = server_tls(&pem).unwrap();
        assert_eq!(tls.config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(!tls.cert_der.is_empty());
    }
}
