use orm_core::prelude::*;

#[derive(DbEnum, Debug, Clone, Copy)]
enum Role {
    Admin,
    Member,
}

fn main() {}
