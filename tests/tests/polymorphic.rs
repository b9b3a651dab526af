//! Polymorphic associations (issue 28 §2), as Sequelize's association
//! scope: `scope(commentable_type = "image")` filters get, count, has and
//! includes (separate and joined) and is set by create_x/add_x/set_x and
//! nested create; the belongs-to side follows the type column; no
//! foreign-key constraint is made, and the schema tools agree.

use orm_core::Snapshot;
use orm_core::prelude::*;
use orm_tests::{TestDb, dialect_tests};

#[derive(Model, Debug, Clone)]
#[orm(table = "pm_images", timestamps = false)]
struct Image {
    id: i64,
    #[orm(length = 40)]
    url: String,
    #[orm(foreign_key = "commentable_id", scope(commentable_type = "image"))]
    comments: HasMany<Comment>,
    #[orm(foreign_key = "owner_id", scope(owner_type = "image"))]
    caption: HasOne<Caption>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "pm_videos", timestamps = false)]
struct Video {
    id: i64,
    #[orm(length = 40)]
    title: String,
    #[orm(foreign_key = "commentable_id", scope(commentable_type = "video"))]
    comments: HasMany<Comment>,
    #[orm(foreign_key = "owner_id", scope(owner_type = "video"))]
    caption: HasOne<Caption>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "pm_comments", timestamps = false)]
struct Comment {
    id: i64,
    #[orm(length = 40)]
    body: String,
    commentable_id: i64,
    #[orm(length = 20)]
    commentable_type: String,
    #[orm(foreign_key = "commentable_id", scope(commentable_type = "image"))]
    image: BelongsTo<Image>,
    #[orm(foreign_key = "commentable_id", scope(commentable_type = "video"))]
    video: BelongsTo<Video>,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "pm_captions", timestamps = false)]
struct Caption {
    id: i64,
    #[orm(length = 40)]
    text: String,
    owner_id: Option<i64>,
    #[orm(length = 20)]
    owner_type: Option<String>,
}

fn schema() -> Schema {
    Schema::new()
        .model::<Image>()
        .model::<Video>()
        .model::<Comment>()
        .model::<Caption>()
}

fn comment(body: &str) -> NewComment {
    // The type and key given here are overwritten by the association.
    NewComment {
        body: body.into(),
        commentable_id: 0,
        commentable_type: String::new(),
    }
}

/// An image and a video with the same key, each with comments.
async fn setup(t: &TestDb) -> (Image, Video) {
    schema().sync(&t.db).await.unwrap();
    let image = Image::create(&t.db, NewImage { url: "a.png".into() }).await.unwrap();
    let video = Video::create(&t.db, NewVideo { title: "v".into() }).await.unwrap();
    assert_eq!(image.id, video.id, "the same key in both tables is the point");
    image.create_comment(&t.db, comment("i1")).await.unwrap();
    image.create_comment(&t.db, comment("i2")).await.unwrap();
    video.create_comment(&t.db, comment("v1")).await.unwrap();
    (image, video)
}

fn bodies(c: &[Comment]) -> Vec<String> {
    let mut v: Vec<String> = c.iter().map(|c| c.body.clone()).collect();
    v.sort();
    v
}

async fn the_scope_filters_every_read(t: &TestDb) {
    let (image, video) = setup(t).await;
    // create_x set the type.
    let all = Comment::find().all(&t.db).await.unwrap();
    let typed: Vec<(String, String)> = all
        .iter()
        .map(|c| (c.body.clone(), c.commentable_type.clone()))
        .collect();
    assert!(typed.contains(&("i1".into(), "image".into())) && typed.contains(&("v1".into(), "video".into())));
    assert_eq!(bodies(&image.get_comments(&t.db).await.unwrap()), ["i1", "i2"]);
    assert_eq!(bodies(&video.get_comments(&t.db).await.unwrap()), ["v1"]);
    assert_eq!(image.count_comments(&t.db).await.unwrap(), 2);
    assert_eq!(video.count_comments(&t.db).await.unwrap(), 1);
    let v1 = all.iter().find(|c| c.body == "v1").unwrap();
    assert!(video.has_comment(&t.db, v1).await.unwrap());
    assert!(!image.has_comment(&t.db, v1).await.unwrap(), "same key, other type");
    // Includes, separate and joined, see the same.
    for joined in [false, true] {
        let assoc = if joined {
            Image::comments().join()
        } else {
            Image::comments()
        };
        let images = Image::find().include(assoc).all(&t.db).await.unwrap();
        assert_eq!(
            bodies(images[0].comments.get().unwrap()),
            ["i1", "i2"],
            "joined: {joined}"
        );
        let assoc = if joined {
            Video::comments().join()
        } else {
            Video::comments()
        };
        let videos = Video::find().include(assoc).all(&t.db).await.unwrap();
        assert_eq!(bodies(videos[0].comments.get().unwrap()), ["v1"], "joined: {joined}");
    }
    // A required include and `exists` count only the scoped rows.
    let with_comments = Image::find()
        .filter(Image::comments().filter(Comment::BODY.eq("v1")).exists())
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(with_comments, 0);
}

