//! The docs run: every shell block of README.md and docs/*.md marked
//! ```` ```sh,test ```` is run, and fails the test on a non-zero exit or on
//! output that no longer matches what the doc quotes.
//!
//! - The blocks of one file run in order in one `bash` session (variables,
//!   `export`s and background jobs carry over), in a fresh temporary
//!   directory holding a link to the repository's `deploy/`, with the built
//!   `fengqiao` first on PATH and no `FENGQIAO_*` variable inherited. A
//!   block may start a node in the background (`… &`); everything the
//!   session started is killed at the end (its process group).
//! - A block is run under `set -e`: the first command that fails stops it.
//! - A block followed (blank lines apart) by a ```` ```text,output ````
//!   block must print exactly that on stdout, where a line `...` stands for
//!   any number of lines and `...` inside a line for any text.
//! - A block that calls `npx` is skipped, saying so, when `npx` is not
//!   installed.
//!
//! How to mark a block is in docs/ARCHITECTURE.md ("Tests").

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fengqiao_tests::fengqiao_binary;

/// How long the blocks of one file may take together.
const FILE_TIMEOUT: Duration = Duration::from_secs(600);

/// A marked block: where it starts, its commands, the output it quotes.
#[derive(Debug, Clone, PartialEq)]
struct Block {
    line: usize,
    script: String,
    expected: Option<String>,
}

/// The marked blocks of a Markdown text, in order.
fn marked_blocks(markdown: &str) -> Vec<Block> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut blocks: Vec<Block> = Vec::new();
    let mut index = 0;
    // The line of the fence that closed the last marked block.
    let mut last_marked_end = None;
    while index < lines.len() {
        let Some((fence, info)) = opening_fence(lines[index]) else {
            index += 1;
            continue;
        };
        let start = index;
        let mut body = Vec::new();
        index += 1;
        while index < lines.len() && lines[index].trim_start() != fence {
            body.push(lines[index]);
            index += 1;
        }
        let end = index;
        index += 1;
        let text = body.iter().map(|line| format!("{line}\n")).collect::<String>();
        match info.as_str() {
            "sh,test" => {
                blocks.push(Block { line: start + 1, script: text, expected: None });
                last_marked_end = Some(end);
            }
            "text,output" => {
                // Only right after a marked block, blank lines apart.
                let previous_end = lines[..start].iter().rposition(|line| !line.trim().is_empty());
                let follows =
                    blocks.last_mut().filter(|_| previous_end.is_some() && previous_end == last_marked_end);
                match follows {
                    Some(block) if block.expected.is_none() => block.expected = Some(text),
                    _ => panic!("line {}: a text,output block must follow a sh,test block", start + 1),
                }
            }
            _ => {}
        }
    }
    blocks
}

/// "```sh,test" → ("```", "sh,test"); `None` for a line that opens no block.
fn opening_fence(line: &str) -> Option<(String, String)> {
    let trimmed = line.trim_start();
    let ticks = trimmed.chars().take_while(|c| *c == '`').count();
    if ticks < 3 {
        return None;
    }
    Some(("`".repeat(ticks), trimmed[ticks..].trim().to_owned()))
}

/// Whether `output` is what `expected` quotes (`...` wildcards).
fn matches(expected: &str, output: &str) -> bool {
    let expected: Vec<&str> = expected.lines().collect();
    let output: Vec<&str> = output.lines().collect();
    lines_match(&expected, &output)
}

fn lines_match(expected: &[&str], output: &[&str]) -> bool {
    match expected.split_first() {
        None => output.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=output.len()).any(|skip| lines_match(rest, &output[skip..]))
        }
        Some((first, rest)) => output
            .split_first()
            .is_some_and(|(line, more)| line_matches(first, line) && lines_match(rest, more)),
    }
}

fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    if parts.len() == 1 {
        return pattern.trim_end() == line.trim_end();
    }
    let line = line.trim_end();
    let (first, last) = (parts[0], parts[parts.len() - 1].trim_end());
    if !line.starts_with(first) || line.len() < first.len() + last.len() || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Runs the marked blocks of `doc` (relative to the repository) in one
