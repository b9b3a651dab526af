use orm_core::prelude::*;

#[derive(DbEnum, Clone, Copy)]
enum Role {
    Admin,
    Custom(u8),
}

fn main() {}
