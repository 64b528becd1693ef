//! Client commands of the Trainer service: `examples add`, `retrain`,
//! `models list|show|activate`. They all need the admin token.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use tweetguide::client::{self, AdminClient, Patience};
use tweetguide::corpus::{self, Rules};
use tweetguide::proto::v1::{
    self, ActivateModelRequest, AddExamplesRequest, GetModelRequest, LabelledTweet, ListModelsRequest,
    ListModelsResponse, ModelVersion, RetrainRequest, Tweet,
};
use tweetguide::server::TOKEN_FILE;

/// How to reach the Trainer service.
#[derive(Debug, Args)]
pub struct Connection {
    /// Server to use.
    #[arg(long, value_name = "URL", env = "TWEETGUIDE_SERVER", default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// Admin token; else `TWEETGUIDE_ADMIN_TOKEN`, else the token file the
    /// server wrote in its data directory.
    #[arg(long, env = "TWEETGUIDE_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The server's data directory, to find its token file.
    #[arg(long, env = "TWEETGUIDE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    tls: super::tls::ClientTlsArgs,
    /// How long the server may take to answer a call (connecting takes at most
    /// 10 s of it), e.g. `30s`, `5m`; by default 10m for `retrain`, 1m per batch
    /// for `examples add`, 30s otherwise.
    #[arg(long, value_parser = super::serve::parse_duration)]
    timeout: Option<Duration>,
}

/// Retraining adds every stored example to the base model and evaluates the
/// result: minutes on a large example store.
const RETRAIN_TIMEOUT: Duration = Duration::from_secs(600);

/// A batch of up to 10,000 examples, written durably.
const ADD_EXAMPLES_TIMEOUT: Duration = Duration::from_secs(60);

/// Reading or switching model versions.
const MODELS_TIMEOUT: Duration = Duration::from_secs(30);

impl Connection {
    fn token(&self) -> anyhow::Result<String> {
        if let Some(token) = self.token.as_ref().filter(|t| !t.trim().is_empty()) {
            return Ok(token.trim().to_owned());
        }
        let path = super::serve::data_dir(self.data_dir.as_ref())?.join(TOKEN_FILE);
        let token = std::fs::read_to_string(&path).with_context(|| {
            format!("no admin token: pass --token, set TWEETGUIDE_ADMIN_TOKEN, or let me read {}", path.display())
        })?;
        Ok(token.trim().to_owned())
    }

    /// Where the token came from, for a server that refuses it.
    fn token_source(&self) -> String {
        if self.token.as_ref().is_some_and(|t| !t.trim().is_empty()) {
            return if std::env::var("TWEETGUIDE_ADMIN_TOKEN").ok() == self.token {
                "the TWEETGUIDE_ADMIN_TOKEN variable".to_owned()
            } else {
                "--token".to_owned()
            };
        }
        match super::serve::data_dir(self.data_dir.as_ref()) {
            Ok(dir) => format!(
                "{} (--data-dir or TWEETGUIDE_DATA_DIR names the server's folder)",
                dir.join(TOKEN_FILE).display()
            ),
            Err(_) => "the token file".to_owned(),
        }
    }

    /// Turns the server's refusal of the token into a message that says
    /// which token was sent and how to send another.
    fn explainer(&self) -> impl FnOnce(anyhow::Error) -> anyhow::Error + use<> {
        let (addr, source) = (self.addr.clone(), self.token_source());
        move |error| {
            let refused = error.chain().any(|cause| {
                matches!(cause.downcast_ref::<client::ClientError>(), Some(client::ClientError::Status(status)) if status.code() == tonic::Code::Unauthenticated)
            });
            if refused { error.context(format!("{addr} refused the admin token read from {source}")) } else { error }
        }
    }

    /// The client, and how long its calls may take (`default` unless `--timeout` says).
    async fn connect(&self, default: Duration) -> anyhow::Result<(AdminClient, Patience)> {
        let tls = self.tls.config(&self.addr)?;
        let timeout = self.timeout.unwrap_or(default);
        let client = client::connect_admin_within(&self.addr, &self.token()?, tls.as_ref(), timeout).await?;
        Ok((client, Patience::new(&self.addr, timeout)))
    }
}

