use orm_core::prelude::*;

#[derive(DbEnum, Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
enum Role {
    Admin,
    Member,
}

#[derive(Model)]
struct User {
    id: i64,
    #[orm(default = "member")]
    role: Role,
}

fn main() {}
