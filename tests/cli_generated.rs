//! `completions/` and `man/` must match what the current clap definition generates.

#[path = "common/cli.rs"]
mod cli;

use std::path::Path;

const REGENERATE: &str =
    "regenerate them with `MCP_OAUTH_REGENERATE=1 cargo test --test cli_generated` and commit the result";

#[test]
fn completions_and_man_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("MCP_OAUTH_REGENERATE").is_some() {
        let n = mcp_oauth::cli::completions::write_assets(root).expect("write completions/ and man/");
        eprintln!("wrote {n} files under completions/ and man/");
        return;
    }
    let expected = mcp_oauth::cli::completions::render_assets();
    let mut stale = Vec::new();
    for (path, content) in &expected {
        match std::fs::read(root.join(path)) {
            Ok(on_disk) if on_disk == *content => {}
            Ok(_) => stale.push(format!("{} is out of date", path.display())),
            Err(_) => stale.push(format!("{} is missing", path.display())),
        }
    }
    for dir in ["completions", "man"] {
        for entry in std::fs::read_dir(root.join(dir)).into_iter().flatten().flatten() {
            let relative = Path::new(dir).join(entry.file_name());
            if !expected.iter().any(|(p, _)| *p == relative) {
                stale.push(format!("{} is no longer generated", relative.display()));
            }
        }
    }
    assert!(stale.is_empty(), "{}; {REGENERATE}", stale.join(", "));
}

#[test]
fn there_is_a_man_page_for_every_subcommand() {
    let names: Vec<String> = mcp_oauth::cli::completions::render_assets()
        .into_iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    for page in [
        "man/mcp-oauth.1",
        "man/mcp-oauth-migrate.1",
        "man/mcp-oauth-migrate-rollback.1",
        "man/mcp-oauth-client-register.1",
        "man/mcp-oauth-client-rotate.1",
        "man/mcp-oauth-user-add.1",
        "man/mcp-oauth-token-revoke.1",
        "man/mcp-oauth-token-cleanup.1",
        "man/mcp-oauth-stats.1",
        "completions/mcp-oauth.bash",
        "completions/_mcp-oauth",
        "completions/mcp-oauth.fish",
        "completions/_mcp-oauth.ps1",
        "completions/mcp-oauth.elv",
    ] {
        assert!(names.iter().any(|n| n == page), "{page} not in {names:?}");
    }
}

#[test]
fn the_completions_command_prints_a_script() {
    cli::Test::new()
        .args(["completions", "bash"])
        .stdout("_mcp__oauth()")
        .run();
}
