//! TLS and mutual TLS, with certificates made on the spot by rcgen: the
//! server only talks to clients that trust its CA, with mTLS only to clients
//! holding a certificate of the client CA, and the Trainer still wants its token.

mod common;

use std::path::{Path, PathBuf};

use common::process::ServerProcess;
use common::tweet;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tonic::Code;
use tonic::transport::{Certificate, ClientTlsConfig, Identity};
use tweetguide::client::{self, Client};
use tweetguide::proto::v1::ListModelsRequest;

const TOKEN: &str = "tls-test-admin-token";

/// A CA, and PEM files it signed, written into a temp folder.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).to_str().expect("utf-8 temp path").to_owned()
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("pem file")
    }

    /// Server certificate for localhost and 127.0.0.1 signed by `server-ca`,
    /// client certificates signed by `client-ca` and by an unrelated `rogue-ca`.
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).expect("write pem");
        let ca = |name: &str| {
            let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, format!("tweetguide test {name}"));
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
            let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("ca");
            write(&format!("{name}.pem"), issuer.pem());
            issuer
        };
        let leaf = |name: &str, names: &[&str], issuer: &CertifiedIssuer<'_, KeyPair>| {
            let key = KeyPair::generate().expect("key");
            let mut params =
                CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("params");
            params.distinguished_name.push(DnType::CommonName, name);
            let cert = params.signed_by(&key, issuer).expect("sign");
            write(&format!("{name}.pem"), cert.pem());
            write(&format!("{name}.key"), key.serialize_pem());
        };
        let server_ca = ca("server-ca");
        let client_ca = ca("client-ca");
        let rogue_ca = ca("rogue-ca");
        leaf("server", &["localhost", "127.0.0.1"], &server_ca);
        leaf("client", &["client.example"], &client_ca);
        leaf("rogue-client", &["rogue.example"], &rogue_ca);
        Pki { dir }
    }

    fn trusting(&self, ca: &str) -> ClientTlsConfig {
        ClientTlsConfig::new().ca_certificate(Certificate::from_pem(self.read(&format!("{ca}.pem"))))
    }

    fn with_identity(&self, ca: &str, who: &str) -> ClientTlsConfig {
        self.trusting(ca)
            .identity(Identity::from_pem(self.read(&format!("{who}.pem")), self.read(&format!("{who}.key"))))
    }

    fn serve(&self, data: &Path, mutual: bool) -> ServerProcess {
        let mut args = vec!["--data-dir".to_owned(), data.to_str().expect("utf-8").to_owned(), "--tls-cert".to_owned()];
        args.extend([self.arg("server.pem"), "--tls-key".to_owned(), self.arg("server.key")]);
        if mutual {
            args.extend(["--client-ca".to_owned(), self.arg("client-ca.pem")]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ServerProcess::start(&args, &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)])
    }
}

/// The server's `host:port`, for https:// and http:// URLs.
fn host_port(server: &ServerProcess) -> String {
    server.addr.trim_start_matches("http://").to_owned()
}

/// An error with its causes: the message says what failed, the sources why.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

async fn classifies(addr: &str, tls: Option<&ClientTlsConfig>) -> Result<String, String> {
    let mut client = Client::connect_with(addr, tls).await.map_err(|e| chain(&e))?;
    let response = client
        .classify(vec![tweet("1", "Grève générale jeudi contre la réforme")], None)
        .await
        .map_err(|e| chain(&e))?;
    Ok(response.model_version)
}

