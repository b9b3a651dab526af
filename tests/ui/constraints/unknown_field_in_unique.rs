use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false, unique(tenant_id, emial), index(tenant_id))]
struct Account {
    id: i64,
    tenant_id: i64,
    email: String,
}

fn main() {}
