//! Every `curl` example of README.md, run in order against a real server, so
//! the documentation cannot go stale (issue 21).
//!
//! Each shell block (`sh`, `bash`, `shell`) that contains `curl` is run by bash with
//! `localhost:8000` replaced by the test server's address, in a scratch
//! directory, with `set -euo pipefail`. `curl` is wrapped in a shell function
//! that writes every answer's status and the script line that asked to
//! stderr, so each command's status is checked, including commands inside
//! `$(…)`, pipes and wait loops: 2xx, or the `→ NNN` written on the command.
//! Blocks that cannot run here are listed in [`SKIPPED`] with the reason, and
//! blocks that need a server of their own in [`OWN_SERVER`].

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::{spawn_app_with, spawn_app_with_engine, TestApp};

const README: &str = include_str!("../../README.md");

/// The address the examples are written for.
const DOCUMENTED_HOSTS: [&str; 2] = ["http://localhost:8000", "localhost:8000"];

/// Blocks not run, by a text unique to the block, with the reason. Empty
/// today: every example runs.
const SKIPPED: &[(&str, &str)] = &[];

/// Blocks run against a server of their own with these settings (by a text
/// unique to the block): the main server has no API keys.
const OWN_SERVER: &[(&str, &[(&str, &str)])] =
    &[("-H 'X-API-Key: s3cret'", &[("API_KEYS", "s3cret")])];

/// A fenced block of README.md.
struct Block {
    /// README line (1-based) of the block's first line of code.
    first_line: usize,
    lines: Vec<&'static str>,
}

impl Block {
    fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// One shell command of a block: its lines (with continuations).
struct CurlCommand {
    /// Block-relative first and last line (0-based).
    first: usize,
    last: usize,
    text: String,
}

/// Fences of shell code: a `curl` in any of them is an example to run.
const SHELL_FENCES: [&str; 3] = ["```sh", "```bash", "```shell"];

/// Every shell block of `readme` that mentions `curl`.
fn curl_blocks(readme: &'static str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in readme.lines().enumerate() {
        match current.take() {
            None if SHELL_FENCES.contains(&line.trim_end()) => {
                current = Some(Block {
                    first_line: i + 2,
                    lines: Vec::new(),
                });
            }
            None => {}
            Some(block) if line.trim_end() == "```" && block.lines.iter().any(|l| runs_curl(l)) => {
                blocks.push(block);
            }
            Some(_) if line.trim_end() == "```" => {}
            Some(mut block) => {
                block.lines.push(line);
                current = Some(block);
            }
        }
    }
    assert!(current.is_none(), "README.md has an unclosed ```sh block");
    blocks
}

/// Whether a line calls curl (not in a comment).
fn runs_curl(line: &str) -> bool {
    let code = line.split(" #").next().unwrap_or(line);
    !code.trim_start().starts_with('#')
        && code
            .split(|c: char| c.is_whitespace() || c == '(' || c == '$')
            .any(|word| word == "curl")
}

/// The block's commands that call curl, continuation lines joined.
fn curl_commands(block: &Block) -> Vec<CurlCommand> {
    let mut commands = Vec::new();
    let mut start: Option<usize> = None;
    for (i, line) in block.lines.iter().enumerate() {
        let first = *start.get_or_insert(i);
        let continues = line.trim_end().ends_with('\\') || line.trim_end().ends_with('|');
        if !continues {
            let text = block.lines[first..=i].join("\n");
            if block.lines[first..=i].iter().any(|l| runs_curl(l)) {
                commands.push(CurlCommand {
                    first,
                    last: i,
                    text,
                });
            }
            start = None;
        }
    }
    commands
}

/// The status a command must answer: the `→ NNN` written on it, else any 2xx.
fn expected_status(command: &str) -> Option<u16> {
    let (_, after) = command.split_once('→')?;
    after.trim_start().get(..3)?.parse().ok()
}

/// Lines the script has before the block's first line.
const PRELUDE: &str = "set -euo pipefail\n\
    curl() { command curl -w \"%{stderr}__readme_status %{http_code} ${BASH_LINENO[0]}\\n\" \"$@\"; }\n";

