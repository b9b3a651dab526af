//! `orm-migrate`: a thin main over `orm_migrate::cli`.

fn main() -> std::process::ExitCode {
    orm_migrate::cli::main()
}
