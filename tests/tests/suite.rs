//! The integration suite as one test binary: one module per capability
//! (each module's tests run on SQLite, PostgreSQL and MariaDB through the
//! `orm_tests` harness). One binary links orm-core and its drivers once,
//! where a binary per file linked them thirty times. `faults.rs`, which
//! stops and restarts the real servers, stays a binary of its own: cargo
//! runs test binaries one at a time, so nothing else runs while a server
//! is down. `ui.rs` (the trybuild compile-error cases) is one too, so its
//! compile does not run beside the suite's timing-sensitive tests.

mod after_commit;
mod app_errors;
mod associations;
mod composite_keys;
mod connect;
mod constraints;
mod crud;
mod eager;
mod errors;
mod expressions;
mod golden;
mod grouping;
mod hostile;
mod hostile_schema;
mod insert_many;
mod integrity;
mod introspect;
mod json;
mod keyset;
mod large_statements;
mod locks;
mod model_api;
mod model_power;
mod nested_create;
mod oracle;
mod polymorphic;
mod query;
mod reliability;
mod replicas;
mod retries;
mod roundtrip;
mod sandboxes;
mod schema;
mod spans;
mod sqlite_driver;
mod subqueries;
mod text_keys;
mod timeouts;
mod transactions;
mod types;
mod validation;
mod visibility;
