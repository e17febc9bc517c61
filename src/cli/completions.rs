//! Shell completions and man pages, generated from the one clap definition.
//!
//! `mcp-oauth completions SHELL` prints one script (for installing by hand). The files in
//! `completions/` and `man/` are written by [`write_assets`]; `tests/cli_generated.rs` fails
//! when they are stale, and rewrites them when asked to:
//!
//! ```text
//! MCP_OAUTH_REGENERATE=1 cargo test --test cli_generated
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, CommandFactory};
use clap_complete::{Generator, Shell};

use super::Cli;

/// The binary's name, as the scripts and pages call it.
const BIN: &str = "mcp-oauth";
/// The shells `completions/` holds a script for.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    mcp-oauth completions bash > ~/.local/share/bash-completion/completions/mcp-oauth\n  \
    mcp-oauth completions zsh > ~/.zfunc/_mcp-oauth\n  \
    mcp-oauth completions fish > ~/.config/fish/completions/mcp-oauth.fish")]
pub struct CompletionsArgs {
    /// The shell to print a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run_completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut Cli::command(), BIN, &mut out);
    Ok(ExitCode::SUCCESS)
}

/// Every generated file: its path relative to the repository root, and its content.
pub fn render_assets() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for shell in SHELLS {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), BIN, &mut buf);
        files.push((Path::new("completions").join(shell.file_name(BIN)), buf));
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    render_man(&cmd, &mut files);
    files
}

/// One page per command and subcommand (`mcp-oauth-client-register.1`), hidden ones left out.
fn render_man(cmd: &clap::Command, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render(&mut buf).expect("rendering into memory cannot fail");
    files.push((Path::new("man").join(man.get_filename()), buf));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render_man(sub, files);
    }
}

/// Writes every generated file under `root`, removing stale ones left in `completions/` and
/// `man/` by renamed or removed commands. Returns how many files it wrote.
pub fn write_assets(root: &Path) -> anyhow::Result<usize> {
    let files = render_assets();
    for dir in ["completions", "man"] {
        let dir = root.join(dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            if path.is_file() && !files.iter().any(|(p, _)| *p == relative) {
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing the stale {}", path.display()))?;
            }
        }
    }
    for (path, content) in &files {
        let path = root.join(path);
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(files.len())
}
