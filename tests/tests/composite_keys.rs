//! Composite foreign keys to composite primary keys (issue 28 §1):
//! `foreign_key = ["tenant_id", "order_no"]` on `BelongsTo`, `HasMany` and
//! `HasOne`, through includes (separate and joined), `exists`, the
//! association methods and nested create; the constraint made, enforced
//! and read back; a key with a NULL part matches nothing.

use orm_core::Snapshot;
use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
#[orm(table = "ck_orders", timestamps = false)]
struct Order {
    #[orm(primary_key)]
    tenant_id: i64,
    #[orm(primary_key)]
    order_no: i64,
    #[orm(length = 40)]
    customer: String,
    #[orm(foreign_key = ["tenant_id", "order_no"])]
    lines: HasMany<Line>,
    #[orm(foreign_key = ["tenant_id", "order_no"])]
    invoice: HasOne<Invoice>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "ck_lines", timestamps = false)]
struct Line {
    id: i64,
    tenant_id: i64,
    order_no: i64,
    #[orm(length = 40)]
    sku: String,
    #[orm(foreign_key = ["tenant_id", "order_no"], on_delete = "cascade")]
    order: BelongsTo<Order>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "ck_invoices", timestamps = false)]
struct Invoice {
    id: i64,
    tenant_id: Option<i64>,
    order_no: Option<i64>,
    total: i64,
    #[orm(foreign_key = ["tenant_id", "order_no"])]
    order: BelongsTo<Order>,
}

fn schema() -> Schema {
    Schema::new().model::<Order>().model::<Line>().model::<Invoice>()
}

fn line(sku: &str) -> NewLine {
    NewLine {
        tenant_id: 0,
        order_no: 0,
        sku: sku.into(),
    }
}

/// Orders (1, 1), (1, 2) and (2, 1): the same order number in two tenants.
async fn setup(t: &TestDb) -> Vec<Order> {
    schema().sync(&t.db).await.unwrap();
    let mut orders = Vec::new();
    for (tenant_id, order_no, customer) in [(1, 1, "ann"), (1, 2, "bob"), (2, 1, "cy")] {
        orders.push(
            Order::create(
                &t.db,
                NewOrder {
                    tenant_id,
                    order_no,
                    customer: customer.into(),
                },
            )
            .await
            .unwrap(),
        );
    }
    orders[0].create_line(&t.db, line("a")).await.unwrap();
    orders[0].create_line(&t.db, line("b")).await.unwrap();
    orders[1].create_line(&t.db, line("c")).await.unwrap();
    orders[2].create_line(&t.db, line("d")).await.unwrap();
    orders
}

fn skus(lines: &[Line]) -> Vec<String> {
    let mut v: Vec<String> = lines.iter().map(|l| l.sku.clone()).collect();
    v.sort();
    v
}

/// What Rust's own matching of the rows gives, order by order.
fn expected(orders: &[Order], lines: &[Line]) -> Vec<Vec<String>> {
    orders
        .iter()
        .map(|o| {
            let mine: Vec<Line> = lines
                .iter()
                .filter(|l| (l.tenant_id, l.order_no) == (o.tenant_id, o.order_no))
                .cloned()
                .collect();
            skus(&mine)
        })
        .collect()
}

async fn includes_match_every_key_column(t: &TestDb) {
    setup(t).await;
    let all_lines = Line::find().all(&t.db).await.unwrap();
    let q = || {
        Order::find()
            .order_by(Order::TENANT_ID.asc())
            .order_by(Order::ORDER_NO.asc())
    };
    for joined in [false, true] {
        let a = if joined { Order::lines().join() } else { Order::lines() };
        let orders = q().include(a).all(&t.db).await.unwrap();
        let got: Vec<Vec<String>> = orders.iter().map(|o| skus(o.lines.get().unwrap())).collect();
        assert_eq!(got, expected(&orders, &all_lines), "joined: {joined}");
        assert_eq!(got, [vec!["a", "b"], vec!["c"], vec!["d"]]);
        let b = if joined { Line::order().join() } else { Line::order() };
        let lines = Line::find()
            .include(b)
            .order_by(Line::SKU.asc())
            .all(&t.db)
            .await
            .unwrap();
        let owners: Vec<(String, i64, i64)> = lines
            .iter()
            .map(|l| {
                let o = l.order.get().expect("every line has its order");
                (l.sku.clone(), o.tenant_id, o.order_no)
            })
            .collect();
        assert_eq!(
            owners,
            [
                ("a".to_string(), 1, 1),
                ("b".to_string(), 1, 1),
                ("c".to_string(), 1, 2),
                ("d".to_string(), 2, 1)
            ],
            "joined: {joined}"
        );
    }
    // `exists` correlates on both columns: (2, 2) has no lines though tenant 2 and order 2 both do.
    Order::create(
        &t.db,
        NewOrder {
            tenant_id: 2,
            order_no: 2,
            customer: "dee".into(),
        },
    )
    .await
    .unwrap();
    let with_lines = Order::find()
        .filter(Order::lines().exists())
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(with_lines, 3);
    let required = Order::find()
        .include(Order::lines().required())
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(required, 3);
}

