//! The QingCloud API simulator binary (see `src/sim/`).

fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
