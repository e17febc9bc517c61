//! Asking the operator: only on a terminal, and never waiting on a pipe or a cron job.
//!
//! A question that cannot be asked is an error naming the flag that answers it (exit 2), so a
//! script learns what to pass instead of hanging.

use std::io::IsTerminal;

use dialoguer::theme::ColorfulTheme;

use super::Failure;

/// Prompts need both: dialoguer reads keys from the terminal and draws on stderr.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub fn theme() -> ColorfulTheme {
    ColorfulTheme::default()
}

/// Asks `question` (default no) unless `yes`. Without a terminal, fails with `consequence`
/// and the advice to pass `--yes`; a "no" fails with exit 1 and changes nothing.
pub fn confirm(yes: bool, question: &str, consequence: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !interactive() {
        return Err(Failure::usage(format!(
            "{consequence}; re-run with --yes to confirm (there is no terminal to ask on)"
        )));
    }
    let confirmed = dialoguer::Confirm::with_theme(&theme())
        .with_prompt(question)
        .default(false)
        .interact()?;
    if confirmed {
        Ok(())
    } else {
        Err(Failure::failed("cancelled; nothing was changed"))
    }
}

/// Fails with exit 2 when a required answer is missing and there is no terminal to ask on.
pub fn require_flags(missing: &[&str], what: &str) -> anyhow::Result<()> {
    if missing.is_empty() || interactive() {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "{what} needs {}; there is no terminal to ask on, so pass {} (see --help)",
        missing.join(", "),
        if missing.len() == 1 { "it" } else { "them" },
    )))
}