async fn association_methods_set_both_columns(t: &TestDb) {
    let orders = setup(t).await;
    let (o11, o12, o21) = (&orders[0], &orders[1], &orders[2]);
    assert_eq!(skus(&o11.get_lines(&t.db).await.unwrap()), ["a", "b"]);
    assert_eq!(o21.count_lines(&t.db).await.unwrap(), 1);
    let d = Line::find()
        .filter(Line::SKU.eq("d"))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert!(o21.has_line(&t.db, &d).await.unwrap());
    assert!(
        !o11.has_line(&t.db, &d).await.unwrap(),
        "same order number, other tenant"
    );
    // add_x moves d to (1, 2): both key columns change.
    o12.add_line(&t.db, &d).await.unwrap();
    let d = Line::find_by_pk(d.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!((d.tenant_id, d.order_no), (1, 2));
    assert_eq!(o21.count_lines(&t.db).await.unwrap(), 0);
    // The belongs-to side: get, set, create.
    let mut d = d;
    assert_eq!(
        d.get_order(&t.db).await.unwrap().map(|o| o.customer),
        Some("bob".into())
    );
    d.set_order(&t.db, o21).await.unwrap();
    assert_eq!((d.tenant_id, d.order_no), (2, 1));
    let made = d
        .create_order(
            &t.db,
            NewOrder {
                tenant_id: 3,
                order_no: 7,
                customer: "eve".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!((d.tenant_id, d.order_no), (3, 7));
    assert_eq!(made.get_lines(&t.db).await.unwrap().len(), 1);
    // Has-one: create, get, set.
    let inv = o11
        .create_invoice(
            &t.db,
            NewInvoice {
                tenant_id: None,
                order_no: None,
                total: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!((inv.tenant_id, inv.order_no), (Some(1), Some(1)));
    assert!(o21.get_invoice(&t.db).await.unwrap().is_none());
    let mut inv = o11.get_invoice(&t.db).await.unwrap().unwrap();
    o21.set_invoice(&t.db, &mut inv).await.unwrap();
    assert_eq!(o21.get_invoice(&t.db).await.unwrap().map(|i| i.total), Some(10));
    // Nested create fills both columns.
    let o = Order::create(
        &t.db,
        NewOrder {
            tenant_id: 9,
            order_no: 1,
            customer: "fay".into(),
        },
    )
    .with(Order::lines(), vec![line("x"), line("y")])
    .await
    .unwrap();
    assert!(
        o.lines
            .get()
            .unwrap()
            .iter()
            .all(|l| (l.tenant_id, l.order_no) == (9, 1))
    );
    assert_eq!(o.count_lines(&t.db).await.unwrap(), 2);
}

async fn a_null_part_matches_nothing(t: &TestDb) {
    let orders = setup(t).await;
    // (1, NULL) points at no order (MATCH SIMPLE lets the row in).
    let half = Invoice::create(
        &t.db,
        NewInvoice {
            tenant_id: Some(1),
            order_no: None,
            total: 5,
        },
    )
    .await
    .unwrap();
    assert!(half.get_order(&t.db).await.unwrap().is_none());
    for joined in [false, true] {
        let a = if joined {
            Invoice::order().join()
        } else {
            Invoice::order()
        };
        let invoices = Invoice::find().include(a).all(&t.db).await.unwrap();
        assert!(invoices[0].order.get().is_none(), "joined: {joined}");
    }
    for o in &orders {
        assert!(o.get_invoice(&t.db).await.unwrap().is_none());
    }
}

async fn the_constraint_is_made_enforced_and_read_back(t: &TestDb) {
    let orders = setup(t).await;
    // A line of an order that does not exist: (2, 2), though tenant 2 and order 2 each exist.
    let r = Line::create(
        &t.db,
        NewLine {
            tenant_id: 2,
            order_no: 2,
            sku: "z".into(),
        },
    )
    .await;
    match r {
        Err(Error::ForeignKeyViolation { columns, .. }) => {
            if !columns.is_empty() {
                assert_eq!(columns, ["tenant_id", "order_no"]);
            }
        }
        other => panic!("expected the composite key to refuse: {other:?}"),
    }
    // ON DELETE CASCADE over both columns: only (1, 1)'s lines go.
    orders[0].destroy(&t.db).await.unwrap();
    assert_eq!(skus(&Line::find().all(&t.db).await.unwrap()), ["c", "d"]);
    let s = schema();
    s.check(&t.db).await.unwrap();
    let found = Snapshot::introspect(&t.db, &["ck_orders", "ck_lines", "ck_invoices"].map(String::from))
        .await
        .unwrap();
    let rust = found.snapshot.to_rust();
    assert!(rust.contains(r#"foreign_key = ["tenant_id", "order_no"]"#), "{rust}");
    assert!(
        rust.contains("BelongsTo<CkOrder>") && rust.contains("HasMany<CkLine>"),
        "{rust}"
    );
    assert!(
        !rust.contains("index(tenant_id, order_no)"),
        "the key's index comes with it:\n{rust}"
    );
    // The catalog's keys are the models': nothing for generate --auto to add or drop.
    let diff = found.snapshot.diff(&s.snapshot(), &[]).unwrap();
    assert!(
        diff.summary().iter().all(|l| !l.contains("foreign key")),
        "{:?}",
        diff.summary()
    );
}

async fn association_columns_join_on_every_key_column(t: &TestDb) {
    setup(t).await;
    // A to-one join: the lines of bob's order only, not of order number 1 in another tenant.
    let of = |customer: &'static str| {
        Line::find()
            .filter(Line::order().col(Order::CUSTOMER).eq(customer))
            .order_by(Line::SKU.asc())
    };
    let bob: Vec<String> = of("bob").all(&t.db).await.unwrap().into_iter().map(|l| l.sku).collect();
    assert_eq!(bob, ["c"]);
    let cy: Vec<String> = of("cy").all(&t.db).await.unwrap().into_iter().map(|l| l.sku).collect();
    assert_eq!(cy, ["d"]);
    // Ordered by the owner's column through the join.
    let by_owner: Vec<String> = Line::find()
        .order_by(Line::order().col(Order::CUSTOMER).desc())
        .order_by(Line::SKU.asc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.sku)
        .collect();
    assert_eq!(by_owner, ["d", "c", "a", "b"]);
    // A to-many condition is an EXISTS correlated on both columns.
    let with_d = Order::find()
        .filter(Order::lines().col(Line::SKU).eq("d"))
        .all(&t.db)
        .await
        .unwrap();
    let keys: Vec<(i64, i64)> = with_d.iter().map(|o| (o.tenant_id, o.order_no)).collect();
    assert_eq!(keys, [(2, 1)]);
    // Ordered by a to-many column: each order's greatest line sku.
    let by_last_line: Vec<String> = Order::find()
        .order_by(Order::lines().col(Line::SKU).desc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.customer)
        .collect();
    assert_eq!(by_last_line, ["cy", "bob", "ann"]);
}

dialect_tests!(
    association_columns_join_on_every_key_column,
    includes_match_every_key_column,
    association_methods_set_both_columns,
    a_null_part_matches_nothing,
    the_constraint_is_made_enforced_and_read_back
);

/// Golden SQL: the joined include's ON and the correlated EXISTS carry
/// every key column, on each dialect.
#[test]
fn the_statements_name_every_key_column() {
    let pg = [
        r#"SELECT "ck_orders"."tenant_id", "ck_orders"."order_no", "ck_orders"."customer", "j1"."id", "j1"."tenant_id", "j1"."order_no", "j1"."sku" FROM "ck_orders" LEFT JOIN "ck_lines" AS "j1" ON "j1"."tenant_id" = "ck_orders"."tenant_id" AND "j1"."order_no" = "ck_orders"."order_no""#,
        r#"SELECT "tenant_id", "order_no", "customer" FROM "ck_orders" WHERE EXISTS (SELECT 1 FROM "ck_lines" AS "s1" WHERE "s1"."tenant_id" = "ck_orders"."tenant_id" AND "s1"."order_no" = "ck_orders"."order_no")"#,
        r#"SELECT "ck_lines"."id", "ck_lines"."tenant_id", "ck_lines"."order_no", "ck_lines"."sku", "j1"."tenant_id", "j1"."order_no", "j1"."customer" FROM "ck_lines" LEFT JOIN "ck_orders" AS "j1" ON "j1"."tenant_id" = "ck_lines"."tenant_id" AND "j1"."order_no" = "ck_lines"."order_no""#,
    ];
    for d in Dialect::all() {
        let got = [
            Order::find().include(Order::lines().join()).to_sql(d).sql,
            Order::find().filter(Order::lines().exists()).to_sql(d).sql,
            Line::find().include(Line::order().join()).to_sql(d).sql,
        ];
        // MariaDB and SQLite quote with backticks; the text is otherwise the same.
        let want = pg.map(|s| {
            if d == Dialect::Postgres {
                s.to_owned()
            } else {
                s.replace('"', "`")
            }
        });
        assert_eq!(got, want, "{d:?}");
    }
}
