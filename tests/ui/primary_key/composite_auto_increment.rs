use orm_core::prelude::*;

#[derive(Model)]
struct PlaylistTrack {
    #[orm(primary_key, auto_increment = true)]
    playlist_id: i64,
    #[orm(primary_key)]
    track_id: i64,
}

fn main() {}
