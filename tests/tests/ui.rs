//! Mistakes in `#[derive(Model)]` / `#[derive(DbEnum)]` are compile errors
//! that point at the offending token; one file per mistake, in folders
//! named by the kind of mistake.

#[test]
fn derive_mistakes_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*/*.rs");
    // What must compile: the prelude beside models named `Order`, `Condition`, `Lock`.
    t.pass("ui-pass/*.rs");
}
