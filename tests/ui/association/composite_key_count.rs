use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Order {
    id: i64,
    #[orm(foreign_key = ["tenant_id", "order_id"])]
    lines: HasMany<Line>,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Line {
    id: i64,
    tenant_id: i64,
    order_id: i64,
    #[orm(foreign_key = ["tenant_id", 7])]
    order: BelongsTo<Order>,
}

fn main() {}
