// Models named like the crate's own types, glob-imported beside the
// prelude: nothing is ambiguous (issue 29 §6).
mod models {
    use orm_core::prelude::*;

    #[derive(Model, Debug, Clone)]
    pub struct Order {
        pub id: i64,
        pub total: i64,
    }

    #[derive(Model, Debug, Clone)]
    pub struct Condition {
        pub id: i64,
        pub label: String,
    }

    #[derive(Model, Debug, Clone)]
    pub struct Lock {
        pub id: i64,
        pub holder: String,
    }
}

use models::*;
use orm_core::prelude::*;

fn main() {
    let _ = Order::find().filter(Order::TOTAL.gt(10)).to_sql(Dialect::Postgres);
    let _ = Condition::find().filter(Condition::LABEL.eq("x")).to_sql(Dialect::Sqlite);
    let _ = Lock::find().lock(orm_core::Lock::Update).to_sql(Dialect::MySql);
    let _: Option<NewOrder> = None;
}
