// NOT MAPPED (left out, no Rust type): hs_people.total: INTEGER (a generated column, read-only)
// NOT MAPPED (left out, no Rust type): hs_people.big: NUMERIC(40, 0)
//! Models read from the database by `orm-migrate introspect`: review
//! the names, types and associations before relying on them.

use orm_core::prelude::*;

// NOT MAPPED: table `hs_loose` has no primary key, which a model needs; add one to map it.

#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HsPeopleState {
    #[serde(rename = "in-progress")]
    InProgress,
    #[serde(rename = "in_progress")]
    InProgress2,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "hs_people", timestamps = false)]
pub struct HsPeople {
    pub id: i64,
    #[orm(column = "Name", text)]
    pub name: String,
    #[orm(column = "a-b")]
    pub a_b: Option<i64>,
    #[orm(column = "a_b")]
    pub a_b_2: Option<i64>,
    #[orm(column = "größe")]
    pub gr_e: Option<i64>,
    #[orm(column = "grüße")]
    pub gr_e_2: Option<i64>,
    #[orm(column = "type", text)]
    pub type_: Option<String>,
    pub state: HsPeopleState,
    #[orm(default = 1)]
    pub qty: i64,
    pub amount: Option<rust_decimal::Decimal>,
}
