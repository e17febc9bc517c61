use std::process::ExitCode;

fn main() -> ExitCode {
    mcp_oauth::cli::main()
}
