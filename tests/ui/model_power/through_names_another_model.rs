use orm_core::prelude::*;

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Track {
    id: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(table = "links", timestamps = false)]
struct Link {
    #[orm(primary_key)]
    playlist_id: i64,
    #[orm(primary_key)]
    track_id: i64,
}

#[derive(Model, Debug, Clone)]
#[orm(timestamps = false)]
struct Playlist {
    id: i64,
    #[orm(through = Track)]
    tracks: BelongsToMany<Track, Link>,
}

fn main() {}
