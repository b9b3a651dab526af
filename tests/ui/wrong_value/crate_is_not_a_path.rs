use orm_core::prelude::*;

#[derive(Model)]
#[orm(crate = "not a path")]
struct Tag {
    id: i64,
}

fn main() {}
