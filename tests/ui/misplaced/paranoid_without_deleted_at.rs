use orm_core::prelude::*;

#[derive(Model)]
#[orm(paranoid)]
struct Note {
    id: i64,
    text: String,
}

fn main() {}
