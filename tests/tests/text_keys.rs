//! Text primary keys through every include path: a joined include reads a
//! parent's key from the row to tell parents apart and then decodes the
//! same columns into the model, so a driver whose reads of a column are not
//! repeatable would fail here (MariaDB's once moved text out of the row).
//! Compared with Rust's own grouping of the rows written, on all three.

use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};
use std::collections::BTreeMap;

#[derive(Model, Debug, Clone)]
#[orm(table = "tk_countries", timestamps = false)]
struct Country {
    #[orm(primary_key, length = 8)]
    code: String,
    #[orm(length = 40)]
    name: String,
    #[orm(foreign_key = "country_code")]
    cities: HasMany<City>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "tk_cities", timestamps = false)]
struct City {
    id: i64,
    #[orm(length = 8)]
    country_code: String,
    #[orm(length = 40)]
    name: String,
    #[orm(foreign_key = "country_code")]
    country: BelongsTo<Country>,
}

const COUNTRIES: [(&str, &str); 4] = [
    ("fr", "France"),
    ("de", "Germany"),
    ("is", "Iceland"),
    ("pt", "Portugal"),
];
const CITIES: [(&str, &str); 6] = [
    ("fr", "Lyon"),
    ("de", "Bonn"),
    ("fr", "Nice"),
    ("pt", "Porto"),
    ("de", "Kiel"),
    ("fr", "Metz"),
];

/// What Rust says each country's cities are (sorted), countries by code.
fn expected() -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = COUNTRIES.iter().map(|(c, _)| (c.to_string(), Vec::new())).collect();
    for (c, name) in CITIES {
        out.get_mut(c).unwrap().push(name.to_string());
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn grouped(countries: &[Country]) -> BTreeMap<String, Vec<String>> {
    countries
        .iter()
        .map(|c| {
            let mut names: Vec<String> = c.cities.get().unwrap().iter().map(|x| x.name.clone()).collect();
            names.sort();
            (c.code.clone(), names)
        })
        .collect()
}

async fn includes_by_text_key(t: &TestDb) {
    Schema::new()
        .model::<Country>()
        .model::<City>()
        .sync(&t.db)
        .await
        .unwrap();
    for (code, name) in COUNTRIES {
        Country::create(
            &t.db,
            NewCountry {
                code: code.into(),
                name: name.into(),
            },
        )
        .await
        .unwrap();
    }
    for (code, name) in CITIES {
        City::create(
            &t.db,
            NewCity {
                country_code: code.into(),
                name: name.into(),
            },
        )
        .await
        .unwrap();
    }

    let joined = Country::find()
        .order_by(Country::CODE)
        .include(Country::cities().join())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(grouped(&joined), expected(), "{:?}: joined has-many", t.backend);
    let separate = Country::find()
        .order_by(Country::CODE)
        .include(Country::cities())
        .all(&t.db)
        .await
        .unwrap();
    assert_eq!(grouped(&separate), expected(), "{:?}: separate has-many", t.backend);

    let names: BTreeMap<&str, &str> = COUNTRIES.into_iter().collect();
    for strategy in ["joined", "separate"] {
        let q = City::find().order_by(City::ID);
        let cities = if strategy == "joined" {
            q.include(City::country().join()).all(&t.db).await.unwrap()
        } else {
            q.include(City::country()).all(&t.db).await.unwrap()
        };
        assert_eq!(cities.len(), CITIES.len());
        for c in &cities {
            let owner = c
                .country
                .get()
                .unwrap_or_else(|| panic!("{strategy}: {} has its country", c.name));
            assert_eq!(owner.code, c.country_code, "{:?} {strategy}", t.backend);
            assert_eq!(owner.name, names[c.country_code.as_str()], "{:?} {strategy}", t.backend);
        }
    }
}

dialect_tests!(includes_by_text_key);
