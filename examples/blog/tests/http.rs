//! The blog driven over HTTP: a real server on a free port, every route and
//! error case, on SQLite, PostgreSQL and MariaDB.

use orm_tests::{Backend, TestDb};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Start the app on a free port over the test's database.
async fn serve(t: &TestDb) -> String {
    blog::prepare(&t.db).await.expect("migrations and demo data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = blog::app(t.db.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        },
    )
}

/// POST /users with a 3 MB JSON body; the status code of the answer. The
/// body is written beside the read: the server answers once it has read
/// past its limit and closes, so a client that only reads after sending
/// would see the connection reset.
async fn status_of_oversized_post(base: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let body = format!(
        "{{\"name\": \"{}\", \"email\": \"big@example.com\"}}",
        "x".repeat(3 * 1024 * 1024)
    );
    let head = format!(
        "POST /users HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let _ = wr.write_all(body.as_bytes()).await; // may be cut off by the server
    });
    let mut answer = vec![0; 64];
    let n = rd.read(&mut answer).await.unwrap();
    writer.abort();
    let line = String::from_utf8_lossy(&answer[..n]).into_owned();
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

async fn every_route(t: &TestDb) {
    let base = serve(t).await;
    let c = reqwest::Client::new();

    // The seed's shape, exactly: camelCase keys, ISO timestamps, nested posts.
    let raw = c
        .get(format!("{base}/users/1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let positions: Vec<usize> = [
        "\"id\"",
        "\"name\"",
        "\"email\"",
        "\"role\"",
        "\"createdAt\"",
        "\"updatedAt\"",
        "\"posts\"",
    ]
    .iter()
    .map(|k| raw.find(k).unwrap_or_else(|| panic!("{k} in {raw}")))
    .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys in the seed's order: {raw}"
    );
    let (s, ada) = send(c.get(format!("{base}/users/1"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ada.as_object().unwrap().len(), 7, "{ada}");
    assert_eq!(ada["name"], "Ada Lovelace");
    assert_eq!(ada["role"], "member");
    assert!(chrono::DateTime::parse_from_rfc3339(ada["createdAt"].as_str().unwrap()).is_ok());
    assert_eq!(
        ada["posts"],
        json!([{"id": 1, "title": "On analytical engines", "authorId": 1}])
    );

    // POST /users: 201, 400 (invalid, unknown field, mistyped), 409.
    let (s, bob) = send(
        c.post(format!("{base}/users"))
            .json(&json!({"name": "Bob", "email": "bob@example.com"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!((bob["role"].as_str(), bob.get("posts")), (Some("member"), None));
    let (s, body) = send(
        c.post(format!("{base}/users"))
            .json(&json!({"name": "", "email": "nope"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body["fields"]["email"].is_array() && body["fields"]["name"].is_array(),
        "{body}"
    );
    let (s, body) = send(
        c.post(format!("{base}/users"))
            .json(&json!({"nmae": "X", "email": "x@example.com"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["nmae"].is_array(), "{body}");
    let (s, body) = send(
        c.post(format!("{base}/users"))
            .json(&json!({"name": 5, "email": "x@example.com"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["name"].is_array(), "{body}");
    let (s, body) = send(
        c.post(format!("{base}/users"))
            .json(&json!({"name": "X", "email": "x@example.com", "role": "boss"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["role"].is_array(), "{body}");
    // A query string that does not parse: the same `fields` shape.
    let (s, body) = send(c.get(format!("{base}/users?limit=many"))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "Invalid query string", "{body}");
    assert!(body["fields"]["limit"].is_array(), "{body}");
    let (s, body) = send(
        c.post(format!("{base}/users"))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body) = send(
        c.post(format!("{base}/users"))
            .json(&json!({"name": "Bob 2", "email": "bob@example.com"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(body["fields"]["email"], json!(["must be unique"]));

    // GET /users/:id: 404 and 400.
    let (s, body) = send(c.get(format!("{base}/users/999"))).await;
    assert_eq!((s, body), (StatusCode::NOT_FOUND, json!({"error": "Not found"})));
    let (s, _) = send(c.get(format!("{base}/users/abc"))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // GET /users: newest first, role filter, limit cap, offset.
    let (_, carol) = send(
        c.post(format!("{base}/users"))
            .json(&json!({"name": "Carol", "email": "carol@example.com", "role": "admin"})),
    )
    .await;
    let (s, list) = send(c.get(format!("{base}/users"))).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Carol", "Bob", "Ada Lovelace"]);
    let (_, admins) = send(c.get(format!("{base}/users?role=admin"))).await;
    assert_eq!(admins.as_array().unwrap().len(), 1);
    let (_, page) = send(c.get(format!("{base}/users?limit=1&offset=1"))).await;
    assert_eq!(page[0]["name"], "Bob");
    let (s, _) = send(c.get(format!("{base}/users?limit=1000"))).await;
    assert_eq!(s, StatusCode::OK, "limit is capped, not refused");
    let (s, body) = send(c.get(format!("{base}/users?role=boss"))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");

    // PATCH /users/:id
    let id = bob["id"].as_i64().unwrap();
    let (s, body) = send(c.patch(format!("{base}/users/{id}")).json(&json!({"name": "Robert"}))).await;
    assert_eq!((s, body["name"].as_str()), (StatusCode::OK, Some("Robert")));
    let (s, _) = send(c.patch(format!("{base}/users/{id}")).json(&json!({"email": "bad"}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // `null` for a NOT NULL column is refused naming the field (it was
    // read as "leave it" before), and nothing changes.
    let (s, body) = send(c.patch(format!("{base}/users/{id}")).json(&json!({"name": null}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let why = body["fields"]["name"][0].as_str().unwrap_or_default();
    assert!(why.contains("must not be null"), "{body}");
    let (_, now) = send(c.get(format!("{base}/users/{id}"))).await;
    assert_eq!(now["name"], "Robert");
    let (s, _) = send(
        c.patch(format!("{base}/users/{id}"))
            .json(&json!({"email": "carol@example.com"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = send(c.patch(format!("{base}/users/999")).json(&json!({"name": "x"}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // POST /users/:id/posts (in a transaction, after checking the user).
    let (s, post) = send(
        c.post(format!("{base}/users/{id}/posts"))
            .json(&json!({"title": "Hello", "body": "text"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        (post["authorId"].as_i64(), post["body"].as_str()),
        (Some(id), Some("text"))
    );
    let (s, _) = send(
        c.post(format!("{base}/users/999/posts"))
            .json(&json!({"title": "Orphan"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = send(
        c.post(format!("{base}/users/{id}/posts"))
            .json(&json!({"title": "", "authorId": 1})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "authorId comes from the path");
    let (s, _) = send(c.post(format!("{base}/users/{id}/posts")).json(&json!({"title": ""}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // GET /posts?include=author
    let (s, posts) = send(c.get(format!("{base}/posts?include=author"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(posts[1]["author"]["name"], "Robert");
    let (_, plain) = send(c.get(format!("{base}/posts"))).await;
    assert!(plain[0].get("author").is_none());
    let (s, _) = send(c.get(format!("{base}/posts?include=comments"))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // GET /posts is a page: limit/offset, at most 100 rows.
    let (s, page) = send(c.get(format!("{base}/posts?limit=1&offset=1"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["id"], posts[1]["id"]);

    // Refused bodies keep their own status: 413 too large, 415 not JSON.
    // The server answers a 3 MB body from its Content-Length, before
    // reading it, and closes: an HTTP client still sending would see the
    // connection reset, so the request is written by hand.
    assert_eq!(status_of_oversized_post(&base).await, 413);
    let (s, _) = send(
        c.post(format!("{base}/users"))
            .header("content-type", "text/plain")
            .body(r#"{"name":"T","email":"t@example.com"}"#),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A valid email longer than its VARCHAR(255) column: 400 naming the
    // field on every dialect (SQLite stored it, the servers answered 500).
    let long = format!("{}@{}com", "a".repeat(60), format!("{}.", "b".repeat(60)).repeat(4));
    assert!(long.len() > 255);
    let (s, body) = send(
        c.post(format!("{base}/users"))
            .json(&json!({"name": "Long", "email": long})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["fields"]["email"][0].as_str().unwrap().contains("255"), "{body}");

    // DELETE /users/:id: 204, then 404; the posts went with the user.
    let (s, _) = send(c.delete(format!("{base}/users/{id}"))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = send(c.delete(format!("{base}/users/{id}"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, posts) = send(c.get(format!("{base}/posts"))).await;
    assert_eq!(posts.as_array().unwrap().len(), 1);
    let (s, _) = send(c.get(format!("{base}/nowhere"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let _ = carol;

    // A second start applies no migration and loads no second demo user.
    blog::prepare(&t.db).await.unwrap();
    let (_, list) = send(c.get(format!("{base}/users?limit=100"))).await;
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .filter(|u| u["name"] == "Ada Lovelace")
            .count(),
        1
    );
}

orm_tests::dialect_tests!(every_route);

#[test]
fn unreachable_database_exits_with_one_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_blog"))
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")
        .env("PORT", "0")
        .output()
        .expect("run the blog");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().last().unwrap_or_default();
    assert!(line.starts_with("error: "), "{err}");
    let _ = Backend::Sqlite;
}