/// session; panics naming the first block that fails.
fn run_doc(doc: &str) {
    let markdown = std::fs::read_to_string(repository().join(doc)).expect("the doc");
    let blocks = marked_blocks(&markdown);
    assert!(!blocks.is_empty(), "{doc} has no ```sh,test block");
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    std::os::unix::fs::symlink(repository().join("deploy"), work.join("deploy")).unwrap();
    let mut session = String::from("set -e\n");
    let mut run = Vec::new();
    for (number, block) in blocks.iter().enumerate() {
        if block.script.contains("npx ") && !on_path("npx") {
            eprintln!("{doc}:{}: skipped: npx is not installed (the block runs buf through it)", block.line);
            continue;
        }
        std::fs::write(work.join(format!(".block-{number}.sh")), &block.script).unwrap();
        session.push_str(&format!(
            "echo {number} > .started\n. ./.block-{number}.sh > .block-{number}.out 2> .block-{number}.err\n"
        ));
        run.push(number);
    }
    session.push_str("echo done > .started\n");
    let binary = fengqiao_binary();
    let path = std::env::join_paths(
        std::iter::once(binary.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let mut command = Command::new("bash");
    command.arg("-c").arg(&session).current_dir(work).env("PATH", path).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FENGQIAO") {
            command.env_remove(name);
        }
    }
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("bash");
    let group = child.id();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > FILE_TIMEOUT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Whatever the session started in the background ends with it.
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{group}")]).stderr(Stdio::null()).status();
    let _ = child.wait();
    let mut session_err = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut session_err);
    }
    let read = |name: String| std::fs::read_to_string(work.join(name)).unwrap_or_default();
    let reached = read(".started".into());
    let reached = reached.trim();
    for number in run {
        let block = &blocks[number];
        let out = read(format!(".block-{number}.out"));
        let err = read(format!(".block-{number}.err"));
        let place = format!("{doc}:{} (```sh,test block {number})", block.line);
        if reached == number.to_string() {
            match status {
                None => {
                    panic!("{place} did not finish within {FILE_TIMEOUT:?}\nstdout:\n{out}\nstderr:\n{err}")
                }
                Some(status) => panic!(
                    "{place} failed ({status})\n--- script\n{}--- stdout\n{out}--- stderr\n{err}{session_err}",
                    block.script
                ),
            }
        }
        if let Some(expected) = &block.expected {
            assert!(
                matches(expected, &out),
                "{place}: the output no longer matches the doc\n--- the doc quotes\n{expected}--- it printed\n{out}"
            );
        }
    }
    assert_eq!(reached, "done", "{doc}: the session ended early\n{session_err}");
}

#[test]
fn blocks_and_their_quoted_output_are_found() {
    let markdown = "text\n\n```sh,test\necho a\n```\n\n```text,output\na\n```\n\n```sh\nnot run\n```\n\
                    ````sh,test\nb\n````\n";
    let blocks = marked_blocks(markdown);
    assert_eq!(
        blocks,
        vec![
            Block { line: 3, script: "echo a\n".into(), expected: Some("a\n".into()) },
            Block { line: 14, script: "b\n".into(), expected: None },
        ]
    );
}

#[test]
fn quoted_output_matches_with_wildcards() {
    assert!(matches("SERVING\n", "SERVING\n"));
    assert!(!matches("SERVING\n", "NOT_SERVING\n"));
    assert!(matches("first\n...\nlast\n", "first\na\nb\nlast\n"));
    assert!(matches("first\n...\nlast\n", "first\nlast\n"));
    assert!(!matches("first\n...\nlast\n", "first\nlast\nmore\n"));
    assert!(matches(
        "accepted revision ... of ... (new)\n",
        "accepted revision 1 of 410411001001001 (new)\n"
    ));
    assert!(!matches("accepted revision ... (new)\n", "accepted revision 1 (duplicate)\n"));
    assert!(!matches("a\n", "a\nb\n"));
}

#[test]
fn readme() {
    run_doc("README.md");
}

#[test]
fn operations() {
    run_doc("docs/OPERATIONS.md");
}

#[test]
fn api() {
    run_doc("docs/API.md");
}
