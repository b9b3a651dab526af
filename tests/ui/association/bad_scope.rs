use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Image {
    id: i64,
    #[orm(through = "image_tags", scope(kind = "image"))]
    tags: BelongsToMany<Tag>,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Tag {
    id: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Comment {
    id: i64,
    commentable_id: i64,
    #[orm(foreign_key = "commentable_id", scope(commentable_kind = "image"))]
    image: BelongsTo<Image>,
}

fn main() {}
