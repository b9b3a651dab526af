//! The blog's migration CLI: `orm-migrate`'s commands, knowing the models,
//! so `generate --auto` and `check` work:
//!
//! ```text
//! cargo run -p blog --bin migrate -- --dir examples/blog/migrations generate --name add-bio --auto
//! cargo run -p blog --bin migrate -- --dir examples/blog/migrations check --server-url postgres://..
//! ```

fn main() -> std::process::ExitCode {
    orm_migrate::cli::main_with(blog::schema())
}