#[tokio::test]
async fn tls_serves_clients_that_trust_its_ca_and_only_them() {
    let pki = Pki::new();
    let data = tempfile::tempdir().expect("dir");
    let server = pki.serve(data.path(), false);
    let https = format!("https://{}", host_port(&server));
    let https_localhost = https.replace("127.0.0.1", "localhost");

    classifies(&https, Some(&pki.trusting("server-ca"))).await.expect("TLS with the right CA, by IP");
    classifies(&https_localhost, Some(&pki.trusting("server-ca"))).await.expect("TLS with the right CA, by name");
    let wrong_ca = classifies(&https, Some(&pki.trusting("rogue-ca"))).await.expect_err("another CA");
    assert!(wrong_ca.to_lowercase().contains("certificate"), "{wrong_ca}");
    classifies(&format!("http://{}", host_port(&server)), None).await.expect_err("plain HTTP/2 to a TLS port");
    let wrong_name = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(pki.read("server-ca.pem")))
        .domain_name("someone-else.example");
    classifies(&https, Some(&wrong_name)).await.expect_err("a name the certificate does not hold");
}

#[tokio::test]
async fn the_trainer_still_wants_its_token_over_tls() {
    let pki = Pki::new();
    let data = tempfile::tempdir().expect("dir");
    let server = pki.serve(data.path(), false);
    let https = format!("https://{}", host_port(&server));
    let tls = pki.trusting("server-ca");

    let mut wrong = client::connect_admin_with(&https, "not-the-token", Some(&tls)).await.expect("connect");
    let status = wrong.list_models(ListModelsRequest {}).await.expect_err("wrong token");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    let channel = client::connect_channel_with(&https, Some(&tls)).await.expect("connect");
    let status = tweetguide::proto::v1::trainer_client::TrainerClient::new(channel)
        .list_models(ListModelsRequest {})
        .await
        .expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    let mut admin = client::connect_admin_with(&https, TOKEN, Some(&tls)).await.expect("connect");
    let models = admin.list_models(ListModelsRequest {}).await.expect("right token").into_inner();
    assert_eq!(models.models.len(), 1);
}

#[tokio::test]
async fn mutual_tls_wants_a_client_certificate_of_its_ca() {
    let pki = Pki::new();
    let data = tempfile::tempdir().expect("dir");
    let server = pki.serve(data.path(), true);
    let https = format!("https://{}", host_port(&server));

    classifies(&https, Some(&pki.with_identity("server-ca", "client"))).await.expect("client certificate of the CA");
    classifies(&https, Some(&pki.trusting("server-ca"))).await.expect_err("no client certificate");
    classifies(&https, Some(&pki.with_identity("server-ca", "rogue-client"))).await.expect_err("another CA's client");
    let mut admin = client::connect_admin_with(&https, "wrong", Some(&pki.with_identity("server-ca", "client")))
        .await
        .expect("mTLS");
    let status = admin.list_models(ListModelsRequest {}).await.expect_err("a certificate is not a token");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[test]
fn the_cli_speaks_tls_and_mutual_tls() {
    let pki = Pki::new();
    let data = tempfile::tempdir().expect("dir");
    let server = pki.serve(data.path(), true);
    let https = format!("https://{}", host_port(&server));
    let run = |extra: &[String]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tweetguide"))
            .args(["classify", "--addr", &https, "--labels", "Nouvelle collection en boutique, -30% ce week-end"])
            .args(extra)
            .output()
            .expect("run classify")
    };
    let ok = run(&[
        "--ca".into(),
        pki.arg("server-ca.pem"),
        "--client-cert".into(),
        pki.arg("client.pem"),
        "--client-key".into(),
        pki.arg("client.key"),
    ]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "self_promotion");
    let refused = run(&["--ca".into(), pki.arg("server-ca.pem")]);
    assert!(!refused.status.success(), "mTLS server accepted a client without a certificate");

    let models = std::process::Command::new(env!("CARGO_BIN_EXE_tweetguide"))
        .args(["models", "list", "--addr", &https, "--ca", &pki.arg("server-ca.pem")])
        .args(["--client-cert", &pki.arg("client.pem"), "--client-key", &pki.arg("client.key")])
        .env("TWEETGUIDE_ADMIN_TOKEN", TOKEN)
        .output()
        .expect("run models list");
    assert!(models.status.success(), "{}", String::from_utf8_lossy(&models.stderr));
}