#[derive(Debug, Subcommand)]
pub enum ExamplesCommand {
    /// Send labelled tweets (JSONL like training-data/: `text`, `label`, optional `lang`).
    Add {
        #[command(flatten)]
        connection: Connection,
        /// The labelled file (`-` for stdin).
        #[arg(long)]
        input: PathBuf,
        /// Examples per request.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
    },
}

#[derive(Debug, Args)]
pub struct RetrainArgs {
    #[command(flatten)]
    connection: Connection,
    /// Activate the new model even if it scores worse.
    #[arg(long)]
    force: bool,
    /// How much lower its held-out macro-F1 may be and still be activated.
    #[arg(long)]
    tolerance: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// The kept versions.
    List {
        #[command(flatten)]
        connection: Connection,
    },
    /// One version's figures.
    Show {
        #[command(flatten)]
        connection: Connection,
        /// Version id (the active one when absent).
        id: Option<String>,
    },
    /// Make a kept version active (roll back or forward).
    Activate {
        #[command(flatten)]
        connection: Connection,
        /// Version id.
        id: String,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

fn category_name(category: i32) -> &'static str {
    tweetguide::Label::from_wire(category).map_or("?", tweetguide::Label::as_str)
}

pub fn examples(command: ExamplesCommand) -> anyhow::Result<ExitCode> {
    let ExamplesCommand::Add { connection, .. } = &command;
    let explain = connection.explainer();
    add_examples(command).map_err(explain)
}

fn add_examples(command: ExamplesCommand) -> anyhow::Result<ExitCode> {
    let ExamplesCommand::Add { connection, input, batch } = command;
    let reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(BufReader::new(File::open(&input).with_context(|| format!("cannot open {}", input.display()))?))
    };
    // Read and check the whole file first: a bad line stops everything
    // before anything is sent.
    let mut examples = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: unreadable line", input.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let tweet = corpus::parse_line(&line, Rules::EXAMPLES)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", input.display(), i + 1))?;
        examples.push(LabelledTweet {
            tweet: Some(Tweet { id: (i + 1).to_string(), text: tweet.text, ..Default::default() }),
            label: v1::Category::from(tweet.label) as i32,
            lang: tweet.lang.map(|l| l.as_str().to_owned()).unwrap_or_default(),
        });
    }
    if examples.is_empty() {
        bail!("{} holds no labelled tweet", input.display());
    }
    runtime()?.block_on(async {
        let (client, patience) = connection.connect(ADD_EXAMPLES_TIMEOUT).await?;
        let bar = super::classify::progress_bar("examples sent");
        let (mut added, mut updated, mut duplicates, mut total) = (0, 0, 0, 0);
        for chunk in examples.chunks(batch.clamp(1, 10_000)) {
            // A batch is stored whole or not at all, and storing it again
            // changes nothing: safe to send again when the server was unavailable.
            let response = patience
                .retrying(|| {
                    let mut client = client.clone();
                    let request = AddExamplesRequest { examples: chunk.to_vec() };
                    async move { client.add_examples(request).await }
                })
                .await?;
            for r in &response.relabelled {
                let line = chunk.get(r.index as usize).and_then(|e| e.tweet.as_ref()).map_or("?", |t| t.id.as_str());
                bar.suspend(|| {
                    eprintln!(
                        "line {line}: relabelled from {} to {}",
                        category_name(r.previous_label),
                        category_name(r.label)
                    )
                });
            }
            added += response.added;
            updated += response.updated;
            duplicates += response.duplicates;
            total = response.total_examples;
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        println!("{added} added, {updated} relabelled, {duplicates} duplicates; {total} examples stored");
        Ok(ExitCode::SUCCESS)
    })
}

