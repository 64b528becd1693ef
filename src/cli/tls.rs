//! TLS options of the server and of the commands that call one.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

fn read(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Transport security. Without these flags the server speaks plain HTTP/2,
/// which suits loopback or a trusted mesh; anything else should use TLS.
#[derive(Debug, Args)]
pub(crate) struct ServerTlsArgs {
    /// Serve TLS with this certificate chain (PEM).
    #[arg(help_heading = "TLS", long, env = "TWEETGUIDE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(help_heading = "TLS", long, env = "TWEETGUIDE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (PEM): mutual TLS. The
    /// Trainer still requires its bearer token.
    #[arg(help_heading = "TLS", long, env = "TWEETGUIDE_CLIENT_CA", requires = "tls_cert")]
    client_ca: Option<PathBuf>,
}

impl ServerTlsArgs {
    /// For the start-up log line.
    pub(crate) fn mode(&self) -> &'static str {
        match (&self.tls_cert, &self.client_ca) {
            (None, _) => "off",
            (Some(_), None) => "on",
            (Some(_), Some(_)) => "mutual",
        }
    }

    pub(crate) fn config(&self) -> anyhow::Result<Option<ServerTlsConfig>> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else { return Ok(None) };
        let mut config = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
        if let Some(ca) = &self.client_ca {
            config = config.client_ca_root(Certificate::from_pem(read(ca)?));
        }
        Ok(Some(config))
    }
}

/// How a command reaches a server over TLS. Any of these flags, or an
/// `https://` address, turns TLS on.
#[derive(Debug, Clone, Args)]
pub(crate) struct ClientTlsArgs {
    /// Trust this CA (PEM) for the server's certificate; without it an
    /// `https://` address is checked against the system's trusted roots.
    #[arg(help_heading = "TLS", long, env = "TWEETGUIDE_CA")]
    ca: Option<PathBuf>,
    /// This client's certificate (PEM), for servers that require mutual TLS.
    #[arg(help_heading = "TLS", long = "client-cert", env = "TWEETGUIDE_CLIENT_CERT", requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// The private key of --client-cert (PEM).
    #[arg(help_heading = "TLS", long = "client-key", env = "TWEETGUIDE_CLIENT_KEY", requires = "client_cert")]
    client_key: Option<PathBuf>,
    /// The name to check the server's certificate against, when it differs
    /// from the address's host (e.g. connecting by IP address).
    #[arg(help_heading = "TLS", long, env = "TWEETGUIDE_TLS_DOMAIN")]
    tls_domain: Option<String>,
}

impl ClientTlsArgs {
    /// The TLS settings for `addr`, or `None` for plain HTTP/2.
    pub(crate) fn config(&self, addr: &str) -> anyhow::Result<Option<ClientTlsConfig>> {
        let wanted = addr.starts_with("https://")
            || self.ca.is_some()
            || self.client_cert.is_some()
            || self.tls_domain.is_some();
        if !wanted {
            return Ok(None);
        }
        let mut config = ClientTlsConfig::new();
        config = match &self.ca {
            Some(ca) => config.ca_certificate(Certificate::from_pem(read(ca)?)),
            None => config.with_native_roots(),
        };
        if let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) {
            config = config.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        if let Some(domain) = &self.tls_domain {
            config = config.domain_name(domain);
        }
        Ok(Some(config))
    }
}
