use orm_core::prelude::*;
use std::collections::HashMap;

#[derive(Model)]
struct User {
    id: i64,
    settings: HashMap<String, String>,
}

fn main() {}