fn describe(v: &ModelVersion) -> String {
    let metrics = v.held_out.clone().unwrap_or_default();
    format!(
        "{}{}  {:<8} macro-F1 {:.4}  accuracy {:.4}  {} examples ({} added)  {} features  {}",
        if v.active { "* " } else { "  " },
        v.id,
        v.origin,
        metrics.macro_f1,
        metrics.accuracy,
        v.training_examples,
        v.added_examples,
        v.vocabulary_size,
        v.created_at
            .as_ref()
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
            .map(|d| d.to_rfc3339())
            .unwrap_or_default()
    )
}

pub fn retrain(args: RetrainArgs) -> anyhow::Result<ExitCode> {
    let explain = args.connection.explainer();
    run_retrain(args).map_err(explain)
}

fn run_retrain(args: RetrainArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let (mut client, patience) = args.connection.connect(RETRAIN_TIMEOUT).await?;
        let bar = super::classify::progress_bar("retraining");
        // Never repeated: each retrain keeps a new model version.
        let response =
            patience.once(client.retrain(RetrainRequest { force: args.force, tolerance: args.tolerance })).await;
        bar.finish_and_clear();
        let response = response?;
        if let Some(previous) = &response.previous {
            println!("previous   {}", describe(previous));
        }
        if let Some(candidate) = &response.candidate {
            println!("candidate  {}", describe(candidate));
        }
        println!(
            "{} in {:.1}s: {}",
            if response.activated { "activated" } else { "not activated" },
            response.training_seconds,
            response.reason
        );
        if response.held_out_overlap > 0 {
            println!("{} stored examples are in the held-out file and were not trained on", response.held_out_overlap);
        }
        Ok(ExitCode::SUCCESS)
    })
}

async fn list_models(client: &AdminClient, patience: &Patience) -> Result<ListModelsResponse, client::ClientError> {
    patience
        .retrying(|| {
            let mut client = client.clone();
            async move { client.list_models(ListModelsRequest {}).await }
        })
        .await
}

pub fn models(command: ModelsCommand) -> anyhow::Result<ExitCode> {
    let (ModelsCommand::List { connection }
    | ModelsCommand::Show { connection, .. }
    | ModelsCommand::Activate { connection, .. }) = &command;
    let explain = connection.explainer();
    run_models(command).map_err(explain)
}

fn run_models(command: ModelsCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match command {
            ModelsCommand::List { connection } => {
                let (client, patience) = connection.connect(MODELS_TIMEOUT).await?;
                let list = list_models(&client, &patience).await?;
                for v in &list.models {
                    println!("{}", describe(v));
                }
            }
            ModelsCommand::Show { connection, id } => {
                let (client, patience) = connection.connect(MODELS_TIMEOUT).await?;
                let id = match id {
                    Some(id) => id,
                    None => list_models(&client, &patience).await?.active,
                };
                let v = patience
                    .retrying(|| {
                        let (mut client, id) = (client.clone(), id.clone());
                        async move { client.get_model(GetModelRequest { id }).await }
                    })
                    .await?;
                println!("{}", describe(&v));
                println!("parent {}  alpha {}  data sha256 {}", v.parent, v.alpha, v.data_sha256);
                if let Some(m) = v.held_out {
                    for c in &m.per_class {
                        println!(
                            "  {:<15} precision {:.4}  recall {:.4}  f1 {:.4}  support {}",
                            category_name(c.label),
                            c.precision,
                            c.recall,
                            c.f1,
                            c.support
                        );
                    }
                }
            }
            ModelsCommand::Activate { connection, id } => {
                let (client, patience) = connection.connect(MODELS_TIMEOUT).await?;
                // Activating the active version again changes nothing: safe to repeat.
                let response = patience
                    .retrying(|| {
                        let (mut client, id) = (client.clone(), id.clone());
                        async move { client.activate_model(ActivateModelRequest { id }).await }
                    })
                    .await?;
                if let Some(model) = &response.model {
                    println!("active now: {}", describe(model));
                }
                println!("was: {}", response.previous);
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