async fn the_belongs_to_side_follows_the_type_column(t: &TestDb) {
    let (image, video) = setup(t).await;
    let all = Comment::find().order_by(Comment::BODY.asc()).all(&t.db).await.unwrap();
    for c in &all {
        let (i, v) = (c.get_image(&t.db).await.unwrap(), c.get_video(&t.db).await.unwrap());
        match c.commentable_type.as_str() {
            "image" => assert!(i.is_some_and(|i| i.id == image.id) && v.is_none(), "{}", c.body),
            _ => assert!(v.is_some_and(|v| v.id == video.id) && i.is_none(), "{}", c.body),
        }
    }
    for joined in [false, true] {
        let (ia, va) = if joined {
            (Comment::image().join(), Comment::video().join())
        } else {
            (Comment::image(), Comment::video())
        };
        let loaded = Comment::find()
            .include(ia)
            .include(va)
            .order_by(Comment::BODY.asc())
            .all(&t.db)
            .await
            .unwrap();
        let seen: Vec<(String, bool, bool)> = loaded
            .iter()
            .map(|c| (c.body.clone(), c.image.get().is_some(), c.video.get().is_some()))
            .collect();
        assert_eq!(
            seen,
            [
                ("i1".to_string(), true, false),
                ("i2".to_string(), true, false),
                ("v1".to_string(), false, true)
            ],
            "joined: {joined}"
        );
    }
    // create_x on the belongs-to side sets the key and the type.
    let mut c = Comment::create(
        &t.db,
        NewComment {
            body: "moved".into(),
            commentable_id: image.id,
            commentable_type: "image".into(),
        },
    )
    .await
    .unwrap();
    let v2 = c.create_video(&t.db, NewVideo { title: "v2".into() }).await.unwrap();
    assert_eq!((c.commentable_id, c.commentable_type.as_str()), (v2.id, "video"));
    let stored = Comment::find_by_pk(c.id).one(&t.db).await.unwrap().unwrap();
    assert_eq!(
        (stored.commentable_id, stored.commentable_type.as_str()),
        (v2.id, "video")
    );
    assert!(stored.get_image(&t.db).await.unwrap().is_none());
}

