use orm_core::prelude::*;

#[derive(Model)]
#[orm(validate = Self::check)]
struct Listing {
    id: i64,
    quantity: i32,
}

impl Listing {
    fn check(&self) -> bool {
        self.quantity > 0
    }
}

fn main() {}
