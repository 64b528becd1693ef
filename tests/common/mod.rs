//! A real server on an ephemeral loopback port, for integration tests.

#![allow(dead_code)]

pub mod process;
pub mod rng;

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tweetguide::model::Model;
use tweetguide::server::{self, ServerError, ServerOptions, Services};

pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(ServerOptions::default()).await
    }

    pub async fn start_with(options: ServerOptions) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let services = Services::read_only(Model::embedded_default().expect("default model"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, services, options, async move {
            let _ = stopped.await;
        }));
        TestServer { addr, stop: Some(stop), task: Some(task) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn channel(&self) -> tonic::transport::Channel {
        tweetguide::client::connect_channel(&self.url()).await.expect("connect")
    }

    /// Sends the shutdown signal without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Signals shutdown and waits for the server to return.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        self.begin_shutdown();
        self.task.take().expect("running").await.expect("server task")
    }
}

pub fn tweet(id: impl Into<String>, text: impl Into<String>) -> tweetguide::proto::v1::Tweet {
    tweetguide::proto::v1::Tweet { id: id.into(), text: text.into(), ..Default::default() }
}

/// A small model trained in-process, different for each `topic`.
pub fn tiny_model_file(dir: &std::path::Path, topic: &str) -> (std::path::PathBuf, String) {
    let words = ["vote election minister", "shop discount order", "read article thread"];
    let tweets: Vec<tweetguide::corpus::LabelledTweet> = (0..18)
        .map(|i| tweetguide::corpus::LabelledTweet {
            text: format!("{topic} {} number{}", words[i % 3], i / 3),
            label: tweetguide::Label::ALL[i % 3],
            lang: None,
        })
        .collect();
    let params =
        tweetguide::model::TrainParams::default().alphas(vec![1.0]).folds(2).min_df(1).check().expect("params");
    let data = tweetguide::model::TrainingData::single("tiny", &tweets);
    let model = tweetguide::model::train(&data, tweetguide::model::HeldOut::default(), &params).expect("train");
    let path = dir.join(format!("{topic}.model"));
    model.save(&path).expect("save");
    (path, model.id().to_owned())
}