async fn writes_set_the_scope(t: &TestDb) {
    let (image, video) = setup(t).await;
    // add_x moves a video's comment to the image, type and key.
    let v1 = Comment::find()
        .filter(Comment::BODY.eq("v1"))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    image.add_comment(&t.db, &v1).await.unwrap();
    assert_eq!(video.count_comments(&t.db).await.unwrap(), 0);
    assert_eq!(bodies(&image.get_comments(&t.db).await.unwrap()), ["i1", "i2", "v1"]);
    // set_x: exactly these; the key is NOT NULL, so detaching others is refused.
    let i1 = Comment::find()
        .filter(Comment::BODY.eq("i1"))
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    video.set_comments(&t.db, std::slice::from_ref(&i1)).await.unwrap();
    assert_eq!(bodies(&video.get_comments(&t.db).await.unwrap()), ["i1"]);
    assert_eq!(bodies(&image.get_comments(&t.db).await.unwrap()), ["i2", "v1"]);
    // Has-one: create, get, set, include.
    let cap = image
        .create_caption(
            &t.db,
            NewCaption {
                text: "img".into(),
                owner_id: None,
                owner_type: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (cap.owner_id, cap.owner_type.as_deref()),
        (Some(image.id), Some("image"))
    );
    assert!(
        video.get_caption(&t.db).await.unwrap().is_none(),
        "same key, other type"
    );
    let mut cap = image.get_caption(&t.db).await.unwrap().unwrap();
    video.set_caption(&t.db, &mut cap).await.unwrap();
    assert!(image.get_caption(&t.db).await.unwrap().is_none());
    let videos = Video::find().include(Video::caption()).all(&t.db).await.unwrap();
    assert_eq!(videos[0].caption.get().map(|c| c.text.as_str()), Some("img"));
    // Nested create sets the type on every child.
    let img = Image::create(&t.db, NewImage { url: "b.png".into() })
        .with(Image::comments(), vec![comment("n1"), comment("n2")])
        .with(
            Image::caption(),
            NewCaption {
                text: "nested".into(),
                owner_id: None,
                owner_type: Some("wrong".into()),
            },
        )
        .await
        .unwrap();
    let kids = img.comments.get().unwrap();
    assert!(
        kids.iter()
            .all(|c| c.commentable_type == "image" && c.commentable_id == img.id)
    );
    assert_eq!(img.caption.get().and_then(|c| c.owner_type.as_deref()), Some("image"));
    assert_eq!(img.count_comments(&t.db).await.unwrap(), 2);
}

async fn no_foreign_key_and_the_tools_agree(t: &TestDb) {
    let s = schema();
    s.sync(&t.db).await.unwrap();
    // No constraint: the key may point at either table (or at nothing).
    Comment::create(
        &t.db,
        NewComment {
            body: "dangling".into(),
            commentable_id: 999,
            commentable_type: "video".into(),
        },
    )
    .await
    .unwrap();
    let snap = s.snapshot();
    let json = snap.to_json();
    assert!(!json.contains("\"foreign_keys\""), "{json}");
    s.check(&t.db).await.unwrap();
    let found = Snapshot::introspect(
        &t.db,
        &["pm_images", "pm_videos", "pm_comments", "pm_captions"].map(String::from),
    )
    .await
    .unwrap();
    let rust = found.snapshot.to_rust();
    assert!(
        !rust.contains("BelongsTo<"),
        "introspect sees no foreign key either:\n{rust}"
    );
    // generate --auto from the introspected tables to the models: nothing to do about keys.
    let diff = found.snapshot.diff(&snap, &[]).unwrap();
    assert!(
        diff.summary().iter().all(|l| !l.contains("foreign key")),
        "{:?}",
        diff.summary()
    );
}

async fn association_columns_see_the_scope(t: &TestDb) {
    let (image, video) = setup(t).await;
    // "Some comment says v1": the video (same key as the image) has it, the image does not.
    let images = Image::find()
        .filter(Image::comments().col(Comment::BODY).eq("v1"))
        .count(&t.db)
        .await
        .unwrap();
    let videos = Video::find()
        .filter(Video::comments().col(Comment::BODY).eq("v1"))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!((images, videos), (0, 1));
    // A to-one join from the belongs-to side: only image comments reach an image's url.
    let on_png: Vec<String> = Comment::find()
        .filter(Comment::image().col(Image::URL).eq("a.png"))
        .order_by(Comment::BODY.asc())
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(on_png, ["i1", "i2"]);
    // `exists` and a required include from the belongs-to side follow the type column.
    let with_image = Comment::find()
        .filter(Comment::image().exists())
        .count(&t.db)
        .await
        .unwrap();
    let with_video = Comment::find()
        .include(Comment::video().required())
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!((with_image, with_video), (2, 1));
    let _ = (image, video);
}

dialect_tests!(
    association_columns_see_the_scope,
    the_scope_filters_every_read,
    the_belongs_to_side_follows_the_type_column,
    writes_set_the_scope,
    no_foreign_key_and_the_tools_agree
);

/// Golden SQL: the scope in a joined include's ON (on the target for a
/// has-many, on the row itself for a belongs-to) and in `exists`, its
/// value bound.
#[test]
fn the_statements_carry_the_scope() {
    let pg = [
        r#"SELECT "pm_images"."id", "pm_images"."url", "j1"."id", "j1"."body", "j1"."commentable_id", "j1"."commentable_type" FROM "pm_images" LEFT JOIN "pm_comments" AS "j1" ON "j1"."commentable_id" = "pm_images"."id" AND "j1"."commentable_type" = $1"#,
        r#"SELECT "id", "title" FROM "pm_videos" WHERE EXISTS (SELECT 1 FROM "pm_comments" AS "s1" WHERE "s1"."commentable_id" = "pm_videos"."id" AND "s1"."commentable_type" = $1)"#,
        r#"SELECT "pm_comments"."id", "pm_comments"."body", "pm_comments"."commentable_id", "pm_comments"."commentable_type", "j1"."id", "j1"."url" FROM "pm_comments" LEFT JOIN "pm_images" AS "j1" ON "j1"."id" = "pm_comments"."commentable_id" AND "pm_comments"."commentable_type" = $1"#,
    ];
    for d in Dialect::all() {
        let st = [
            Image::find().include(Image::comments().join()).to_sql(d),
            Video::find().filter(Video::comments().exists()).to_sql(d),
            Comment::find().include(Comment::image().join()).to_sql(d),
        ];
        let want = pg.map(|s| match d {
            Dialect::Postgres => s.to_owned(),
            _ => s.replace('"', "`").replace("$1", "?"),
        });
        assert_eq!(st.clone().map(|s| s.sql), want, "{d:?}");
        let values: Vec<String> = st.iter().map(|s| format!("{:?}", s.params)).collect();
        assert!(
            values[0].contains("\"image\"") && values[1].contains("\"video\"") && values[2].contains("\"image\""),
            "{values:?}"
        );
    }
}
