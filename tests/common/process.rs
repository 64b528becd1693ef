//! The real `tweetguide serve` binary as a child process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    pub child: Child,
    pub addr: String,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// The data folder of a server started without `--data-dir`: its own,
    /// never the user's, removed with the process.
    _data: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `tweetguide serve` on an ephemeral port with extra arguments and
    /// environment, and waits until it logs its address.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        ServerProcess::start_with(args, env, |_| {})
    }

    /// Like [`ServerProcess::start`], with a last say on the command (resource
    /// limits, user, `pre_exec` hooks...).
    pub fn start_with(args: &[&str], env: &[(&str, &str)], configure: impl FnOnce(&mut Command)) -> ServerProcess {
        let (mut command, data) = serve_command(args, env);
        configure(&mut command);
        let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn server");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log_writer = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split(" addr=").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                }
                log_writer.lock().expect("log lock").push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            if let Ok(addr) = rx.recv_timeout(Duration::from_millis(100)) {
                break addr;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("server exited early with {status}: {:?}", log.lock().expect("log"));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("server did not start: {:?}", log.lock().expect("log"));
            }
        };
        ServerProcess { child, addr: format!("http://{addr}"), log, _data: data }
    }

    /// Sends a signal and waits for the exit status.
    pub fn signal_and_wait(mut self, signal: &str) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-s", signal, &pid]).status().expect("kill");
        self.child.wait().expect("wait")
    }
}

/// `tweetguide serve` on an ephemeral port unless the arguments give an
/// `--addr`, logging at info level, with a data folder of its own unless the
/// arguments or `env` name one (the user's data folder would carry state from
/// one test run to the next).
fn serve_command(args: &[&str], env: &[(&str, &str)]) -> (Command, tempfile::TempDir) {
    let data = tempfile::tempdir().expect("temp data dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetguide"));
    command.arg("serve");
    if !args.contains(&"--addr") {
        command.arg("--addr").arg("127.0.0.1:0");
    }
    command.args(args);
    command.env("RUST_LOG", "info").env_remove("TWEETGUIDE_ADDR").env("TWEETGUIDE_DATA_DIR", data.path());
    for (key, value) in env {
        command.env(key, value);
    }
    (command, data)
}

/// Runs `tweetguide serve` expecting it to stop by itself (a refused start);
/// returns its exit status and stderr. Killed, and the test failed, if it
/// starts serving instead.
pub fn serve_until_exit(args: &[&str], env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let (mut command, _data) = serve_command(args, env);
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server did not stop by itself: {}", reader.join().expect("reader"));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status, reader.join().expect("reader"))
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
