//! `orm-migrate`: a thin main over `orm_migrate::cli`.

use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cli = orm_migrate::cli::Cli::parse();
    let print = |line: String| println!("{line}");
    if let Err(e) = orm_migrate::cli::run(cli, &print).await {
        let message = e.to_string().replace('\n', " ");
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