/// Run one block against `base` (e.g. `http://127.0.0.1:4321`) in `dir`;
/// panics with the README line of whatever went wrong.
async fn run_block(block: &Block, base: &str, dir: &std::path::Path) {
    let mut body = block.text();
    for host in DOCUMENTED_HOSTS {
        body = body.replace(host, base);
    }
    let script = format!("{PRELUDE}{body}\n");
    let offset = PRELUDE.lines().count() + 1;
    let dir = dir.to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("timeout")
            .args(["120", "bash", "-c", &script])
            .current_dir(dir)
            .output()
    })
    .await
    .unwrap()
    .expect("bash and timeout must be installed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let at = block.first_line;
    // (script line, status) of every curl call.
    let answers: Vec<(usize, u16)> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("__readme_status "))
        .map(|l| {
            let (status, line) = l.split_once(' ').expect("status and line");
            (line.parse().unwrap(), status.parse().unwrap())
        })
        .collect();
    let last_curl = answers.last().map_or(at, |(line, _)| line + at - offset);
    assert!(
        output.status.success(),
        "README.md block at line {at} failed ({}); its last curl (README.md line {last_curl}) answered {:?}:\n{}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status,
        answers.last().map(|(_, status)| status),
        block.text()
    );
    let commands = curl_commands(block);
    let mut matched = BTreeSet::new();
    for command in &commands {
        let readme_line = at + command.first;
        let range = (offset + command.first)..=(offset + command.last);
        let statuses: Vec<u16> = answers
            .iter()
            .enumerate()
            .filter(|(_, (line, _))| range.contains(line))
            .map(|(i, (_, status))| {
                matched.insert(i);
                *status
            })
            .collect();
        assert!(
            !statuses.is_empty(),
            "README.md line {readme_line}: the curl command did not run (or sets its own -w):\n{}",
            command.text
        );
        for status in statuses {
            match expected_status(&command.text) {
                Some(expected) => assert_eq!(
                    status, expected,
                    "README.md line {readme_line}:\n{}\nstderr:\n{stderr}",
                    command.text
                ),
                None => assert!(
                    (200..300).contains(&status),
                    "README.md line {readme_line} answered {status}:\n{}\nstdout:\n{stdout}\nstderr:\n{stderr}",
                    command.text
                ),
            }
        }
    }
    assert_eq!(
        matched.len(),
        answers.len(),
        "README.md block at line {at}: curl ran from lines no command was found on: {answers:?}"
    );
}

/// A LibreTranslate stand-in, so the translation examples run.
async fn libretranslate() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/translate"))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let text = format!(
                "[{}] {}",
                body["target"].as_str().unwrap_or_default(),
                body["q"].as_str().unwrap_or_default()
            );
            ResponseTemplate::new(200).set_body_json(json!({ "translatedText": text }))
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn every_curl_example_of_the_readme_runs() {
    let blocks = curl_blocks(README);
    assert!(blocks.len() >= 10, "found only {} blocks", blocks.len());
    let markers = SKIPPED.iter().map(|(m, _)| *m);
    for marker in markers.chain(OWN_SERVER.iter().map(|(m, _)| *m)) {
        let found = blocks.iter().filter(|b| b.text().contains(marker)).count();
        assert_eq!(found, 1, "{marker:?} must name exactly one block");
    }
    let translator = libretranslate().await;
    let uri = translator.uri();
    let app = spawn_app_with_engine(&[
        ("TRANSLATION_PROVIDER", "libretranslate"),
        ("LIBRETRANSLATE_URL", &uri),
    ])
    .await;
    let scratch = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for block in &blocks {
        let text = block.text();
        if SKIPPED.iter().any(|(marker, _)| text.contains(marker)) {
            continue;
        }
        if let Some((_, settings)) = OWN_SERVER.iter().find(|(m, _)| text.contains(m)) {
            let own: TestApp = spawn_app_with(settings).await;
            run_block(block, &own.address, scratch.path()).await;
        } else {
            run_block(block, &app.address, scratch.path()).await;
        }
        ran += 1;
    }
    assert_eq!(ran + SKIPPED.len(), blocks.len());
    // The examples really did what they say: the item audio and the files they saved.
    for file in [
        "item_1.wav",
        "huomenta.mp3",
        "huomenta.wav",
        "kiitos.wav",
        "tervehdys.wav",
    ] {
        let bytes = std::fs::metadata(scratch.path().join(file)).map_or(0, |m| m.len());
        assert!(bytes > 44, "{file}: {bytes} bytes");
    }
}

#[test]
fn commands_and_their_expected_statuses_are_found() {
    let block = Block {
        first_line: 10,
        lines: vec![
            "# a comment with curl in it",
            "x=$(curl -fsS a \\",
            "  -d '{}' |",
            "  sed s/a/b/)",
            "curl -sS b   # → 409 here",
            "echo done",
        ],
    };
    let commands = curl_commands(&block);
    assert_eq!(
        commands
            .iter()
            .map(|c| (c.first, c.last))
            .collect::<Vec<_>>(),
        [(1, 3), (4, 4)]
    );
    assert_eq!(expected_status(&commands[0].text), None);
    assert_eq!(expected_status(&commands[1].text), Some(409));
    assert!(!runs_curl("# curl in a comment"));
    assert!(runs_curl("until curl -fsS x | grep y; do sleep 1; done"));
}
